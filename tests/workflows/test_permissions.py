"""DESIGN §12's permission table, row by row, both ways, through the public updates on the
time-skipping server: each role it names is accepted; every other role is refused
`NotAllowed` (another integrator or school `NotYourCase`), and a refusal leaves no trace
in the workflow's history.

The expected roles are written out here from DESIGN §12, not read from
`domain.actors.PERMISSIONS`: the table in the code is what is under test.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowFailureError
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from domain import models as m
from domain import problems as p
from domain import school_data as s
from domain.actors import Actor, Role
from domain.change_requests import (
    Decision,
    Deliver,
    MarkDuplicate,
    OpenChangeRequest,
    Plan,
    Review,
    Unvote,
    Vote,
)
from domain.models import OpenCase
from domain.problem_links import ProblemInput
from sims_support.client import calls, cases, change_requests, problems, school
from sims_support.client.errors import ClientError
from tests.factories import DESK, PRODUCT_MANAGER, intake, new_reference
from tests.workflows.helpers import request_id
from workflows import contract

pytestmark = pytest.mark.usefixtures("worker")

INTEGRATOR = Actor(role=Role.INTEGRATOR, id="INT-042")  # the factory's case is INT-042's
SCHOOL = Actor(role=Role.SCHOOL, id="123456")  # ... and school 123456's
OTHER_INTEGRATOR = Actor(role=Role.INTEGRATOR, id="INT-999")
OTHER_SCHOOL = Actor(role=Role.SCHOOL, id="654321")
ACTORS = {
    "desk": DESK,
    "integrator": INTEGRATOR,
    "school": SCHOOL,
    "product_manager": PRODUCT_MANAGER,
}
ANSWERS = {"desk", "integrator", "school"}
SSU = {"name": "Sam Okafor", "email": "ssu@hilltop.example", "role": "school_support_unit"}

Make = Callable[[], Any]


def _offer() -> m.OfferResolution:
    return m.OfferResolution(request_id=request_id(), kind="advice", summary="re-run the sync")


def _ack() -> m.Acknowledge:
    return m.Acknowledge(request_id=request_id())


def _ask() -> m.RequestInformation:
    return m.RequestInformation(request_id=request_id(), message="which build?")


def _copy() -> s.RequestSchoolData:
    return s.RequestSchoolData(request_id="copy-1", purpose="reproduce it")


def _share() -> s.RequestPartnerAccess:
    return s.RequestPartnerAccess(
        request_id="share-1", partner="Offshore Ltd", country="IN", purpose="reproduce it"
    )


def _approve(approver: str) -> Make:
    return lambda: s.ApprovePartnerAccess(
        request_id=request_id(), access_request_id="share-1", approver=approver, approved_by="x"
    )


def _refuse(approver: str) -> Make:
    return lambda: s.RefusePartnerAccess(
        request_id=request_id(),
        access_request_id="share-1",
        approver=approver,
        refused_by="x",
        reason="no agreement",
    )


# event -> (who may, the desk's steps before it, the request, the case logged by the school)
CASE_ROWS: dict[str, tuple[set[str], list[tuple[str, Make]], Make, bool]] = {
    "acknowledge": ({"desk"}, [], _ack, False),
    "post_update": (
        {"desk"},
        [("acknowledge", _ack)],
        lambda: m.PostUpdate(request_id=request_id(), message="still looking"),
        False,
    ),
    "request_information": ({"desk"}, [("acknowledge", _ack)], _ask, False),
    "provide_information": (
        ANSWERS,
        [("acknowledge", _ack), ("request_information", _ask)],
        lambda: m.ProvideInformation(request_id=request_id(), message="7.219"),
        False,
    ),
    "change_priority": (
        {"desk"},
        [("acknowledge", _ack)],
        lambda: m.ChangePriority(request_id=request_id(), impact=2, urgency=2, reason="wider"),
        False,
    ),
    "escalate_to_problem": (
        {"desk"},
        [("acknowledge", _ack)],
        lambda: m.EscalateToProblem(
            request_id=request_id(), problem_reference=new_reference("PRB")
        ),
        False,
    ),
    "offer_resolution": ({"desk"}, [("acknowledge", _ack)], _offer, False),
    "accept_resolution": (
        ANSWERS,
        [("acknowledge", _ack), ("offer_resolution", _offer)],
        lambda: m.AcceptResolution(request_id=request_id()),
        False,
    ),
    "reopen": (
        ANSWERS,
        [("acknowledge", _ack), ("offer_resolution", _offer)],
        lambda: m.Reopen(request_id=request_id(), reason="still failing"),
        False,
    ),
    "withdraw": (
        ANSWERS,
        [("acknowledge", _ack)],
        lambda: m.Withdraw(request_id=request_id(), reason="fixed itself"),
        False,
    ),
    "give_feedback": (
        {"integrator", "school"},
        [("acknowledge", _ack)],
        lambda: m.GiveFeedback(request_id=request_id(), rating=4, comment="quick answer"),
        False,
    ),
    "request_school_data": ({"desk"}, [], _copy, True),
    "record_data_transfer": (
        {"desk"},
        [("request_school_data", _copy)],
        lambda: s.RecordDataTransfer(
            request_id=request_id(), data_request_id="copy-1", sftp_reference="sftp://x/1.bak"
        ),
        True,
    ),
    "request_partner_access": ({"desk"}, [("request_school_data", _copy)], _share, True),
}
SHARED = [("request_school_data", _copy), ("request_partner_access", _share)]


def _payload_ids(history: Any) -> list[str]:
    """The request id of every update the history accepted."""
    ids = []
    for event in history.events:
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
            accepted = event.workflow_execution_update_accepted_event_attributes
            for payload in accepted.accepted_request.input.args.payloads:
                body = json.loads(payload.data)
                if isinstance(body, dict) and "request_id" in body:
                    ids.append(body["request_id"])
    return ids


async def _open(env: WorkflowEnvironment, client: Client, queue: str, by_school: bool) -> OpenCase:
    case = intake(
        logged_at=await env.get_current_time(), **({"reporter": SSU} if by_school else {})
    )
    await cases.open_case(client, case, opened_by=DESK, task_queue=queue)
    return case


async def _send(client: Client, reference: str, event: str, req: Any, actor: Actor) -> Any:
    if event in school.EVENTS:
        return await school.send(client, reference, event, req, actor=actor)
    return await cases.send(client, reference, event, req, actor=actor)


async def _close(client: Client, reference: str) -> None:
    status = await cases.status(client, reference)
    if status.state not in ("resolved", "withdrawn"):
        end = m.Withdraw(request_id=request_id(), reason="test over")
        await cases.send(client, reference, "withdraw", end, actor=DESK)
    await cases.handle_for(client, reference).result()


async def _refused(
    client: Client, reference: str, event: str, req: Any, actor: Actor, expected: str
) -> None:
    with pytest.raises(ClientError) as refused:
        await _send(client, reference, event, req, actor)
    assert refused.value.type == expected, refused.value
    history = await cases.handle_for(client, reference).fetch_history()
    assert req.request_id not in _payload_ids(history), "a refusal left a trace in history"


@pytest.mark.parametrize("event", sorted(CASE_ROWS))
async def test_each_case_row_accepts_its_roles_and_refuses_every_other(
    env: WorkflowEnvironment, client: Client, task_queue: str, event: str
) -> None:
    allowed, steps, make, by_school = CASE_ROWS[event]
    for role, actor in ACTORS.items():
        case = await _open(env, client, task_queue, by_school)
        for step, build in steps:
            await _send(client, case.reference, step, build(), DESK)
        if role in ("integrator", "school") and role in allowed:
            other = OTHER_INTEGRATOR if role == "integrator" else OTHER_SCHOOL
            await _refused(client, case.reference, event, make(), other, "NotYourCase")
        req = make()
        if role in allowed:
            await _send(client, case.reference, event, req, actor)
            history = await cases.handle_for(client, case.reference).fetch_history()
            assert req.request_id in _payload_ids(history)
            timeline = (await cases.status(client, case.reference)).timeline
            assert actor in [e.actor for e in timeline], f"{role}'s {event} not recorded as theirs"
        else:
            await _refused(client, case.reference, event, req, actor, "NotAllowed")
        await _close(client, case.reference)


@pytest.mark.parametrize("decision", ["approve", "refuse"])
async def test_partner_access_is_decided_by_the_school_as_school_or_the_integrator_as_integrator(
    env: WorkflowEnvironment, client: Client, task_queue: str, decision: str
) -> None:
    event = f"{decision}_partner_access"
    build = _approve if decision == "approve" else _refuse
    attempts = [
        (SCHOOL, "school", None),
        (INTEGRATOR, "integrator", None),
        (SCHOOL, "integrator", "NotAllowed"),  # a school cannot decide as the integrator
        (INTEGRATOR, "school", "NotAllowed"),
        (DESK, "school", "NotAllowed"),
        (PRODUCT_MANAGER, "school", "NotAllowed"),
        (OTHER_SCHOOL, "school", "NotYourCase"),
        (OTHER_INTEGRATOR, "integrator", "NotYourCase"),
    ]
    for actor, approver, expected in attempts:
        case = await _open(env, client, task_queue, by_school=True)
        for step, make in SHARED:
            await _send(client, case.reference, step, make(), DESK)
        req = build(approver)()
        if expected is None:
            data = await school.send(client, case.reference, event, req, actor=actor)
            assert data.partner_access[0].state.value in ("approved", "refused")
        else:
            await _refused(client, case.reference, event, req, actor, expected)
            assert (await school.status(client, case.reference)).partner_access[
                0
            ].state == "pending"
        await _close(client, case.reference)


@pytest.mark.parametrize("event", ["accept_resolution", "reopen", "withdraw"])
async def test_another_integrators_answer_is_refused_as_if_the_case_did_not_exist(
    env: WorkflowEnvironment, client: Client, task_queue: str, event: str
) -> None:
    """The misuse of 0.1 replayed: one integrator accepting, reopening or withdrawing
    another's case; refused `NotYourCase` while it runs and once it has closed."""
    _, steps, make, _ = CASE_ROWS[event]
    case = await _open(env, client, task_queue, by_school=False)
    for step, build in steps:
        await _send(client, case.reference, step, build(), DESK)
    await _refused(client, case.reference, event, make(), OTHER_INTEGRATOR, "NotYourCase")
    await _close(client, case.reference)
    with pytest.raises(ClientError) as closed:
        await _send(client, case.reference, event, make(), OTHER_INTEGRATOR)
    assert closed.value.type == "NotYourCase"
    with pytest.raises(ClientError) as own:  # the case's own integrator learns it closed
        await _send(client, case.reference, event, make(), INTEGRATOR)
    assert own.value.type in ("CaseClosed", "ReopenWindowClosed")


async def test_a_request_without_an_actor_is_refused_naming_it(
    env: WorkflowEnvironment, client: Client, task_queue: str
) -> None:
    case = await _open(env, client, task_queue, by_school=False)
    handle = cases.handle_for(client, case.reference)
    with pytest.raises(ClientError) as refused:
        await cases.send(client, case.reference, "acknowledge", _ack())
    assert refused.value.type == "InvalidInput"
    assert str(refused.value).startswith("actor:") or "actor:" in str(refused.value)
    system = Actor(role=Role.SYSTEM, id="system")
    await _refused(client, case.reference, "acknowledge", _ack(), system, "NotAllowed")
    assert (await cases.status(client, case.reference)).state == "logged"
    assert _payload_ids(await handle.fetch_history()) == []
    await _close(client, case.reference)


# -- opening ------------------------------------------------------------------------------


OPENINGS: list[tuple[str, Actor | None, dict[str, Any], str | None]] = [
    ("the desk, for any integrator (a phone call)", DESK, {}, None),
    ("the integrator, its own case", INTEGRATOR, {}, None),
    ("the school, its own case through its support unit", SCHOOL, {"reporter": SSU}, None),
    ("an integrator, another's case", OTHER_INTEGRATOR, {}, "NotAllowed"),
    ("an integrator, as the school's support unit", INTEGRATOR, {"reporter": SSU}, "NotAllowed"),
    ("a school, as an integrator reporter", SCHOOL, {}, "NotAllowed"),
    ("a school, another school's case", OTHER_SCHOOL, {"reporter": SSU}, "NotAllowed"),
    ("a product manager", PRODUCT_MANAGER, {}, "NotAllowed"),
    ("nobody", None, {}, "InvalidInput"),
]


@pytest.mark.parametrize(
    ("who", "actor", "fields", "expected"), OPENINGS, ids=[o[0] for o in OPENINGS]
)
async def test_who_may_open_a_case(
    env: WorkflowEnvironment,
    client: Client,
    task_queue: str,
    who: str,
    actor: Actor | None,
    fields: dict[str, Any],
    expected: str | None,
) -> None:
    case = intake(logged_at=await env.get_current_time(), **fields)
    if expected is None:
        opened = await cases.open_case(client, case, opened_by=actor, task_queue=task_queue)
        assert opened.timeline[0].actor == actor
        await _close(client, case.reference)
        return
    with pytest.raises(ClientError) as refused:
        await cases.open_case(client, case, opened_by=actor, task_queue=task_queue)
    assert refused.value.type == expected, refused.value
    if expected == "InvalidInput":
        assert "opened_by" in str(refused.value)


@pytest.mark.parametrize(
    ("actor", "expected"),
    [
        (DESK, None),
        (INTEGRATOR, "NotAllowed"),
        (SCHOOL, "NotAllowed"),
        (PRODUCT_MANAGER, "NotAllowed"),
    ],
)
async def test_only_the_desk_opens_a_problem(
    client: Client, task_queue: str, actor: Actor, expected: str | None
) -> None:
    opening = p.OpenProblem(reference=new_reference("PRB"), summary="Behaviour API times out")
    if expected is None:
        opened = await problems.open_problem(
            client, opening, opened_by=actor, task_queue=task_queue
        )
        assert opened.timeline[0].actor == actor
        reject = [("schedule_review", p.ScheduleReview), ("reject", p.Reject)]
        for event, model in reject:
            extra = {"reason": "not a defect"} if model is p.Reject else {}
            await problems.send(
                client,
                opening.reference,
                event,
                model(request_id=request_id(), **extra),
                actor=DESK,
            )
        return
    with pytest.raises(ClientError) as refused:
        await problems.open_problem(client, opening, opened_by=actor, task_queue=task_queue)
    assert refused.value.type == expected


async def test_an_opening_refused_before_opened_arrives_still_reads_as_its_refusal(
    client: Client, task_queue: str
) -> None:
    # open_problem's race, made certain: the run refuses its opener and fails before the
    # `opened` update reaches it (CI once saw `ProblemClosed` here). Then the update finds
    # no running workflow, and the client learns why from the failed run, as open_problem
    # does; a later decision is told the problem has ended.
    opening = p.OpenProblem(reference=new_reference("PRB"), summary="Behaviour API times out")
    started = await client.start_workflow(
        contract.PROBLEM_WORKFLOW,
        ProblemInput(opening=opening, opened_by=SCHOOL),
        id=contract.problem_workflow_id(opening.reference),
        task_queue=task_queue,
    )
    with pytest.raises(WorkflowFailureError):
        await started.result()
    with pytest.raises(RPCError) as unanswered:  # no running workflow to take it
        await started.execute_update(contract.OPENED)

    told = await calls.explain(
        started, problems.PROBLEM, opening.reference, unanswered.value, contract.OPENED
    )
    with pytest.raises(ClientError) as later:
        await problems.send(
            client,
            opening.reference,
            "schedule_review",
            p.ScheduleReview(request_id=request_id()),
            actor=DESK,
        )

    assert told.type == "NotAllowed"
    assert later.value.type == "ProblemClosed"
    assert "has failed (NotAllowed)" in str(later.value)


# -- problems: every decision is the desk's -------------------------------------------------

PROBLEM_STEPS: list[tuple[str, Make]] = [
    (
        "request_information",
        lambda: p.RequestInformation(request_id=request_id(), message="build?"),
    ),
    ("schedule_review", lambda: p.ScheduleReview(request_id=request_id())),
    ("accept_as_defect", lambda: p.AcceptAsDefect(request_id=request_id())),
    (
        "schedule_fix",
        lambda: p.ScheduleFix(request_id=request_id(), vehicle="hotfix", target_version="7.2"),
    ),
    ("release_fix", lambda: p.ReleaseFix(request_id=request_id())),
]


async def test_every_problem_decision_is_the_desks_alone(client: Client, task_queue: str) -> None:
    reference = new_reference("PRB")
    opening = p.OpenProblem(reference=reference, summary="Behaviour API times out")
    await problems.open_problem(client, opening, opened_by=DESK, task_queue=task_queue)
    handle = problems.handle_for(client, reference)
    for event, make in PROBLEM_STEPS:
        for actor in (INTEGRATOR, SCHOOL, PRODUCT_MANAGER):
            req = make()
            with pytest.raises(ClientError) as refused:
                await problems.send(client, reference, event, req, actor=actor)
            assert refused.value.type == "NotAllowed"
            assert req.request_id not in _payload_ids(await handle.fetch_history())
        done = await problems.send(client, reference, event, make(), actor=DESK)
        assert done.timeline[-1].actor == DESK
    assert (await problems.status(client, reference)).state == "fix_released"
    # ... and `reject`, refused to all but the desk on a second problem.
    other = p.OpenProblem(reference=new_reference("PRB"), summary="Behaviour API slow")
    await problems.open_problem(client, other, opened_by=DESK, task_queue=task_queue)
    review = p.ScheduleReview(request_id=request_id())
    await problems.send(client, other.reference, "schedule_review", review, actor=DESK)
    for actor in (INTEGRATOR, SCHOOL, PRODUCT_MANAGER):
        with pytest.raises(ClientError) as refused:
            reject = p.Reject(request_id=request_id(), reason="not a defect")
            await problems.send(client, other.reference, "reject", reject, actor=actor)
        assert refused.value.type == "NotAllowed"
    reject = p.Reject(request_id=request_id(), reason="not a defect")
    assert (
        await problems.send(client, other.reference, "reject", reject, actor=DESK)
    ).state == "not_a_defect"


# -- change requests: votes are the integrators' own, decisions the product managers' -------


async def _raise(
    env: WorkflowEnvironment, client: Client, queue: str, actor: Actor, raised_by: str
) -> str:
    request = OpenChangeRequest(
        reference=new_reference("CR"),
        title="Expose attendance codes",
        raised_by=raised_by,
        raised_at=await env.get_current_time(),
    )
    await change_requests.open_change_request(client, request, opened_by=actor, task_queue=queue)
    return request.reference


async def _reject_cr(client: Client, reference: str) -> None:
    no = Decision(request_id=request_id(), decided_by="pm-ann", reason="test over")
    await change_requests.send(client, reference, "reject", no, actor=PRODUCT_MANAGER)
    await change_requests.handle_for(client, reference).result()


@pytest.mark.parametrize(
    ("actor", "raised_by", "expected"),
    [
        (DESK, "INT-042", None),
        (INTEGRATOR, "INT-042", None),
        (INTEGRATOR, "INT-007", "NotAllowed"),
        (SCHOOL, "INT-042", "NotAllowed"),
        (PRODUCT_MANAGER, "INT-042", "NotAllowed"),
    ],
)
async def test_who_may_raise_a_change_request(
    env: WorkflowEnvironment,
    client: Client,
    task_queue: str,
    actor: Actor,
    raised_by: str,
    expected: str | None,
) -> None:
    if expected is None:
        reference = await _raise(env, client, task_queue, actor, raised_by)
        assert (await change_requests.status(client, reference)).timeline[0].actor == actor
        await _reject_cr(client, reference)
        return
    with pytest.raises(ClientError) as refused:
        await _raise(env, client, task_queue, actor, raised_by)
    assert refused.value.type == expected


async def test_a_vote_is_the_integrators_own_and_decisions_are_the_product_managers(
    env: WorkflowEnvironment, client: Client, task_queue: str
) -> None:
    reference = await _raise(env, client, task_queue, DESK, "INT-042")
    handle = change_requests.handle_for(client, reference)
    votes = [
        ("vote", Vote(request_id=request_id(), integrator_id="INT-042"), INTEGRATOR, None),
        ("vote", Vote(request_id=request_id(), integrator_id="INT-007"), INTEGRATOR, "NotAllowed"),
        ("vote", Vote(request_id=request_id(), integrator_id="INT-042"), DESK, "NotAllowed"),
        ("vote", Vote(request_id=request_id(), integrator_id="123456"), SCHOOL, "NotAllowed"),
        (
            "unvote",
            Unvote(request_id=request_id(), integrator_id="INT-042"),
            OTHER_INTEGRATOR,
            "NotAllowed",
        ),
        (
            "unvote",
            Unvote(request_id=request_id(), integrator_id="INT-042"),
            PRODUCT_MANAGER,
            "NotAllowed",
        ),
    ]
    for event, req, actor, expected in votes:
        if expected is None:
            await change_requests.send(client, reference, event, req, actor=actor)
            continue
        with pytest.raises(ClientError) as refused:
            await change_requests.send(client, reference, event, req, actor=actor)
        assert refused.value.type == expected, (event, actor)
        assert req.request_id not in _payload_ids(await handle.fetch_history())
    assert (await change_requests.status(client, reference)).voters == ["INT-042"]

    def pm(model: type[Decision], **fields: Any) -> Any:
        return model(request_id=request_id(), decided_by="pm-ann", reason="why", **fields)

    decisions: list[tuple[str, Make]] = [
        ("review", lambda: pm(Review)),
        ("consider", lambda: pm(Decision)),
        ("plan", lambda: pm(Plan, target_release="7.230")),
        ("deliver", lambda: pm(Deliver, release_version="7.230")),
    ]
    for event, make in decisions:
        for actor in (DESK, INTEGRATOR, SCHOOL):
            req = make()
            with pytest.raises(ClientError) as refused:
                await change_requests.send(client, reference, event, req, actor=actor)
            assert refused.value.type == "NotAllowed", (event, actor)
        decided = await change_requests.send(
            client, reference, event, make(), actor=PRODUCT_MANAGER
        )
        assert decided.timeline[-1].actor == PRODUCT_MANAGER
    assert (await handle.result()).state == "delivered"
    for event, make in [
        ("reject", lambda: pm(Decision)),
        ("mark_duplicate", lambda: pm(MarkDuplicate, workaround="map by hand")),
    ]:
        again = await _raise(env, client, task_queue, DESK, "INT-042")
        with pytest.raises(ClientError) as refused:
            await change_requests.send(client, again, event, make(), actor=DESK)
        assert refused.value.type == "NotAllowed"
        await change_requests.send(client, again, event, make(), actor=PRODUCT_MANAGER)
        await change_requests.handle_for(client, again).result()
