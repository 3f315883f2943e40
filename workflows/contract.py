"""The names platform integrations and recorded histories rely on (DESIGN §1), written once.

A leaf module: it imports only `domain`. Workflow types, update, query and signal names,
workflow ids and the task queue are fixed for good; the update lists are derived from
the machines, so an event added to a machine is an update here without another edit.
They are derived when first read (PEP 562): a command that needs only a name or an id
does not import the machines (and the state-machine library).
"""

from __future__ import annotations

import functools

TASK_QUEUE = "sims-support"

# Workflow types (set as `name=` on each `@workflow.defn`).
CASE_WORKFLOW = "CaseWorkflow"
PROBLEM_WORKFLOW = "ProblemWorkflow"
CHANGE_REQUEST_WORKFLOW = "ChangeRequestWorkflow"
# The monthly KPI report (DESIGN §15): one run per firing of its schedule, whose id is
# fixed so `sims-case report schedule --list` / `--delete` find it; the schedule adds the
# scheduled time to the workflow id of each run (`kpi-report-2026-12-01T09:00:00Z`).
MONTHLY_KPI_REPORT_WORKFLOW = "MonthlyKpiReport"
KPI_REPORT_SCHEDULE_ID = "kpi-report-monthly"
KPI_REPORT_WORKFLOW_ID = "kpi-report"

# Updates, queries and signals every lifecycle, or one of them, answers.
OPENED = "opened"
STATUS = "status"
SCHOOL_DATA = "school_data"
LINK_CASE = "link_case"
LINKED_CASE_CHANGED = "linked_case_changed"
PROBLEM_NEWS = "problem_news"
MERGE_VOTES = "merge_votes"
# A new support policy for an open case or change request (DESIGN §15), from the desk.
APPLY_POLICY = "apply_policy"

# `workflow.patched` ids: a run recorded before the change replays as it ran.
# The opening checks of 0.2: the opener (DESIGN §12's table) and a back-dated logged_at.
OPENED_BY = "opened-by-checked"
# A problem signals its news in batches, and may continue as new between them (0.2).
NEWS_IN_BATCHES = "news-in-batches"

# Machine events the workflow takes itself (timers, problem news), never a caller.
CASE_INTERNAL = frozenset({"resume_investigation", "resolve"})
PROBLEM_INTERNAL = frozenset({LINK_CASE})

# What callers may send, as Updates, in the machines' order (see `__getattr__`).
CASE_EVENTS: tuple[str, ...]
PROBLEM_EVENTS: tuple[str, ...]
CHANGE_REQUEST_EVENTS: tuple[str, ...]
VOTES = ("vote", "unvote")
# The school-data rules (DESIGN §8) are updates on the case, outside its machine.
SCHOOL_EVENTS = (
    "request_school_data",
    "record_data_transfer",
    "request_partner_access",
    "approve_partner_access",
    "refuse_partner_access",
)


@functools.cache
def machine_events() -> dict[str, tuple[str, ...]]:
    """The update lists above, derived from the machines once per process."""
    from domain.machines import CaseMachine, ChangeRequestMachine, ProblemMachine, event_names

    return {
        "CASE_EVENTS": tuple(e for e in event_names(CaseMachine) if e not in CASE_INTERNAL),
        "PROBLEM_EVENTS": tuple(
            e for e in event_names(ProblemMachine) if e not in PROBLEM_INTERNAL
        ),
        "CHANGE_REQUEST_EVENTS": event_names(ChangeRequestMachine),
    }


def __getattr__(name: str) -> tuple[str, ...]:
    if name in ("CASE_EVENTS", "PROBLEM_EVENTS", "CHANGE_REQUEST_EVENTS"):
        return machine_events()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def case_workflow_id(reference: str) -> str:
    return f"case-{reference}"


def problem_workflow_id(reference: str) -> str:
    return f"problem-{reference}"


def change_request_workflow_id(reference: str) -> str:
    return f"cr-{reference}"


WORKFLOW_ID_PREFIXES = {
    CASE_WORKFLOW: "case-",
    PROBLEM_WORKFLOW: "problem-",
    CHANGE_REQUEST_WORKFLOW: "cr-",
    MONTHLY_KPI_REPORT_WORKFLOW: f"{KPI_REPORT_WORKFLOW_ID}-",
}
