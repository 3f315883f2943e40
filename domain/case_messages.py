"""What a case tells people: its notifications and the words of its refusals (pure)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from domain import sla
from domain.models import Priority, Reporter
from domain.notifications import Notification, NotificationKind, notification
from domain.school_data import PartnerAccess

LONDON = ZoneInfo("Europe/London")

ACTION_MESSAGES = {
    sla.Action.RESPONSE_WARNING: "first response due soon (75% of the target used)",
    sla.Action.RESPONSE_BREACH: "first response target missed",
    sla.Action.UPDATE_DUE: "an update to the integrator is due now",
    sla.Action.UPDATE_OVERDUE: "update to the integrator overdue by one working day: escalated",
    sla.Action.INFORMATION_CHASER: "still waiting for the information we asked for",
    sla.Action.RESOLVE: "Resolution Offered window closed",
}


def london(value: dt.datetime) -> str:
    return value.astimezone(LONDON).strftime("%a %d %b %Y %H:%M")


def action_message(due: sla.Due[sla.Action]) -> str:
    return f"{ACTION_MESSAGES[due.action]} (due {london(due.at)})"


def case_notification(
    reference: str,
    priority: Priority,
    kind: NotificationKind,
    message: str,
    at: dt.datetime,
    *,
    due: dt.datetime | None = None,
    key: str | None = None,
) -> Notification:
    """At `due` when it has one; `key`, when given, names the message within the case."""
    return notification(
        kind,
        reference=reference,
        priority=priority,
        at=due or at,
        due=due,
        message=message,
        key=f"case-{reference}:{key}" if key else None,
    )


def call_message(reporter: Reporter) -> str:
    return f"P1 incident: call {reporter.name} first ({reporter.phone or reporter.email})"


def lapsed(access: PartnerAccess) -> str:
    return f"{access.label} not approved in time: the request lapsed, nothing shared"


def logged_in_future(logged_at: dt.datetime, now: dt.datetime) -> str:
    return f"logged_at: {logged_at.isoformat()} is in the future (now {now.isoformat()})"


def logged_too_long_ago(logged_at: dt.datetime, now: dt.datetime, most: dt.timedelta) -> str:
    return (
        f"logged_at: {logged_at.isoformat()} is more than {most.days} days before now "
        f"({now.isoformat()}): log the case with the time it reached the desk"
    )


def reopen_refused(reference: str) -> str:
    return (
        f"case {reference} is Resolved and can no longer be reopened: "
        f"log a new case quoting reference {reference}"
    )


def problem_fix_refused(kind: str) -> str:
    return (
        f"kind: a {kind} resolves a problem; this case is not escalated to one "
        "(offer advice, a workaround or an upgrade, or escalate it first)"
    )


def linking_in_progress(problem: str) -> str:
    return f"the case is being linked to problem {problem}; try again in a moment"


def closed_to_policy(reference: str, state: str) -> str:
    return f"case {reference} is {state}: a closed case keeps the policy it ran on"
