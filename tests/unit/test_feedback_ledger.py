"""Feedback in the KPI ledger (DESIGN §12): written once by (case, request id) from a
milestone or on its own, and a rating of a Resolved case taken straight into the ledger,
its escalation sent; on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from temporalio.testing import ActivityEnvironment

from activities.ledger import Ledger, LedgerActivities
from domain.actors import Actor, Role
from domain.kpi_ledger import FeedbackRecord, LedgerEntry
from domain.models import CaseType, FeedbackEscalation, GiveFeedback, Priority
from domain.notifications import Notification, NotificationKind, Recipient
from sims_support.client.errors import ClientError, NotFound, Refused
from sims_support.config import Settings
from sims_support.reports.feedback import give_feedback_after_resolution, webhook_notifier
from tests.kpi_data import case, mon
from tests.ledger_db import ledger_url
from tests.webhook import SECRET, Receiver, verifies

__all__ = ["ledger_url"]  # the fixture, parametrised over both databases

H = dt.timedelta(hours=1)
LATER = mon(17, 30)  # after the resolved case's closing at 17:00
INTEGRATOR = Actor(role=Role.INTEGRATOR, id="INT-1")
SCHOOL = Actor(role=Role.SCHOOL, id="100001")


def rating(
    request_id: str = "req-1",
    stars: int = 2,
    escalate: FeedbackEscalation = FeedbackEscalation.CUSTOMER_CARE,
    comment: str = "slow to answer",
) -> GiveFeedback:
    return GiveFeedback(request_id=request_id, rating=stars, comment=comment, escalate=escalate)


def given(reference: str = "INC-1", key: str = "req-1", stars: int = 4) -> FeedbackRecord:
    return FeedbackRecord(
        reference=reference,
        key=key,
        case_type=CaseType.INCIDENT,
        priority=Priority.P2,
        integrator_id="INT-1",
        school_urn="100001",
        rating=stars,
        escalate=FeedbackEscalation.NONE,
        by_role="integrator",
        by_id="INT-1",
        given_at=mon(10, 0, 0) + dt.timedelta(microseconds=5),
    )


class Sent:
    """A `notify` that records what it was given, failing the first `failures` times."""

    def __init__(self, failures: int = 0) -> None:
        self.notifications: list[Notification] = []
        self.failures = failures

    async def __call__(self, notification: Notification) -> None:
        if self.failures:
            self.failures -= 1
            raise ClientError("WebhookUnavailable", "the webhook is down")
        self.notifications.append(notification)


@pytest.fixture
def ledger(ledger_url: str) -> Iterator[Ledger]:
    found = Ledger(ledger_url)
    found.record(LedgerEntry(case=case("INC-1", Priority.P2, resolved=3 * H)))
    found.record(LedgerEntry(case=case("INC-OPEN", Priority.P3)))
    found.record(LedgerEntry(case=case("INC-GONE", Priority.P3, state="withdrawn")))
    yield found
    found.dispose()


async def test_a_milestones_feedback_is_written_once_however_often_it_is_sent(
    ledger: Ledger,
) -> None:
    entry = LedgerEntry(case=case("INC-1", Priority.P2, revision=4), feedback=[given()])
    record_case = LedgerActivities(ledger).record_case

    await ActivityEnvironment().run(record_case, entry)
    await ActivityEnvironment().run(record_case, entry)

    assert ledger.count("feedback") == 1
    assert ledger.feedback_on("INC-1") == [given()]


def test_feedback_written_on_its_own_keeps_the_first_record_under_its_key(
    ledger: Ledger,
) -> None:
    first = ledger.record_feedback(given(stars=4))
    again = ledger.record_feedback(given(stars=1))
    other = ledger.record_feedback(given(key="req-2", stars=1))

    assert (first, again, other) == (given(stars=4), given(stars=4), given(key="req-2", stars=1))
    assert ledger.count("feedback") == 2


def test_a_case_row_is_read_by_its_reference(ledger: Ledger) -> None:
    found = ledger.case("INC-1")

    assert found == case("INC-1", Priority.P2, resolved=3 * H)
    assert ledger.case("INC-NOBODY") is None


async def test_feedback_on_a_resolved_case_is_written_and_its_escalation_sent(
    ledger: Ledger,
) -> None:
    sent = Sent()

    record = await give_feedback_after_resolution(
        ledger, "INC-1", rating(), INTEGRATOR, now=LATER, notify=sent
    )

    assert ledger.feedback_on("INC-1") == [record]
    assert (record.rating, record.priority, record.after_resolution) == (2, Priority.P2, True)
    assert (record.by_role, record.by_id, record.given_at) == ("integrator", "INT-1", LATER)
    [told] = sent.notifications
    assert (told.kind, told.recipient) == (
        NotificationKind.FEEDBACK_TO_CUSTOMER_CARE,
        Recipient.CUSTOMER_CARE_TEAM,
    )
    assert (told.key, told.message) == ("case-INC-1:feedback:req-1", "rating 2/5: slow to answer")
    assert (told.reference, told.priority, told.at) == ("INC-1", Priority.P2, LATER)


async def test_the_schools_feedback_without_escalation_notifies_nobody(ledger: Ledger) -> None:
    sent = Sent()
    happy = rating(stars=5, escalate=FeedbackEscalation.NONE)

    record = await give_feedback_after_resolution(
        ledger, "INC-1", happy, SCHOOL, now=LATER, notify=sent
    )

    assert (record.by_role, record.by_id, record.rating) == ("school", "100001", 5)
    assert sent.notifications == []


async def test_the_same_request_twice_writes_one_row_and_sends_one_escalation(
    ledger: Ledger,
) -> None:
    sent = Sent()

    first = await give_feedback_after_resolution(
        ledger, "INC-1", rating(), INTEGRATOR, now=LATER, notify=sent
    )
    again = await give_feedback_after_resolution(
        ledger, "INC-1", rating(stars=5), INTEGRATOR, now=LATER + H, notify=sent
    )

    assert again == first
    assert ledger.count("feedback") == 1
    assert len(sent.notifications) == 1


async def test_an_escalation_that_fails_writes_nothing_and_the_retry_sends_it(
    ledger: Ledger,
) -> None:
    sent = Sent(failures=1)

    with pytest.raises(ClientError):
        await give_feedback_after_resolution(
            ledger, "INC-1", rating(), INTEGRATOR, now=LATER, notify=sent
        )
    assert ledger.count("feedback") == 0
    await give_feedback_after_resolution(
        ledger, "INC-1", rating(), INTEGRATOR, now=LATER, notify=sent
    )

    assert ledger.count("feedback") == 1
    assert [n.key for n in sent.notifications] == ["case-INC-1:feedback:req-1"]


@pytest.mark.parametrize(
    ("reference", "said"),
    [
        (
            "INC-OPEN",
            "state: case INC-OPEN is investigating: feedback on an open case goes to the "
            "case (give_feedback)",
        ),
        ("INC-GONE", "state: case INC-GONE is withdrawn: no feedback"),
    ],
)
async def test_feedback_on_a_case_not_resolved_is_refused(
    ledger: Ledger, reference: str, said: str
) -> None:
    sent = Sent()

    with pytest.raises(Refused) as refused:
        await give_feedback_after_resolution(
            ledger, reference, rating(), INTEGRATOR, now=LATER, notify=sent
        )

    assert (refused.value.type, str(refused.value)) == ("CaseNotResolved", said)
    assert (ledger.count("feedback"), sent.notifications) == (0, [])


@pytest.mark.parametrize(
    "stranger", [Actor(role=Role.INTEGRATOR, id="INT-2"), Actor(role=Role.SCHOOL, id="100002")]
)
async def test_another_integrators_or_schools_case_is_not_found_as_if_there_were_none(
    ledger: Ledger, stranger: Actor
) -> None:
    with pytest.raises(NotFound) as not_theirs:
        await give_feedback_after_resolution(ledger, "INC-1", rating(), stranger, now=LATER)
    with pytest.raises(NotFound) as missing:
        await give_feedback_after_resolution(ledger, "INC-NOBODY", rating(), stranger, now=LATER)

    assert (not_theirs.value.type, missing.value.type) == ("NotYourCase", "NoSuchCase")
    assert str(not_theirs.value) == str(missing.value).replace("INC-NOBODY", "INC-1")
    assert ledger.count("feedback") == 0


@pytest.mark.parametrize("role", [Role.DESK, Role.PRODUCT_MANAGER, Role.SYSTEM])
async def test_only_the_integrator_or_the_school_may_rate_the_service(
    ledger: Ledger, role: Role
) -> None:
    with pytest.raises(Refused) as refused:
        await give_feedback_after_resolution(
            ledger, "INC-1", rating(), Actor(role=role, id="PST-017"), now=LATER
        )

    assert refused.value.type == "NotAllowed"
    assert ledger.count("feedback") == 0


async def test_the_webhook_notifier_delivers_the_escalation_signed(ledger: Ledger) -> None:
    with Receiver() as receiver:
        settings = Settings(webhook_url=receiver.url, webhook_secret=SECRET.decode())
        receiver.will_answer(503)
        with pytest.raises(ClientError) as down:
            await give_feedback_after_resolution(
                ledger, "INC-1", rating(), INTEGRATOR, now=LATER, notify=webhook_notifier(settings)
            )
        await give_feedback_after_resolution(
            ledger, "INC-1", rating(), INTEGRATOR, now=LATER, notify=webhook_notifier(settings)
        )

    assert down.value.type == "WebhookUnavailable"
    assert receiver.deliveries == ["case-INC-1:feedback:req-1"]
    last = receiver.attempts[-1]
    assert verifies(SECRET, last.body, last.signature)
    assert Notification.model_validate_json(last.body).kind is (
        NotificationKind.FEEDBACK_TO_CUSTOMER_CARE
    )
