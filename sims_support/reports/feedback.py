"""Feedback on the service (DESIGN §12) outside the case workflow: a rating given once the
case is Resolved (its workflow has ended, so it is written to the ledger directly), and
what the KPI report says of the ratings given in its period.

The ledger holds no comment (no personal data): it goes only into the escalation's
message, when the rating asks for one.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from domain.actors import Actor, Lifecycle, Subject, permit
from domain.case_actors import FEEDBACK_TO
from domain.kpi import PriorityName
from domain.kpi_ledger import CLOSED, CaseRow, FeedbackRecord
from domain.kpi_report import KpiReport
from domain.models import FeedbackEscalation, GiveFeedback, Priority
from domain.notifications import Notification, notification
from domain.refusals import NotAllowed, NotYourCase
from sims_support.client.errors import ClientError, NotFound, Refused

if TYPE_CHECKING:
    from activities.ledger import Ledger
    from sims_support.config import Settings

Notify = Callable[[Notification], Awaitable[None]]
RESOLVED = "resolved"


async def give_feedback_after_resolution(
    ledger: Ledger,
    reference: str,
    request: GiveFeedback,
    actor: Actor,
    *,
    now: dt.datetime,
    notify: Notify | None = None,
) -> FeedbackRecord:
    """Record `actor`'s rating of a Resolved case; the same request id again is a no-op
    that returns the record first written. `actor` is the caller as the gateway knows it
    (`request.actor` is not read). An escalation is sent before the row is written: if
    `notify` fails nothing is written, and the caller's retry sends it again under the
    same key (the receiver's idempotency key), so no escalation is lost."""
    row = await asyncio.to_thread(ledger.case, reference)
    _admit(row, reference, actor)
    assert row is not None  # `_admit` refuses a missing case
    stored = await asyncio.to_thread(ledger.feedback_on, reference)
    done = next((r for r in stored if r.key == request.request_id), None)
    if done is not None:
        return done
    record = FeedbackRecord(
        reference=row.reference,
        key=request.request_id,
        case_type=row.case_type,
        priority=row.priority,
        integrator_id=row.integrator_id,
        school_urn=row.school_urn,
        rating=request.rating,
        escalate=request.escalate,
        by_role=actor.role.value,
        by_id=actor.id,
        given_at=now,
        after_resolution=True,
    )
    if request.escalate is not FeedbackEscalation.NONE and notify is not None:
        await notify(escalation(record, request.comment))
    return await asyncio.to_thread(ledger.record_feedback, record)


def _admit(row: CaseRow | None, reference: str, actor: Actor) -> None:
    """Raise unless `actor` may rate this case now; the case's own integrator or school
    only (`domain.actors`), and only once it is Resolved."""
    # The same words for another's case as for none: no one learns that it exists.
    missing = f"reference: no case {reference} exists"
    if row is None:
        raise NotFound("NoSuchCase", missing)
    try:
        permit(actor, "give_feedback", Subject(Lifecycle.CASE, row.integrator_id, row.school_urn))
    except NotYourCase:
        raise NotFound("NotYourCase", missing) from None
    except NotAllowed as refused:
        raise Refused(refused.type, str(refused)) from None
    if row.state == RESOLVED:
        return
    if row.state in CLOSED:
        raise Refused("CaseNotResolved", f"state: case {reference} is {row.state}: no feedback")
    raise Refused(
        "CaseNotResolved",
        f"state: case {reference} is {row.state}: feedback on an open case goes to the case "
        "(give_feedback)",
    )


def escalation(record: FeedbackRecord, comment: str) -> Notification:
    """The message to the Customer Care Team or the Service Desk Management Team, keyed
    as the case workflow keys the escalation of a rating it takes."""
    said = f"rating {record.rating}/5" + (f": {comment}" if comment else "")
    return notification(
        FEEDBACK_TO[record.escalate],
        reference=record.reference,
        priority=record.priority,
        at=record.given_at,
        message=said,
        key=f"case-{record.reference}:feedback:{record.key}",
    )


def webhook_notifier(settings: Settings) -> Notify:
    """Delivers as the worker does (`activities.notify`: signed JSON to the webhook, or the
    log when none is set), once: outside Temporal nothing retries, and a failed delivery
    is a `ClientError` for the caller to retry."""
    import httpx
    from temporalio.exceptions import ApplicationError

    from activities.notify import Notifier

    notifier = Notifier(settings.webhook_url, settings.webhook_secret.get_secret_value().encode())

    async def deliver(message: Notification) -> None:
        try:
            await notifier.notify(message)
        except ApplicationError as err:
            raise ClientError(err.type or "WebhookRefused", err.message) from None
        except httpx.HTTPError as err:
            raise ClientError(
                "WebhookUnavailable", f"notification {message.key} not delivered: {err}"
            ) from None

    return deliver


# -- in the KPI report -------------------------------------------------------------------


class FeedbackCounts(BaseModel):
    """The ratings given in a report's period for cases of one priority (at the time)."""

    model_config = ConfigDict(frozen=True)
    priority: PriorityName
    count: int
    mean_rating: float | None  # to 2 decimals; None when there is none

    @classmethod
    def of(cls, priority: Priority, count: int, total: int) -> FeedbackCounts:
        mean = round(total / count, 2) if count else None
        return cls(priority=priority, count=count, mean_rating=mean)


class ReportWithFeedback(KpiReport):
    """The KPI report and the feedback given in its period, every priority in order."""

    feedback: list[FeedbackCounts]


def feedback_of(report: KpiReport) -> list[FeedbackCounts] | None:
    """The report's feedback figures; None for a report built without them."""
    return report.feedback if isinstance(report, ReportWithFeedback) else None
