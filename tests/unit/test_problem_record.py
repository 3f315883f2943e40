"""A problem's record: the decisions each state takes, the news owed, its rank, refusals."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest

from domain.models import Priority
from domain.problem_links import LinkCase, LinkedCaseChanged, NewsKind
from domain.problem_record import ProblemRecord
from domain.problems import (
    AcceptAsDefect,
    LinkedCase,
    OpenProblem,
    ProblemEventKind,
    ProblemRequest,
    Reject,
    ReleaseFix,
    RequestInformation,
    ScheduleFix,
    ScheduleReview,
)
from domain.refusals import InvalidTransition, NotReady, ProblemClosed

NOW = dt.datetime(2026, 11, 30, 10, 0, tzinfo=dt.UTC)
LATER = NOW + dt.timedelta(days=3)
_ids = itertools.count(1)

# What the desk may decide in each state (linking is the cases' own, never offered).
ALLOWED = {
    "under_investigation": {"schedule_review", "request_information"},
    "review_scheduled": {"accept_as_defect", "reject", "request_information"},
    "accepted_as_defect": {"schedule_fix", "request_information"},
    "fix_scheduled": {"schedule_fix", "release_fix", "request_information"},
    "fix_released": set(),
    "not_a_defect": set(),
}
REQUESTS: dict[str, tuple[type[ProblemRequest], dict[str, Any]]] = {
    "schedule_review": (ScheduleReview, {"message": "at Thursday's defect board"}),
    "accept_as_defect": (AcceptAsDefect, {}),
    "reject": (Reject, {"reason": "works as designed"}),
    "request_information": (RequestInformation, {"message": "which MIS build?"}),
    "schedule_fix": (ScheduleFix, {"vehicle": "service_pack", "target_version": "7.220"}),
    "release_fix": (ReleaseFix, {}),
}
TAKEN = [(state, event) for state, events in ALLOWED.items() for event in sorted(events)]
REFUSED = [(state, e) for state, events in ALLOWED.items() for e in REQUESTS if e not in events]


def request(event: str, **fields: Any) -> Any:
    model, defaults = REQUESTS[event]
    return model(request_id=f"r-{next(_ids)}", **(defaults | fields))


def opened() -> ProblemRecord:
    record = ProblemRecord(OpenProblem(reference="PRB-1", summary="Census return rejects pupils"))
    record.open(NOW)
    return record


def linked(*cases: tuple[str, Priority]) -> ProblemRecord:
    record = opened()
    for reference, priority in cases:
        record.link(LinkCase(case_reference=reference, priority=priority), NOW)
    return record


def decided(record: ProblemRecord, *events: str) -> ProblemRecord:
    for event in events:
        record.apply(event, request(event), NOW)
    return record


def change(reference: str, priority: Priority, open: bool = True) -> LinkedCaseChanged:
    return LinkedCaseChanged(
        problem_reference="PRB-1", case_reference=reference, priority=priority, open=open
    )


def closes(record: ProblemRecord, reference: str) -> None:
    record.take_change(change(reference, Priority.P3, open=False), LATER)


def kinds(record: ProblemRecord) -> list[ProblemEventKind]:
    return [event.kind for event in record.events]


def test_a_new_problem_is_under_investigation_with_its_opening_in_the_log() -> None:
    record = opened()

    assert record.state == "under_investigation"
    assert [(e.kind, e.at, e.detail) for e in record.events] == [
        (ProblemEventKind.OPENED, NOW, "Census return rejects pupils")
    ]
    assert record.priority is Priority.P4 and record.due() == []


@pytest.mark.parametrize(("state", "event"), TAKEN)
def test_a_decision_the_state_allows_is_taken(state: str, event: str) -> None:
    record = opened()
    record.state = state

    record.check(event, request(event))


@pytest.mark.parametrize(("state", "event"), REFUSED)
def test_a_decision_the_state_does_not_allow_is_refused_and_changes_nothing(
    state: str, event: str
) -> None:
    record = opened()
    record.state = state

    with pytest.raises(InvalidTransition) as refused:
        record.apply(event, request(event), NOW)

    assert refused.value.type == "InvalidTransition"
    assert str(refused.value).startswith(f"{event} is not allowed while the problem is ")
    assert state.replace("_", " ") in str(refused.value)
    assert "link_case" not in str(refused.value)
    if not ALLOWED[state]:
        assert str(refused.value).endswith("(allowed now: none: the problem is closed)")
    assert record.state == state and kinds(record) == [ProblemEventKind.OPENED]


def test_nothing_is_decided_before_the_problem_is_opened() -> None:
    record = ProblemRecord(OpenProblem(reference="PRB-1", summary="Census return"))

    with pytest.raises(NotReady):
        record.check("schedule_review", request("schedule_review"))


def test_a_released_fix_is_news_for_each_open_linked_case() -> None:
    record = linked(("INC-1", Priority.P3), ("INC-2", Priority.P2), ("INC-3", Priority.P3))
    closes(record, "INC-2")
    decided(record, "schedule_review", "accept_as_defect", "schedule_fix")
    record.delivered(len(record.due()))

    record.apply("release_fix", request("release_fix", summary="marks write-back fixed"), LATER)

    assert record.state == "fix_released" and record.released_version == "7.220"
    assert [d.case_reference for d in record.due()] == ["INC-1", "INC-3"]
    news = record.due()[0].news
    assert news.kind is NewsKind.FIX_RELEASED
    assert (news.vehicle, news.version) == ("service_pack", "7.220")
    assert news.message == (
        "the fix for problem PRB-1 is released in service pack 7.220: marks write-back fixed"
    )
    assert record.events[-1].detail == "service pack 7.220"


def test_a_fix_released_in_another_version_than_planned_names_that_version() -> None:
    record = decided(
        linked(("INC-1", Priority.P3)), "schedule_review", "accept_as_defect", "schedule_fix"
    )

    record.apply("release_fix", request("release_fix", version="7.221"), LATER)

    assert record.released_version == "7.221"
    assert record.due()[-1].news.version == "7.221"


def test_not_a_defect_is_news_that_sends_the_cases_back_to_investigating() -> None:
    record = decided(linked(("INC-1", Priority.P3), ("INC-2", Priority.P4)), "schedule_review")
    record.delivered(len(record.due()))

    record.apply("reject", request("reject", reason="marks lock at 17:00"), LATER)

    assert record.state == "not_a_defect"
    assert [d.case_reference for d in record.due()] == ["INC-1", "INC-2"]
    assert {d.news.kind for d in record.due()} == {NewsKind.NOT_A_DEFECT}
    assert record.due()[0].news.message == (
        "problem PRB-1 was found not to be a defect: marks lock at 17:00; "
        "your case is being investigated again"
    )
    assert record.due()[0].news.vehicle is None
    assert not record.finished  # until every linked case is told
    record.delivered(2)
    assert record.finished


def test_review_acceptance_and_information_needed_are_news_but_a_scheduled_fix_is_not() -> None:
    record = linked(("INC-1", Priority.P3))

    decided(record, "schedule_review", "accept_as_defect", "request_information", "schedule_fix")

    assert [d.news.kind for d in record.due()] == [
        NewsKind.REVIEW_SCHEDULED,
        NewsKind.ACCEPTED_AS_DEFECT,
        NewsKind.INFORMATION_NEEDED,
    ]
    assert len({d.news.news_id for d in record.due()}) == 3


def test_the_review_may_classify_the_problem_as_site_specific() -> None:
    record = decided(opened(), "schedule_review")

    accept = request("accept_as_defect", scope="site_specific", school_urn="123456", message="x")
    record.apply("accept_as_defect", accept, NOW)

    assert (record.scope, record.school_urn) == ("site_specific", "123456")
    assert record.events[-1].detail == "site_specific: x"
    assert record.status().scope == "site_specific"


@pytest.mark.parametrize(
    ("events", "hint"),
    [
        (("schedule_review", "accept_as_defect", "schedule_fix", "release_fix"), "fix has been"),
        (("schedule_review", "reject"), "not to be a defect"),
    ],
)
def test_linking_is_refused_once_the_fix_is_released_or_not_a_defect(
    events: tuple[str, ...], hint: str
) -> None:
    record = decided(opened(), *events)
    before = list(record.events)

    with pytest.raises(ProblemClosed, match=hint) as refused:
        record.link(LinkCase(case_reference="INC-9", priority=Priority.P1), LATER)

    assert refused.value.type == "ProblemClosed"
    assert "problem PRB-1 is closed" in str(refused.value) and "INC-9" in str(refused.value)
    assert record.events == before and record.links == []


def test_the_problem_takes_the_highest_priority_of_its_open_linked_cases() -> None:
    record = linked(("INC-1", Priority.P3))

    record.link(LinkCase(case_reference="INC-2", priority=Priority.P1), NOW)
    raised = record.priority
    closes(record, "INC-2")

    assert (raised, record.priority) == (Priority.P1, Priority.P3)
    changes = [e.detail for e in record.events if e.kind is ProblemEventKind.PRIORITY_CHANGED]
    # The first case sets it without a change; each change names the case that made it.
    assert changes == ["P3 -> P1 (INC-2)", "P1 -> P3 (INC-2)"]


def test_a_linked_case_changing_priority_re_ranks_the_problem_and_a_stranger_is_ignored() -> None:
    record = linked(("INC-1", Priority.P3))

    assert record.take_change(change("INC-1", Priority.P2), LATER) is True
    assert record.take_change(change("INC-1", Priority.P2), LATER) is False  # nothing new
    assert record.take_change(change("INC-7", Priority.P1), LATER) is False  # never linked

    assert record.priority is Priority.P2
    assert record.events[-1].detail == "P3 -> P2 (INC-1)"
    assert [(c.reference, c.priority) for c in record.links] == [("INC-1", Priority.P2)]


def test_a_case_linked_again_unchanged_changes_nothing_and_a_closed_one_reopens() -> None:
    record = linked(("INC-1", Priority.P3))
    again = LinkCase(case_reference="INC-1", priority=Priority.P3)

    assert record.link(again, LATER) is False
    closes(record, "INC-1")
    assert record.link(again, LATER) is True

    [link] = record.links
    assert link.open and link.linked_at == NOW
    # The links are the record, compact (DESIGN §13): no line of text per link.
    assert ProblemEventKind.CASE_LINKED not in kinds(record)


def test_a_repeated_request_id_is_a_no_op() -> None:
    record = linked(("INC-1", Priority.P3))
    review = request("schedule_review")
    record.apply("schedule_review", review, NOW)
    before = (list(record.events), record.due(), list(record.request_ids))

    again = record.apply("schedule_review", review, LATER)

    assert again is False
    assert (record.events, record.due(), record.request_ids) == before
    record.check("schedule_review", review)  # still accepted, although no longer allowed


def test_news_a_closed_case_could_not_take_is_kept_in_the_log() -> None:
    record = decided(linked(("INC-1", Priority.P3)), "schedule_review")
    [delivery] = record.due()

    record.undelivered(delivery, "workflow not found", LATER)
    record.delivered(1)

    assert record.due() == []
    assert record.events[-1].kind is ProblemEventKind.NEWS_UNDELIVERED
    assert record.events[-1].detail == "INC-1: review_scheduled: workflow not found"


def test_a_continued_run_takes_over_the_whole_record() -> None:
    record = decided(linked(("INC-1", Priority.P2)), "schedule_review")
    accept = request("accept_as_defect", scope="site_specific", school_urn="123456")
    record.apply("accept_as_defect", accept, NOW)
    decided(record, "schedule_fix")

    continued = ProblemRecord.from_input(record.carried(history_threshold=30))

    assert continued == record
    assert continued.status() == record.status()
    assert record.carried(30).history_threshold == 30


def test_past_max_problem_links_a_new_case_is_refused_but_a_linked_one_may_change(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from domain import problem_record
    from domain.refusals import ProblemTooLarge

    monkeypatch.setattr(problem_record, "MAX_LINKS", 3)
    record = linked(("INC-1", Priority.P3), ("INC-2", Priority.P3), ("INC-3", Priority.P4))

    with pytest.raises(ProblemTooLarge, match=r"max_problem_links: problem .* holds 3"):
        record.check_link(LinkCase(case_reference="INC-4", priority=Priority.P2))
    # A case already linked may link again (it reopened, or its priority moved).
    assert record.link(LinkCase(case_reference="INC-1", priority=Priority.P1), NOW) is True
    assert [c.reference for c in record.links] == ["INC-1", "INC-2", "INC-3"]
    assert problem_record.SupportPolicy().max_problem_links == 5_000


# -- news for thousands of cases ------------------------------------------------------------


def test_news_is_owed_once_per_decision_and_told_in_batches_in_order() -> None:
    record = linked(*((f"INC-{n}", Priority.P3) for n in range(1, 8)))
    decided(record, "schedule_review")
    decided(record, "request_information")

    first = record.due(5)
    record.delivered(5)
    second = record.due(5)
    record.delivered(5)
    third = record.due(5)
    record.delivered(len(third))

    everyone = [f"INC-{n}" for n in range(1, 8)]
    told = [(d.case_reference, d.news.kind) for d in [*first, *second, *third]]
    assert told == [(ref, NewsKind.REVIEW_SCHEDULED) for ref in everyone] + [
        (ref, NewsKind.INFORMATION_NEEDED) for ref in everyone
    ]
    assert [len(first), len(second), len(third)] == [5, 5, 4]
    assert record.due() == [] and record.notices == []


def test_a_continued_run_carries_news_for_5000_cases_once_not_5000_times() -> None:
    record = linked(("INC-00000", Priority.P3))
    record.links += [  # as 4,999 more links leave them, faster
        LinkedCase(reference=f"INC-{n:05d}", priority=Priority.P3, linked_at=NOW)
        for n in range(1, 5_000)
    ]
    decided(record, "schedule_review")
    record.delivered(len(record.due()))
    asked = request("request_information", message="m" * 10_000)
    record.apply("request_information", asked, NOW)
    record.delivered(100)  # one batch told, then the run continues as new

    carried = record.carried()
    again = ProblemRecord.from_input(carried)

    assert len(again.due()) == 4_900
    assert again.due(1)[0].case_reference == "INC-00100"
    # Per case, the news was 10.5 KB each: 52 MB, past Temporal's 2 MiB payload limit.
    assert len(carried.model_dump_json()) < 512 * 1024


def test_a_run_of_0_2_that_carried_news_per_case_tells_it_first() -> None:
    record = linked(("INC-1", Priority.P3), ("INC-2", Priority.P3))
    decided(record, "schedule_review")
    owed = record.due()
    record.delivered(len(owed))
    decided(record, "request_information")
    legacy = record.carried().model_copy(update={"outbox": owed[1:]})

    again = ProblemRecord.from_input(legacy)

    assert [(d.case_reference, d.news.kind) for d in again.due()] == [
        ("INC-2", NewsKind.REVIEW_SCHEDULED),
        ("INC-1", NewsKind.INFORMATION_NEEDED),
        ("INC-2", NewsKind.INFORMATION_NEEDED),
    ]
