import pytest

from domain.machines import (
    InvalidTransition,
    ProblemMachine,
    allowed_events,
    check_transition,
    transition,
)

STATES = [
    "under_investigation",
    "review_scheduled",
    "accepted_as_defect",
    "fix_scheduled",
    "fix_released",
    "not_a_defect",
]
OPEN_STATES = STATES[:4]
FINAL_STATES = ["fix_released", "not_a_defect"]
EVENTS = [
    "link_case",
    "request_information",
    "schedule_review",
    "accept_as_defect",
    "reject",
    "schedule_fix",
    "release_fix",
]

# The problem lifecycle of DESIGN §6: (from state, event) -> to state. Nothing else is allowed.
ALLOWED = {
    **{(state, "link_case"): state for state in OPEN_STATES},
    **{(state, "request_information"): state for state in OPEN_STATES},
    ("under_investigation", "schedule_review"): "review_scheduled",
    ("review_scheduled", "accept_as_defect"): "accepted_as_defect",
    ("review_scheduled", "reject"): "not_a_defect",
    ("accepted_as_defect", "schedule_fix"): "fix_scheduled",
    ("fix_scheduled", "schedule_fix"): "fix_scheduled",
    ("fix_scheduled", "release_fix"): "fix_released",
}
REFUSED = [(state, event) for state in STATES for event in EVENTS if (state, event) not in ALLOWED]


def test_the_machine_has_the_charters_states_and_events() -> None:
    assert [state.id for state in ProblemMachine.states] == STATES
    assert sorted(state.id for state in ProblemMachine.final_states) == sorted(FINAL_STATES)
    reachable = {event for state in STATES for event in allowed_events(ProblemMachine, state)}
    assert sorted(reachable) == sorted(EVENTS)


def test_a_new_problem_starts_under_investigation() -> None:
    assert ProblemMachine().current_state_value == "under_investigation"


@pytest.mark.parametrize(("state", "event", "after"), [(*k, v) for k, v in ALLOWED.items()])
def test_an_allowed_event_moves_the_problem_on(state: str, event: str, after: str) -> None:
    check_transition(ProblemMachine, state, event)

    assert transition(ProblemMachine, state, event) == after


@pytest.mark.parametrize(("state", "event"), REFUSED)
def test_any_other_event_is_refused_naming_the_event_and_the_state(state: str, event: str) -> None:
    with pytest.raises(InvalidTransition) as refused:
        transition(ProblemMachine, state, event)

    assert event in str(refused.value)
    assert f"the problem is {state.replace('_', ' ')}" in str(refused.value)
    assert event not in refused.value.allowed


def test_a_problem_is_reviewed_before_it_is_accepted_or_rejected() -> None:
    with pytest.raises(InvalidTransition) as refused:
        check_transition(ProblemMachine, "under_investigation", "accept_as_defect")

    assert refused.value.allowed == ["link_case", "request_information", "schedule_review"]


@pytest.mark.parametrize("state", FINAL_STATES)
def test_a_released_or_rejected_problem_takes_no_more_cases_and_no_decisions(state: str) -> None:
    assert allowed_events(ProblemMachine, state) == []

    with pytest.raises(InvalidTransition, match="the problem is closed"):
        check_transition(ProblemMachine, state, "link_case")


def test_a_defect_goes_from_review_to_a_released_fix_and_may_be_rescheduled_on_the_way() -> None:
    machine = ProblemMachine(start_value="under_investigation")

    for event in ("schedule_review", "accept_as_defect", "schedule_fix", "schedule_fix"):
        machine.send(event)
    machine.send("release_fix")

    assert machine.current_state_value == "fix_released"
