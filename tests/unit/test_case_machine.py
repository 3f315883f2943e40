import pytest

from domain.machines import (
    CaseMachine,
    InvalidTransition,
    allowed_events,
    check_transition,
    transition,
)

STATES = [
    "logged",
    "investigating",
    "awaiting_information",
    "escalated_to_problem",
    "resolution_offered",
    "resolved",
    "withdrawn",
]
OPEN_STATES = STATES[:5]
FINAL_STATES = ["resolved", "withdrawn"]
EVENTS = [
    "acknowledge",
    "post_update",
    "request_information",
    "provide_information",
    "change_priority",
    "escalate_to_problem",
    "resume_investigation",
    "offer_resolution",
    "accept_resolution",
    "reopen",
    "resolve",
    "withdraw",
    "give_feedback",
]

# The case lifecycle of DESIGN §5: (from state, event) -> to state. Nothing else is allowed.
ALLOWED = {
    ("logged", "acknowledge"): "investigating",
    ("investigating", "post_update"): "investigating",
    ("awaiting_information", "post_update"): "awaiting_information",
    ("escalated_to_problem", "post_update"): "escalated_to_problem",
    ("investigating", "request_information"): "awaiting_information",
    ("awaiting_information", "provide_information"): "investigating",
    **{(state, "change_priority"): state for state in OPEN_STATES},
    ("investigating", "escalate_to_problem"): "escalated_to_problem",
    ("escalated_to_problem", "resume_investigation"): "investigating",
    ("investigating", "offer_resolution"): "resolution_offered",
    ("awaiting_information", "offer_resolution"): "resolution_offered",
    ("escalated_to_problem", "offer_resolution"): "resolution_offered",
    ("resolution_offered", "accept_resolution"): "resolved",
    ("resolution_offered", "reopen"): "investigating",
    ("resolution_offered", "resolve"): "resolved",
    **{(state, "withdraw"): "withdrawn" for state in OPEN_STATES},
    # Feedback (DESIGN §12) on an open case or while an offer stands: the state stays.
    **{(state, "give_feedback"): state for state in OPEN_STATES},
}
REFUSED = [(state, event) for state in STATES for event in EVENTS if (state, event) not in ALLOWED]


def test_the_machine_has_the_charters_states_and_events() -> None:
    assert [state.id for state in CaseMachine.states] == STATES
    assert sorted(state.id for state in CaseMachine.final_states) == FINAL_STATES
    reachable = {event for state in STATES for event in allowed_events(CaseMachine, state)}
    assert sorted(reachable) == sorted(EVENTS)


def test_a_new_case_starts_logged() -> None:
    assert CaseMachine().current_state_value == "logged"


@pytest.mark.parametrize(("state", "event", "after"), [(*k, v) for k, v in ALLOWED.items()])
def test_an_allowed_event_moves_the_case_on(state: str, event: str, after: str) -> None:
    check_transition(CaseMachine, state, event)

    assert transition(CaseMachine, state, event) == after
    assert event in allowed_events(CaseMachine, state)


@pytest.mark.parametrize(("state", "event"), REFUSED)
def test_any_other_event_is_refused_naming_the_event_and_the_state(state: str, event: str) -> None:
    with pytest.raises(InvalidTransition) as refused:
        transition(CaseMachine, state, event)

    message = str(refused.value)
    assert event in message
    assert state.replace("_", " ") in message
    assert (refused.value.event, refused.value.state) == (event, state)
    assert event not in refused.value.allowed


def test_the_refusal_tells_the_caller_what_is_allowed_instead() -> None:
    with pytest.raises(InvalidTransition) as refused:
        check_transition(CaseMachine, "logged", "offer_resolution")

    assert refused.value.allowed == ["acknowledge", "change_priority", "withdraw", "give_feedback"]
    assert "acknowledge, change_priority, withdraw, give_feedback" in str(refused.value)


@pytest.mark.parametrize("state", FINAL_STATES)
def test_a_resolved_or_withdrawn_case_allows_nothing(state: str) -> None:
    assert allowed_events(CaseMachine, state) == []

    with pytest.raises(InvalidTransition, match="the case is closed"):
        check_transition(CaseMachine, state, "reopen")


@pytest.mark.parametrize("state", STATES)
def test_a_case_restored_from_its_saved_state_carries_on_from_there(state: str) -> None:
    machine = CaseMachine(start_value=state)

    assert machine.current_state_value == state
    assert sorted(e.id for e in machine.allowed_events) == sorted(
        event for (origin, event) in ALLOWED if origin == state
    )


def test_a_restored_machine_takes_the_next_event_from_its_saved_state() -> None:
    machine = CaseMachine(start_value="awaiting_information")

    machine.send("provide_information")
    machine.send("offer_resolution")
    machine.send("reopen")

    assert machine.current_state_value == "investigating"


@pytest.mark.parametrize("state", STATES)
def test_remembered_answers_are_the_machines_own(state: str) -> None:
    # Asked twice, so the second answer comes from memory.
    for _ in range(2):
        fresh = CaseMachine(start_value=state)
        assert allowed_events(CaseMachine, state) == [e.id for e in fresh.allowed_events]
        for event in allowed_events(CaseMachine, state):
            moved = CaseMachine(start_value=state)
            moved.send(event)
            assert transition(CaseMachine, state, event) == moved.current_state_value


def test_a_remembered_answer_cannot_be_changed_by_its_caller() -> None:
    allowed_events(CaseMachine, "logged").append("offer_resolution")

    assert "offer_resolution" not in allowed_events(CaseMachine, "logged")


def test_a_guarded_machine_is_refused_rather_than_remembered() -> None:
    from statemachine import State, StateMachine

    class GuardedMachine(StateMachine):
        waiting = State(initial=True)
        done = State(final=True)
        finish = waiting.to(done, cond="ready")

        def ready(self) -> bool:  # pragma: no cover - never asked
            return True

    with pytest.raises(TypeError, match=r"GuardedMachine\.finish is guarded"):
        allowed_events(GuardedMachine, "waiting")
