"""A full log still winds its lifecycle up (DESIGN §13): past `max_events` or
`max_log_text` a case can still be offered a resolution, accepted or withdrawn, a change
request still decided, a problem still reviewed, fixed and released; nothing that could
come back takes another turn. A problem's log is bounded too, and the news it owes."""

from __future__ import annotations

import graphlib
import itertools
from typing import Any

import pytest
from statemachine import StateMachine

from domain.case_record import CaseRecord
from domain.change_requests import Decision, Deliver, Plan, Review
from domain.log_limits import log_text
from domain.machines import (
    WINDING_UP,
    CaseMachine,
    ChangeRequestMachine,
    ProblemMachine,
    final_states,
)
from domain.models import (
    AcceptResolution,
    Acknowledge,
    OfferResolution,
    PostUpdate,
    Priority,
    ProvideInformation,
    Reopen,
    RequestInformation,
    ResolutionKind,
    Withdraw,
)
from domain.policy import SupportPolicy
from domain.problem_record import MAX_EVENTS, MAX_LOG_TEXT, MAX_OWED_NOTICES, ProblemRecord
from domain.problems import AcceptAsDefect as Accept
from domain.problems import LinkedCase, OpenProblem, ReleaseFix, ScheduleFix, ScheduleReview
from domain.problems import RequestInformation as AskIntegrators
from domain.refusals import CaseTooLarge, NotReady, ProblemTooLarge
from domain.workflow_inputs import CaseSetup
from tests.case_records import LOGGED, SETUP, TEMPORAL_PAYLOAD_LIMIT, carried_bytes, filled, rid
from tests.cr_records import NOW, published
from tests.factories import DESK, PRODUCT_MANAGER, intake

MACHINES = [CaseMachine, ChangeRequestMachine, ProblemMachine]


def moves(machine: type[StateMachine]) -> list[tuple[str, str, str]]:
    """(source, event, target) for every transition that leaves its state."""
    return [
        (state.id, str(move.event), move.target.id)
        for state in machine.states
        for move in state.transitions
        if move.target is not None and move.target.id != state.id
    ]


@pytest.mark.parametrize("machine", MACHINES, ids=lambda m: m.__name__)
def test_the_moves_a_full_log_takes_never_come_back_and_every_end_is_among_them(
    machine: type[StateMachine],
) -> None:
    ends = final_states(machine)
    after: dict[str, set[str]] = {}
    for source, event, target in moves(machine):
        if event in WINDING_UP[machine]:
            after.setdefault(target, set()).add(source)

    graphlib.TopologicalSorter(after).prepare()  # raises CycleError, naming the cycle
    assert {event for _, event, b in moves(machine) if b in ends} <= WINDING_UP[machine]
    assert WINDING_UP[machine] <= {event for _, event, _ in moves(machine)}


# -- a case ----------------------------------------------------------------------------------


def full_case(asking: bool = False, **limits: int) -> CaseRecord:
    """Investigating (or, `asking`, awaiting information), its log taking no new note."""
    record = CaseRecord(intake(logged_at=LOGGED), opened_by=DESK)
    record.load(CaseSetup(policy=SupportPolicy(**limits), calendar=SETUP.calendar))
    record.log(LOGGED)
    record.apply(Acknowledge(request_id=rid(), actor=DESK), LOGGED)
    if asking:
        record.apply(RequestInformation(request_id=rid(), message="which build?"), LOGGED)
    filled(record, "x" * 4_000)
    return record


def sent(record: CaseRecord, req: Any) -> None:
    record.admit(req)
    record.apply(req, LOGGED)


OFFER = {"kind": ResolutionKind.WORKAROUND, "summary": "clear the marks cache " * 200}


@pytest.mark.parametrize("limits", [{"max_events": 4}, {"max_log_text": 9_000}], ids=str)
def test_a_full_case_is_still_offered_a_resolution_and_accepted(limits: dict[str, int]) -> None:
    record = full_case(**limits)
    for refused in (
        PostUpdate(request_id=rid(), message="x" * 4_000, actor=DESK),
        RequestInformation(request_id=rid(), message="x" * 4_000, actor=DESK),
    ):
        with pytest.raises(CaseTooLarge):
            record.admit(refused)

    sent(record, OfferResolution(request_id=rid(), actor=DESK, **OFFER))
    with pytest.raises(CaseTooLarge):  # a reopen would go round again
        record.admit(Reopen(request_id=rid(), reason="x" * 4_000, actor=DESK))
    sent(record, AcceptResolution(request_id=rid(), actor=DESK))

    assert record.state == "resolved"


def test_a_full_case_is_still_withdrawn_but_not_sent_back_to_investigating() -> None:
    record = full_case(asking=True, max_events=4)
    with pytest.raises(CaseTooLarge):
        record.admit(ProvideInformation(request_id=rid(), message="build 7.2", actor=DESK))

    sent(record, Withdraw(request_id=rid(), reason="fixed itself", actor=DESK))

    assert record.state == "withdrawn"


# -- a change request ------------------------------------------------------------------------


def decided(model: type[Decision], **fields: Any) -> Any:
    return model(request_id=rid(), decided_by="pm-ann", reason="a", actor=PRODUCT_MANAGER, **fields)


def test_a_full_change_request_is_still_considered_planned_and_delivered_not_reviewed() -> None:
    record = published()
    record.policy = SupportPolicy(max_events=1)  # its publication
    with pytest.raises(CaseTooLarge, match="max_events: change request"):
        record.admit("review", decided(Review))

    for event, req in [
        ("consider", decided(Decision)),
        ("plan", decided(Plan, target_release="7.230")),
        ("deliver", decided(Deliver, release_version="7.230")),
    ]:
        record.admit(event, req)
        record.apply(event, req, NOW)

    assert record.state == "delivered"


# -- a problem -------------------------------------------------------------------------------

_refs = itertools.count()


def problem(cases: int = 0) -> ProblemRecord:
    record = ProblemRecord(OpenProblem(reference="PRB-1", summary="Census return rejects"))
    record.open(NOW)
    linked(record, cases)
    return record


def linked(record: ProblemRecord, cases: int) -> None:
    """`cases` more open cases linked, as the record keeps them (not linked one by one)."""
    for _ in range(cases):
        reference = f"INC-{next(_refs):036d}"  # as long as a reference may be: 40
        record.links.append(LinkedCase(reference=reference, priority=Priority.P3, linked_at=NOW))


def decide(record: ProblemRecord, event: str, req: Any) -> None:
    req = req.model_copy(update={"actor": DESK})
    record.admit(event, req)
    record.apply(event, req, NOW)


def ask(request_id: str | None = None, text: str = "x" * 10_000) -> AskIntegrators:
    return AskIntegrators(request_id=request_id or rid(), message=text)


def asked_until_full(record: ProblemRecord, text: str, ids: Any = None) -> int:
    """Information asked of the integrators, told each time, until the log refuses it."""
    taken = 0
    while True:
        try:
            decide(record, "request_information", ask(next(ids) if ids else None, text))
        except ProblemTooLarge:
            return taken
        record.delivered(len(record.due()))
        taken += 1


def test_a_problem_asking_without_end_is_refused_naming_the_limit_and_still_fixed() -> None:
    # Asked again and again, the desk once grew a problem's log without a bound.
    record = problem()
    taken = asked_until_full(record, "x" * 10_000)

    assert taken == MAX_LOG_TEXT // 10_000  # 26, then no room for a 27th
    with pytest.raises(ProblemTooLarge, match=r"max_log_text: problem PRB-1 would hold"):
        record.admit("request_information", ask().model_copy(update={"actor": DESK}))
    for event, req in [
        ("schedule_review", ScheduleReview(request_id=rid(), message="board")),
        ("accept_as_defect", Accept(request_id=rid(), message="a defect")),
        ("schedule_fix", ScheduleFix(request_id=rid(), vehicle="hotfix", target_version="1")),
        ("release_fix", ReleaseFix(request_id=rid(), summary="fixed")),
    ]:
        decide(record, event, req)
    assert record.state == "fix_released"


def test_a_problem_owing_news_of_two_decisions_takes_a_third_once_the_cases_are_told() -> None:
    record = problem(cases=3)
    for _ in range(MAX_OWED_NOTICES):
        decide(record, "request_information", ask(text="which build?"))
    third = ask(text="and which browser?").model_copy(update={"actor": DESK})

    with pytest.raises(NotReady, match="still being told of 2 earlier decisions"):
        record.admit("request_information", third)
    record.delivered(len(record.due(limit=3)))  # the first decision's news told
    decide(record, "request_information", third)

    assert len(record.notices) == MAX_OWED_NOTICES


def test_the_largest_problem_the_bounds_allow_still_fits_temporal_s_payload_limit() -> None:
    # 5,000 cases linked under the longest references, news of two decisions owed to every
    # one, and a log under 100-character request ids, its questions of quotes sized to
    # reach both of its limits at once (262: 499 asked), then the longest news.
    record = problem()  # the cases linked once it is full: the same record, told less
    ids = (f"{i:0100d}" for i in itertools.count())
    asked = asked_until_full(record, '"' * (MAX_LOG_TEXT // MAX_EVENTS // 2), ids)
    linked(record, SupportPolicy().max_problem_links)
    for event, model in [("schedule_review", ScheduleReview), ("accept_as_defect", Accept)]:
        decide(record, event, model(request_id=next(ids), message='"' * 10_000))

    carried = carried_bytes(record)

    assert asked == MAX_EVENTS - 1  # its opening is the first event
    assert log_text(record.events) <= MAX_LOG_TEXT + 2 * 20_000
    assert len(record.due()) == MAX_OWED_NOTICES * SupportPolicy().max_problem_links
    print(f"the largest problem carries {carried / 2**20:.2f} MiB")  # 1.53
    assert carried < 0.8 * TEMPORAL_PAYLOAD_LIMIT, carried
