"""`sims-case --as ROLE:ID` against a running case (test server, no subprocess): each
command sends its actor, the workflows refuse what the actor may not do, and the exit
code says so; an integrator reads its own case without the desk's internal notes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from activities.ledger import Ledger
from domain.kpi_ledger import FeedbackRecord
from domain.models import CaseStatus, EventKind, Visibility
from sims_support.cli import case, change_request, problem, school
from sims_support.cli.exits import NO_SUCH_CASE, OK, REFUSED
from sims_support.cli.feedback import render_record
from sims_support.cli.main import build_parser, failure_for
from sims_support.cli.render import render_status
from sims_support.config import Settings
from tests.factories import intake, new_reference
from tests.workflows.helpers import until

pytestmark = pytest.mark.usefixtures("worker")

OWNER = "integrator:INT-042"  # the factory's case is INT-042's, at school 123456
MODULES: dict[str, Any] = {"problem": problem, "cr": change_request, "school": school}
ROLES = ("desk:", "integrator:", "school:", "product_manager:", "system:")


@dataclass
class Said:
    """What one `sims-case` command ended with: its exit code, and its answer or error."""

    code: int
    answer: Any = None
    error: Exception | None = None

    @property
    def kind(self) -> str | None:
        return failure_for(self.error).kind if self.error else None


@dataclass
class Sims:
    client: Client
    task_queue: str
    settings: Settings

    async def __call__(self, *argv: str) -> Said:
        args = build_parser().parse_args(argv)
        try:
            if args.command in MODULES:
                answer = await MODULES[args.command].run(self.client, args, self.task_queue)
            else:
                answer = await case.run(self.client, args, self.task_queue, self.settings)
        except Exception as err:  # what `main` turns into an exit code
            return Said(failure_for(err).code, error=err)
        return Said(OK, answer)

    async def status(self, reference: str, *flags: str) -> CaseStatus:
        said = await self(*flags, "status", reference)
        assert said.code == OK, said.error
        assert isinstance(said.answer, CaseStatus)
        return said.answer


@pytest.fixture
def sims(client: Client, task_queue: str, ledger: Ledger) -> Iterator[Sims]:
    url = ledger.url.render_as_string(hide_password=False)
    yield Sims(client, task_queue, Settings(ledger_url=url, webhook_url=None))


async def opened(sims: Sims, env: WorkflowEnvironment, tmp_path: Path) -> str:
    """A case of INT-042's, opened by the desk (the default actor) from its intake file."""
    found = intake(reference=new_reference(), logged_at=await env.get_current_time())
    path = tmp_path / f"{found.reference}.json"
    path.write_text(found.model_dump_json())
    said = await sims("open", "--file", str(path))
    assert said.code == OK, said.error
    return found.reference


async def acknowledged(sims: Sims, env: WorkflowEnvironment, tmp_path: Path) -> str:
    reference = await opened(sims, env, tmp_path)
    said = await sims("acknowledge", reference)
    assert said.code == OK, said.error
    return reference


async def offered(sims: Sims, env: WorkflowEnvironment, tmp_path: Path) -> str:
    reference = await acknowledged(sims, env, tmp_path)
    said = await sims("offer", reference, "--kind", "advice", "--summary", "re-run the sync")
    assert said.code == OK, said.error
    return reference


async def test_an_integrator_cannot_acknowledge_and_is_told_so_with_exit_3(
    sims: Sims, env: WorkflowEnvironment, tmp_path: Path
) -> None:
    reference = await opened(sims, env, tmp_path)

    said = await sims("--as", OWNER, "acknowledge", reference)

    assert (said.code, said.kind) == (REFUSED, "NotAllowed")
    assert "an integrator cannot acknowledge a case" in str(said.error)


async def test_another_integrator_cannot_accept_nor_see_the_case_exit_4_as_for_none(
    sims: Sims, env: WorkflowEnvironment, tmp_path: Path
) -> None:
    reference = await offered(sims, env, tmp_path)

    accepted = await sims("--as", "integrator:OTHER", "accept", reference)
    shown = await sims("--as", "integrator:OTHER", "status", reference)
    school_data = await sims("--as", "school:654321", "school", "status", reference)

    assert (accepted.code, accepted.kind) == (NO_SUCH_CASE, "NotYourCase")
    assert (shown.code, shown.kind) == (NO_SUCH_CASE, "NotYourCase")
    assert (school_data.code, school_data.kind) == (NO_SUCH_CASE, "NotYourCase")
    assert (await sims.status(reference)).state == "resolution_offered"


async def test_the_owner_accepts_and_the_timeline_says_who(
    sims: Sims, env: WorkflowEnvironment, tmp_path: Path
) -> None:
    reference = await offered(sims, env, tmp_path)

    said = await sims("--as", f"{OWNER}:Priya Shah", "accept", reference)

    assert said.code == OK, said.error
    accepted = next(e for e in said.answer.timeline if e.kind is EventKind.ACCEPTED)
    assert (accepted.actor.role.value, accepted.actor.id, accepted.actor.name) == (
        "integrator",
        "INT-042",
        "Priya Shah",
    )


async def test_an_internal_note_is_the_desks_alone(
    sims: Sims, env: WorkflowEnvironment, tmp_path: Path
) -> None:
    reference = await acknowledged(sims, env, tmp_path)
    noted = await sims("note", reference, "--message", "Vendor log: the proxy", "--internal")
    told = await sims("note", reference, "--message", "We are looking at it")
    assert noted.code == told.code == OK

    integrators = await sims.status(reference, "--as", OWNER, "--json")
    desks = await sims.status(reference)

    assert "Vendor log: the proxy" not in integrators.model_dump_json()
    assert "We are looking at it" in integrators.model_dump_json()
    assert all(e.visibility is Visibility.PUBLIC for e in integrators.timeline)
    assert len(desks.timeline) == len(integrators.timeline) + 1
    text = render_status(desks)
    assert "updated [internal]" in text and "Vendor log: the proxy" in text


async def test_every_timeline_line_shows_its_actor(
    sims: Sims, env: WorkflowEnvironment, tmp_path: Path
) -> None:
    reference = await acknowledged(sims, env, tmp_path)
    pat = ("--as", "desk:PST-017:Pat Jones")
    assert (await sims(*pat, "update", reference, "--message", "a fix soon")).code == OK
    assert (await sims("--as", OWNER, "feedback", reference, "--rating", "5")).code == OK

    text = render_status(await sims.status(reference))

    timeline = text.split("timeline (London)", 1)[1].splitlines()[1:]
    assert len(timeline) == 4
    assert all(any(role in line for role in ROLES) for line in timeline), timeline
    assert "desk:PST-017 (Pat Jones)" in text


async def test_feedback_on_an_open_case_goes_to_the_case_from_its_integrator_only(
    sims: Sims, env: WorkflowEnvironment, tmp_path: Path
) -> None:
    reference = await opened(sims, env, tmp_path)

    given = await sims("--as", OWNER, "feedback", reference, "--rating", "4", "--comment", "ok")
    by_desk = await sims("feedback", reference, "--rating", "1")

    assert given.code == OK, given.error
    assert isinstance(given.answer, CaseStatus)
    event = given.answer.timeline[-1]
    assert (event.kind, event.actor.id) == (EventKind.FEEDBACK_GIVEN, "INT-042")
    assert (by_desk.code, by_desk.kind) == (REFUSED, "NotAllowed")


async def test_feedback_on_a_resolved_case_is_recorded_in_the_ledger(
    sims: Sims, env: WorkflowEnvironment, tmp_path: Path, ledger: Ledger
) -> None:
    reference = await offered(sims, env, tmp_path)
    assert (await sims("--as", OWNER, "accept", reference)).code == OK
    await until(lambda: getattr(ledger.case(reference), "state", None) == "resolved")

    said = await sims(
        *("--as", OWNER, "feedback", reference, "--rating", "5", "--request-id", "fb-1")
    )

    assert said.code == OK, said.error
    record = said.answer
    assert isinstance(record, FeedbackRecord)
    assert (record.rating, record.by_id, record.after_resolution) == (5, "INT-042", True)
    assert "feedback recorded in the KPI ledger" in render_record(record, as_json=False)
    assert [r.key for r in ledger.feedback_on(reference)] == ["fb-1"]


async def test_feedback_from_another_integrator_on_a_resolved_case_is_exit_4(
    sims: Sims, env: WorkflowEnvironment, tmp_path: Path, ledger: Ledger
) -> None:
    reference = await offered(sims, env, tmp_path)
    assert (await sims("--as", OWNER, "accept", reference)).code == OK
    await until(lambda: getattr(ledger.case(reference), "state", None) == "resolved")

    said = await sims("--as", "integrator:OTHER", "feedback", reference, "--rating", "1")

    assert (said.code, said.kind) == (NO_SUCH_CASE, "NotYourCase")
    assert ledger.feedback_on(reference) == []


async def test_a_problem_is_the_desks_to_decide(
    sims: Sims, env: WorkflowEnvironment, tmp_path: Path
) -> None:
    reference = new_reference("PRB")
    assert (await sims("problem", "open", reference, "--summary", "Census export")).code == OK

    said = await sims("--as", OWNER, "problem", "review", reference)

    assert (said.code, said.kind) == (REFUSED, "NotAllowed")


async def test_an_integrator_opening_a_case_for_another_integrator_is_refused_naming_the_id(
    sims: Sims, env: WorkflowEnvironment, tmp_path: Path
) -> None:
    found = intake(reference=new_reference(), logged_at=await env.get_current_time())
    path = tmp_path / "theirs.json"
    path.write_text(found.model_dump_json())

    said = await sims("--as", "integrator:INT-999", "open", "--file", str(path))

    assert (said.code, said.kind) == (REFUSED, "NotAllowed")
    assert "integrator.id" in str(said.error)
