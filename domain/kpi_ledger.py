"""What the KPI ledger keeps of a case (DESIGN §4, §5): pure functions of its event log.

The case workflow sends a `LedgerEntry` at each milestone; every field is derived from
the intake, the state, the event log, the policy and the calendar, never from the clock,
so a replay or a retry sends exactly the same entry. No personal data: the integrator
and the school appear by identifier, notifications without their text.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from domain import sla
from domain.calendar import WorkingCalendar
from domain.machines import CASE_CLOSED
from domain.models import CaseEvent, CaseType, EventKind, FeedbackEscalation, OpenCase, Priority
from domain.notifications import Notification
from domain.policy import SupportPolicy

# The resolution clock has stopped in these states: the offer standing is the end.
CLOCK_STOPPED = frozenset({"resolution_offered", "resolved"})
CLOSED = CASE_CLOSED


class SlaEventKind(StrEnum):
    WARNING = "warning"
    BREACH = "breach"
    ESCALATION = "escalation"
    CHASER = "chaser"


SLA_EVENT_KINDS = {
    sla.Action.RESPONSE_WARNING: SlaEventKind.WARNING,
    sla.Action.RESPONSE_BREACH: SlaEventKind.BREACH,
    # An update not sent when due is a missed promise; a day later it is escalated.
    sla.Action.UPDATE_DUE: SlaEventKind.BREACH,
    sla.Action.UPDATE_OVERDUE: SlaEventKind.ESCALATION,
    sla.Action.INFORMATION_CHASER: SlaEventKind.CHASER,
}

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class CaseRow(BaseModel):
    """One row per case, rewritten at each milestone; `revision` only ever grows."""

    model_config = _FROZEN
    reference: str
    case_type: CaseType
    priority: Priority
    integrator_id: str
    school_urn: str
    state: str
    logged_at: dt.datetime
    response_due: dt.datetime
    first_response_at: dt.datetime | None
    response_working_time: dt.timedelta | None
    # Set once the clock has stopped (an offer standing, or resolved); None while it runs.
    resolution_working_time: dt.timedelta | None
    # Pauses that have ended; one still open started at `paused_since`.
    paused_working_time: dt.timedelta
    paused_since: dt.datetime | None
    breaches: int
    reopen_count: int
    closed_at: dt.datetime | None
    revision: int

    @property
    def is_open(self) -> bool:
        return self.state not in CLOSED

    def same_figures(self, other: CaseRow | None) -> bool:
        """Only the revision differs: the events since changed no figure a report reads
        (a note to the integrator, say), so they are no milestone; the next write carries
        the revision."""
        return other is not None and self.model_copy(update={"revision": other.revision}) == other


class SlaEventRecord(BaseModel):
    model_config = _FROZEN
    reference: str
    key: str  # the timer action's key: unique per case
    action: sla.Action
    kind: SlaEventKind
    priority: Priority
    due_at: dt.datetime
    taken_at: dt.datetime


class NotificationOutcome(StrEnum):
    DELIVERED = "delivered"
    # Refused for good by the webhook (a 4xx that is no fault of ours): never retried.
    REFUSED = "refused"


class NotificationRecord(BaseModel):
    """A notification the webhook answered for good; `delivered_at` is when it did, so
    for a refused one, when it refused it."""

    model_config = _FROZEN
    key: str
    reference: str
    kind: str
    recipient: str
    priority: Priority | None
    at: dt.datetime
    delivered_at: dt.datetime
    outcome: NotificationOutcome = NotificationOutcome.DELIVERED

    @classmethod
    def of(
        cls,
        notification: Notification,
        delivered_at: dt.datetime,
        outcome: NotificationOutcome = NotificationOutcome.DELIVERED,
    ) -> NotificationRecord:
        return cls(
            key=notification.key,
            reference=notification.reference,
            kind=notification.kind.value,
            recipient=notification.recipient.value,
            priority=notification.priority,
            at=notification.at,
            delivered_at=delivered_at,
            outcome=outcome,
        )


class FeedbackRecord(BaseModel):
    """One rating of the service (DESIGN §12). No comment: the ledger keeps no personal
    data, and the comment stays in the case's timeline; the rater appears by id."""

    model_config = _FROZEN
    reference: str
    key: str  # the request id that gave it: unique per case
    case_type: CaseType
    priority: Priority  # the case's priority when the feedback was given
    integrator_id: str
    school_urn: str
    rating: int
    escalate: FeedbackEscalation
    by_role: str
    by_id: str
    given_at: dt.datetime
    # Given once the case was Resolved: written by the client, no workflow involved.
    after_resolution: bool = False


class LedgerEntry(BaseModel):
    """One write: the case's row, and the SLA events, notifications and feedback not yet
    written."""

    model_config = _FROZEN
    case: CaseRow
    sla_events: list[SlaEventRecord] = []
    notifications: list[NotificationRecord] = []
    feedback: list[FeedbackRecord] = []


def case_row(
    intake: OpenCase,
    state: str,
    events: list[CaseEvent],
    policy: SupportPolicy,
    calendar: WorkingCalendar,
) -> CaseRow:
    # Evaluated at the log's last instant, not at `now`: the row is a function of the log.
    last = max(e.at for e in events)
    view = sla.evaluate(events, state, intake.case_type, policy, calendar, last)
    response = next(c for c in view.clocks if c.name == "response")
    assert response.deadline is not None  # the response clock always has one
    ack = next((e for e in events if e.kind is EventKind.ACKNOWLEDGED), None)
    spans = sla.pauses(events)
    ended = [(a, b) for a, b in spans if b is not None]
    still_paused = [a for a, b in spans if b is None]
    closing = [e for e in events if e.kind in sla.CLOSINGS]
    return CaseRow(
        reference=intake.reference,
        case_type=intake.case_type,
        priority=sla.current_priority(events),
        integrator_id=intake.integrator.id,
        school_urn=intake.school.urn,
        state=state,
        logged_at=sla.logged_at(events),
        response_due=response.deadline,
        first_response_at=ack.at if ack else None,
        response_working_time=view.response_working_time,
        resolution_working_time=view.resolution_working_time if state in CLOCK_STOPPED else None,
        paused_working_time=sum(
            (calendar.working_time_between(a, b) for a, b in ended), dt.timedelta(0)
        ),
        paused_since=still_paused[0] if still_paused else None,
        breaches=sum(
            1 for e in sla_events(intake.reference, events) if e.kind is SlaEventKind.BREACH
        ),
        reopen_count=sum(1 for e in events if e.kind is EventKind.REOPENED),
        closed_at=closing[-1].at if state in CLOSED and closing else None,
        revision=len(events),
    )


def sla_events(reference: str, events: list[CaseEvent]) -> list[SlaEventRecord]:
    """The warnings, breaches, escalations and chasers the timer loop has taken."""
    found: list[SlaEventRecord] = []
    priority = Priority.P4
    for event in events:
        if event.priority is not None:
            priority = event.priority
        if event.kind is not EventKind.ACTION_TAKEN:
            continue
        action, _, due = event.detail.partition("@")
        kind = SLA_EVENT_KINDS.get(sla.Action(action))
        if kind is None:
            continue  # closing the Resolution Offered window is no SLA event
        found.append(
            SlaEventRecord(
                reference=reference,
                key=event.detail,
                action=sla.Action(action),
                kind=kind,
                priority=priority,
                due_at=dt.datetime.fromisoformat(due),
                taken_at=event.at,
            )
        )
    return found
