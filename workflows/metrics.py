"""The product's metrics (DESIGN §15), counted from the workflows through
`workflow.metric_meter()`: replay-safe, so a replay after a restart counts nothing twice.

Workflow code (it calls `temporalio.workflow`): deterministic, checked like the workflows.
The names and labels are the README's ("Metrics"); no label holds personal data.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain import sla
    from domain.kpi_ledger import SLA_EVENT_KINDS

CASES_OPENED = "sims_cases_opened"
SLA_ACTIONS = "sims_sla_actions"
NOTIFICATIONS = "sims_notifications"
REFUSALS = "sims_refusals"
SIGNALS_DROPPED = "sims_signals_dropped"
DESCRIPTIONS = {
    CASES_OPENED: "Cases opened, by case type and priority",
    SLA_ACTIONS: "SLA timer actions taken (warnings, breaches, chasers), by clock and priority",
    NOTIFICATIONS: "Notifications sent, by kind and outcome (delivered, refused)",
    REFUSALS: "Requests refused, by error type",
    SIGNALS_DROPPED: "Signals dropped for breaking their bounds, never applied, by signal",
}
# Which clock each timer action belongs to; what it is, the KPI ledger says (one table).
CLOCKS = {
    sla.Action.RESPONSE_WARNING: "response",
    sla.Action.RESPONSE_BREACH: "response",
    sla.Action.UPDATE_DUE: "update",
    sla.Action.UPDATE_OVERDUE: "update",
    sla.Action.INFORMATION_CHASER: "information",
    sla.Action.RESOLVE: "resolution_offered",
}


def count(name: str, **labels: str) -> None:
    """One more of `name`; nothing while replaying (the meter says so itself)."""
    counter = workflow.metric_meter().create_counter(name, DESCRIPTIONS[name])
    counter.add(1, labels)


def case_opened(case_type: str, priority: str) -> None:
    count(CASES_OPENED, case_type=case_type, priority=priority)


def sla_action(action: sla.Action, priority: str) -> None:
    ledger_kind = SLA_EVENT_KINDS.get(action)  # the ledger keeps no row for a lapsed offer
    kind = ledger_kind.value if ledger_kind else "resolved"
    count(SLA_ACTIONS, clock=CLOCKS[action], kind=kind, priority=priority)


def notification(kind: str, outcome: str) -> None:
    count(NOTIFICATIONS, kind=kind, outcome=outcome)


def refusal(error_type: str) -> None:
    count(REFUSALS, type=error_type)


def signal_dropped(signal: str) -> None:
    count(SIGNALS_DROPPED, signal=signal)
