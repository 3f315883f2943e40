"""The product's metrics (DESIGN §15), counted from the workflows through
`workflow.metric_meter()`: replay-safe, so a replay after a restart counts nothing twice.

Workflow code (it calls `temporalio.workflow`): deterministic, checked like the workflows.
The names and labels are the README's ("Metrics"); no label holds personal data.
"""

from __future__ import annotations

from temporalio import workflow

CASES_OPENED = "sims_cases_opened"
SLA_ACTIONS = "sims_sla_actions"
NOTIFICATIONS = "sims_notifications"
REFUSALS = "sims_refusals"
DESCRIPTIONS = {
    CASES_OPENED: "Cases opened, by case type and priority",
    SLA_ACTIONS: "SLA timer actions taken (warnings, breaches, chasers), by clock and priority",
    NOTIFICATIONS: "Notifications sent, by kind and outcome (delivered, refused)",
    REFUSALS: "Requests refused, by error type",
}
# Which clock each timer action belongs to, and what it is.
CLOCKS = {
    "response_warning": ("response", "warning"),
    "response_breach": ("response", "breach"),
    "update_due": ("update", "breach"),
    "update_overdue": ("update", "escalation"),
    "information_chaser": ("information", "chaser"),
    "resolve": ("resolution_offered", "resolved"),
}


def count(name: str, **labels: str) -> None:
    """One more of `name`; nothing while replaying (the meter says so itself)."""
    counter = workflow.metric_meter().create_counter(name, DESCRIPTIONS[name])
    counter.add(1, labels)


def case_opened(case_type: str, priority: str) -> None:
    count(CASES_OPENED, case_type=case_type, priority=priority)


def sla_action(action: str, priority: str) -> None:
    clock, kind = CLOCKS.get(action, (action, action))
    count(SLA_ACTIONS, clock=clock, kind=kind, priority=priority)


def notification(kind: str, outcome: str) -> None:
    count(NOTIFICATIONS, kind=kind, outcome=outcome)


def refusal(error_type: str) -> None:
    count(REFUSALS, type=error_type)
