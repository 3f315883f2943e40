"""The lifecycles of the charter as explicit state machines (DESIGN §5-§7).

Machines declare states and transitions only. A lifecycle's record keeps the state id as
data and asks the machine class what is allowed and where an event leads; the rules that
decide *whether* an event makes sense for the business (a valid reason, the window still
open) live in the records (`domain/*_record.py`) and in `domain/sla.py`.
"""

from __future__ import annotations

import functools
import re

from statemachine import Event, State, StateMachine
from statemachine.exceptions import TransitionNotAllowed

from domain.refusals import InvalidTransition

__all__ = ["InvalidTransition"]


class CaseMachine(StateMachine):
    logged = State(initial=True)
    investigating = State()
    awaiting_information = State()
    escalated_to_problem = State()
    resolution_offered = State()
    resolved = State(final=True)
    withdrawn = State(final=True)

    acknowledge = logged.to(investigating)
    post_update = (
        investigating.to.itself(internal=True)
        | awaiting_information.to.itself(internal=True)
        | escalated_to_problem.to.itself(internal=True)
    )
    request_information = investigating.to(awaiting_information)
    provide_information = awaiting_information.to(investigating)
    change_priority = (
        logged.to.itself(internal=True)
        | investigating.to.itself(internal=True)
        | awaiting_information.to.itself(internal=True)
        | escalated_to_problem.to.itself(internal=True)
        | resolution_offered.to.itself(internal=True)
    )
    escalate_to_problem = investigating.to(escalated_to_problem)
    resume_investigation = escalated_to_problem.to(investigating)
    offer_resolution = (
        investigating.to(resolution_offered)
        | awaiting_information.to(resolution_offered)
        | escalated_to_problem.to(resolution_offered)
    )
    accept_resolution = resolution_offered.to(resolved)
    reopen = resolution_offered.to(investigating)
    resolve = resolution_offered.to(resolved)
    withdraw = (
        logged.to(withdrawn)
        | investigating.to(withdrawn)
        | awaiting_information.to(withdrawn)
        | escalated_to_problem.to(withdrawn)
        | resolution_offered.to(withdrawn)
    )
    # The integrator's or the school's rating, on an open case or while an offer stands.
    give_feedback = (
        logged.to.itself(internal=True)
        | investigating.to.itself(internal=True)
        | awaiting_information.to.itself(internal=True)
        | escalated_to_problem.to.itself(internal=True)
        | resolution_offered.to.itself(internal=True)
    )


class ChangeRequestMachine(StateMachine):
    """The charter's three stages (DESIGN §7); a review keeps a stage and restarts its clock."""

    published_for_consultation = State(initial=True)
    considered_for_future_release = State()
    planned_for_future_release = State()
    delivered = State(final=True)
    rejected = State(final=True)
    duplicate = State(final=True)

    review = published_for_consultation.to.itself(
        internal=True
    ) | considered_for_future_release.to.itself(internal=True)
    consider = published_for_consultation.to(considered_for_future_release)
    plan = considered_for_future_release.to(planned_for_future_release)
    deliver = planned_for_future_release.to(delivered)
    reject = (
        published_for_consultation.to(rejected)
        | considered_for_future_release.to(rejected)
        | planned_for_future_release.to(rejected)
    )
    mark_duplicate = published_for_consultation.to(duplicate)
    # Integrators vote while the request is open for votes (stages 1 and 2).
    vote = published_for_consultation.to.itself(
        internal=True
    ) | considered_for_future_release.to.itself(internal=True)
    unvote = published_for_consultation.to.itself(
        internal=True
    ) | considered_for_future_release.to.itself(internal=True)


def allowed_events(machine_class: type[StateMachine], state: str) -> list[str]:
    return list(_allowed(machine_class, state))


def check_transition(machine_class: type[StateMachine], state: str, event: str) -> None:
    """Raise `InvalidTransition` unless `event` may be sent in `state`; changes nothing."""
    allowed = allowed_events(machine_class, state)
    if event not in allowed:
        # "ChangeRequestMachine" -> "change request", as a person would say it.
        words = re.findall(r"[A-Z][a-z]*", machine_class.__name__.removesuffix("Machine"))
        name = " ".join(words).lower()
        raise InvalidTransition(name, event, state, allowed)


def transition(machine_class: type[StateMachine], state: str, event: str) -> str:
    """The state after `event` from `state`."""
    check_transition(machine_class, state, event)
    return _target(machine_class, state, event)


# The machines have no guards and no actions: what one allows, and where it goes, depends
# on its state and the event alone, so each answer is computed once per process instead
# of building a machine for every question an update asks.
@functools.cache
def _allowed(machine_class: type[StateMachine], state: str) -> tuple[str, ...]:
    _assert_unguarded(machine_class)
    machine = machine_class(start_value=state)
    return tuple(event.id for event in machine.allowed_events)


@functools.cache
def _target(machine_class: type[StateMachine], state: str, event: str) -> str:
    machine = machine_class(start_value=state)
    try:
        machine.send(event)
    except TransitionNotAllowed as err:  # pragma: no cover - check_transition guards it
        raise InvalidTransition(machine_class.__name__, event, state, []) from err
    return str(machine.current_state_value)


def _assert_unguarded(machine_class: type[StateMachine]) -> None:
    for state in machine_class.states:
        for move in state.transitions:
            if list(move.cond) or list(move.validators):
                raise TypeError(
                    f"{machine_class.__name__}.{move.event} is guarded: its answers "
                    "depend on more than the state, and must not be remembered"
                )


class ProblemMachine(StateMachine):
    """DESIGN §6: a review decides defect or not; a defect's fix is scheduled, then released."""

    under_investigation = State(initial=True)
    review_scheduled = State()
    accepted_as_defect = State()
    fix_scheduled = State()
    fix_released = State(final=True)
    not_a_defect = State(final=True)

    link_case = (
        under_investigation.to.itself(internal=True)
        | review_scheduled.to.itself(internal=True)
        | accepted_as_defect.to.itself(internal=True)
        | fix_scheduled.to.itself(internal=True)
    )
    # A developer needs more from the integrators: the linked cases are told, nothing moves.
    request_information = (
        under_investigation.to.itself(internal=True)
        | review_scheduled.to.itself(internal=True)
        | accepted_as_defect.to.itself(internal=True)
        | fix_scheduled.to.itself(internal=True)
    )
    schedule_review = under_investigation.to(review_scheduled)
    accept_as_defect = review_scheduled.to(accepted_as_defect)
    reject = review_scheduled.to(not_a_defect)
    # Scheduled again when the vehicle or the target version changes.
    schedule_fix = accepted_as_defect.to(fix_scheduled) | fix_scheduled.to.itself(internal=True)
    release_fix = fix_scheduled.to(fix_released)


def event_names(machine_class: type[StateMachine]) -> tuple[str, ...]:
    """Every event the machine declares, in the order the class declares them."""
    events: list[Event] = machine_class.events  # type: ignore[assignment]
    return tuple(event.id for event in events)


def final_states(machine_class: type[StateMachine]) -> frozenset[str]:
    return frozenset(state.id for state in machine_class.states if state.final)


def states_allowing(machine_class: type[StateMachine], event: str) -> frozenset[str]:
    return frozenset(s.id for s in machine_class.states if event in _allowed(machine_class, s.id))


def moves_on(machine_class: type[StateMachine], state: str, event: str) -> bool:
    """True if `event`, allowed in `state`, leads to another state."""
    return event in _allowed(machine_class, state) and _target(machine_class, state, event) != state


# What a full log still takes (DESIGN §13): the moves that bring a lifecycle to its end,
# and only where they leave the state they are sent in. Along them no path comes back to a
# state it left (`tests/unit/test_winding_up.py`), so past a limit a log grows by a few
# events at most, and a full case can still be offered a resolution, resolved or withdrawn.
WINDING_UP: dict[type[StateMachine], frozenset[str]] = {
    CaseMachine: frozenset({"offer_resolution", "accept_resolution", "resolve", "withdraw"}),
    ChangeRequestMachine: frozenset({"consider", "plan", "deliver", "reject", "mark_duplicate"}),
    ProblemMachine: frozenset(
        {"schedule_review", "accept_as_defect", "reject", "schedule_fix", "release_fix"}
    ),
}


def winds_up(machine_class: type[StateMachine], state: str, event: str) -> bool:
    """True if `event` in `state` is a move towards the lifecycle's end (`WINDING_UP`)."""
    return event in WINDING_UP[machine_class] and moves_on(machine_class, state, event)


# Every state set is derived from the machines, never typed out again.
CASE_CLOSED = final_states(CaseMachine)
PROBLEM_CLOSED = final_states(ProblemMachine)
CHANGE_REQUEST_CLOSED = final_states(ChangeRequestMachine)
VOTING_STATES = states_allowing(ChangeRequestMachine, "vote")
