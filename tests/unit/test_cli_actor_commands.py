"""The commands of "who did what": `note`, `feedback`, what an actor lists and opens, how
a refusal of the actor maps to an exit code, and the timeline's actor column."""

from __future__ import annotations

import argparse
import datetime as dt
import re

import pytest

from domain.actors import Actor, Role
from domain.change_requests import ChangeRequestStatus, CrEvent, CrEventKind
from domain.kpi_ledger import FeedbackRecord
from domain.models import (
    CaseEvent,
    CaseType,
    EventKind,
    FeedbackEscalation,
    GiveFeedback,
    OpenCase,
    PostUpdate,
    Priority,
    Visibility,
)
from domain.problems import ProblemEvent, ProblemEventKind, ProblemScope, ProblemStatus
from sims_support.cli.case import COMMANDS, NOTES, cases_query, in_command_words
from sims_support.cli.change_request_render import render_cr
from sims_support.cli.common import read_request
from sims_support.cli.examples import example
from sims_support.cli.exits import BAD_INPUT, NO_SUCH_CASE, REFUSED, Failure
from sims_support.cli.feedback import render_record
from sims_support.cli.main import build_parser, failure_for
from sims_support.cli.problem import render_problem
from sims_support.cli.render import render_status
from sims_support.client.errors import Refused
from tests.unit.test_cli_render import a_status

AT = dt.datetime(2026, 11, 30, 10, 0, tzinfo=dt.UTC)
DESK = Actor(role=Role.DESK, id="PST-017", name="Pat Jones")
INTEGRATOR = Actor(role=Role.INTEGRATOR, id="INT-042")
SCHOOL = Actor(role=Role.SCHOOL, id="123456")


def parse(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(argv)


def cells(line: str) -> list[str]:
    """A table line's cells: columns are two or more spaces apart."""
    return re.split(r"\s{2,}", line.strip())


def test_a_note_is_public_unless_it_is_internal() -> None:
    public = read_request(parse("note", "INC-1", "--message", "seen"), NOTES["note"])
    internal = read_request(
        parse("note", "INC-1", "--message", "proxy?", "--internal"), NOTES["note"]
    )

    assert isinstance(public, PostUpdate) and public.visibility is Visibility.PUBLIC
    assert isinstance(internal, PostUpdate) and internal.visibility is Visibility.INTERNAL
    assert NOTES["note"].update == COMMANDS["update"].update == "post_update"


def test_feedback_reads_its_rating_comment_and_escalation() -> None:
    args = parse(
        *("feedback", "INC-1", "--rating", "2", "--comment", "slow"),
        *("--escalate", "customer_care"),
    )

    request = read_request(args, COMMANDS["feedback"])

    assert isinstance(request, GiveFeedback)
    assert (request.rating, request.comment) == (2, "slow")
    assert request.escalate is FeedbackEscalation.CUSTOMER_CARE
    plain = parse("feedback", "INC-1", "--rating", "5", "--request-id", "fb-1")
    assert read_request(plain, COMMANDS["feedback"]) == GiveFeedback(request_id="fb-1", rating=5)


def test_a_rating_outside_one_to_five_names_the_flag() -> None:
    with pytest.raises(Failure, match=r"^--rating: .*less than or equal to 5") as refused:
        read_request(parse("feedback", "INC-1", "--rating", "6"), COMMANDS["feedback"])
    assert refused.value.code == BAD_INPUT
    with pytest.raises(Failure, match="invalid choice: 'ceo'"):
        parse("feedback", "INC-1", "--rating", "1", "--escalate", "ceo")


def test_a_refusal_of_give_feedback_is_said_as_the_command() -> None:
    assert in_command_words("give_feedback is not allowed") == "feedback is not allowed"


@pytest.mark.parametrize(
    ("kind", "code"),
    [("NotAllowed", REFUSED), ("NotYourCase", NO_SUCH_CASE), ("InvalidInput", BAD_INPUT)],
)
def test_a_refusal_of_the_actor_has_the_exit_code_of_its_kind(kind: str, code: int) -> None:
    failure = failure_for(Refused(kind, "actor: an integrator cannot acknowledge a case"))

    assert (failure.code, failure.kind) == (code, kind)


def test_an_integrator_lists_its_own_cases_only() -> None:
    mine = cases_query(parse("list"), INTEGRATOR)

    assert mine.endswith('IntegratorId = "INT-042"')
    with pytest.raises(Failure, match=r"^--integrator: integrator INT-042 lists its own"):
        cases_query(parse("list", "--integrator", "INT-999"), INTEGRATOR)
    assert cases_query(parse("list", "--integrator", "INT-999"), DESK).endswith('"INT-999"')


def test_a_school_lists_its_own_cases_only() -> None:
    assert cases_query(parse("list", "--late"), SCHOOL).endswith('SchoolUrn = "123456"')


def test_an_example_opened_by_an_integrator_or_a_school_is_its_own_case() -> None:
    desk = OpenCase.model_validate(example("p3-enquiry", AT, opener=DESK))
    integrator = OpenCase.model_validate(
        example("p3-enquiry", AT, opener=Actor(role=Role.INTEGRATOR, id="INT-7"))
    )
    school = OpenCase.model_validate(
        example("p3-enquiry", AT, opener=Actor(role=Role.SCHOOL, id="654321"))
    )

    assert desk.integrator.id == "INT-042" and desk.reporter.role == "integrator"
    assert integrator.integrator.id == "INT-7"
    assert (school.school.urn, school.reporter.role) == ("654321", "school_support_unit")


def test_each_timeline_line_shows_its_actor_and_internal_notes_are_marked() -> None:
    status = a_status(
        timeline=[
            CaseEvent(kind=EventKind.LOGGED, at=AT, actor=INTEGRATOR),
            CaseEvent(kind=EventKind.UPDATED, at=AT, detail="proxy?", actor=DESK,
                      visibility=Visibility.INTERNAL),
            CaseEvent(kind=EventKind.UPDATED, at=AT, detail="an old one"),
        ]
    )  # fmt: skip

    header, *lines = [cells(line) for line in render_status(status).splitlines()[-4:]]

    assert header == ["timeline (London)", "event", "actor", "detail"]
    assert lines[0][1:] == ["logged", "integrator:INT-042"]
    assert lines[1][1:] == ["updated [internal]", "desk:PST-017 (Pat Jones)", "proxy?"]
    assert lines[2][1:] == ["updated", "an old one"]  # recorded before actors: no one named


def test_a_timeline_recorded_before_actors_has_no_actor_column() -> None:
    text = render_status(a_status())

    assert "actor" not in text


def test_a_problems_timeline_shows_who_decided() -> None:
    status = ProblemStatus(
        reference="PRB-1",
        summary="Census export",
        state="review_scheduled",
        scope=ProblemScope.GENERIC,
        school_urn=None,
        priority=4,
        linked_cases=[],
        vehicle=None,
        target_version=None,
        released_version=None,
        timeline=[
            ProblemEvent(kind=ProblemEventKind.OPENED, at=AT, actor=DESK),
            ProblemEvent(kind=ProblemEventKind.REVIEW_SCHEDULED, at=AT, actor=DESK),
        ],
    )

    text = render_problem(status)

    assert text.count("desk:PST-017 (Pat Jones)") == 2


def test_a_change_requests_timeline_shows_who_sent_each_line_and_whom_it_names() -> None:
    status = ChangeRequestStatus.model_validate(
        {
            "reference": "CR-1",
            "title": "Codes",
            "raised_by": "INT-1",
            "raised_at": AT,
            "state": "published_for_consultation",
            "stage": 1,
            "votes": 1,
            "voters": ["INT-1"],
            "vote_threshold": 10,
            "duplicates": [],
            "original_reference": None,
            "workaround": None,
            "release_version": None,
            "target_release": None,
            "last_reviewed_at": None,
            "next_action_due": None,
            "decision_due": False,
            "delivery_overdue": False,
            "timeline": [
                CrEvent(kind=CrEventKind.PUBLISHED, at=AT, by="INT-1", actor=DESK),
                CrEvent(
                    kind=CrEventKind.VOTED,
                    at=AT,
                    by="INT-1",
                    actor=Actor(role=Role.INTEGRATOR, id="INT-1"),
                ),
            ],
        }
    )

    header, published, voted = [cells(line) for line in render_cr(status).splitlines()[-3:]]

    assert header[1:4] == ["event", "actor", "by"]
    assert published[1:] == ["published", "desk:PST-017 (Pat Jones)", "INT-1"]
    assert voted[1:] == ["voted", "integrator:INT-1", "INT-1"]


def test_an_escalation_without_a_webhook_says_no_one_was_notified() -> None:
    record = FeedbackRecord(
        reference="INC-1",
        key="fb-1",
        case_type=CaseType.INCIDENT,
        priority=Priority.P2,
        integrator_id="INT-042",
        school_urn="123456",
        rating=1,
        escalate=FeedbackEscalation.SERVICE_DESK_MANAGEMENT,
        by_role="integrator",
        by_id="INT-042",
        given_at=AT,
        after_resolution=True,
    )

    sent = render_record(record, as_json=False)
    unsent = render_record(record, as_json=False, notified=False)

    assert sent == (
        "INC-1 is Resolved: feedback recorded in the KPI ledger (rating 1/5, escalated to "
        "service desk management, by integrator:INT-042)"
    )
    assert "SIMS_WEBHOOK_URL is not set, so no one was notified" in unsent
    assert FeedbackRecord.model_validate_json(render_record(record, as_json=True)) == record
