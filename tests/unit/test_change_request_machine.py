"""The change-request lifecycle of DESIGN §7: three stages, three endings."""

import pytest

from domain.machines import (
    ChangeRequestMachine,
    InvalidTransition,
    allowed_events,
    check_transition,
    transition,
)

STAGE_1 = "published_for_consultation"
STAGE_2 = "considered_for_future_release"
STAGE_3 = "planned_for_future_release"
STATES = [STAGE_1, STAGE_2, STAGE_3, "delivered", "rejected", "duplicate"]
FINAL_STATES = ["delivered", "duplicate", "rejected"]
EVENTS = ["review", "consider", "plan", "deliver", "reject", "mark_duplicate", "vote", "unvote"]

# (from state, event) -> to state. Nothing else is allowed.
ALLOWED = {
    (STAGE_1, "review"): STAGE_1,
    (STAGE_1, "consider"): STAGE_2,
    (STAGE_1, "reject"): "rejected",
    (STAGE_1, "mark_duplicate"): "duplicate",
    (STAGE_2, "review"): STAGE_2,
    (STAGE_2, "plan"): STAGE_3,
    (STAGE_2, "reject"): "rejected",
    (STAGE_3, "deliver"): "delivered",
    (STAGE_3, "reject"): "rejected",
    # Votes are open in stages 1 and 2 only, and move nothing.
    (STAGE_1, "vote"): STAGE_1,
    (STAGE_1, "unvote"): STAGE_1,
    (STAGE_2, "vote"): STAGE_2,
    (STAGE_2, "unvote"): STAGE_2,
}
REFUSED = [(state, event) for state in STATES for event in EVENTS if (state, event) not in ALLOWED]


def test_the_machine_has_the_charters_stages_and_endings() -> None:
    assert [state.id for state in ChangeRequestMachine.states] == STATES
    assert sorted(s.id for s in ChangeRequestMachine.final_states) == FINAL_STATES
    reachable = {e for state in STATES for e in allowed_events(ChangeRequestMachine, state)}
    assert sorted(reachable) == sorted(EVENTS)


def test_a_new_change_request_is_published_for_consultation() -> None:
    assert ChangeRequestMachine().current_state_value == STAGE_1


@pytest.mark.parametrize(("state", "event", "after"), [(*k, v) for k, v in ALLOWED.items()])
def test_an_allowed_decision_moves_the_request_on(state: str, event: str, after: str) -> None:
    check_transition(ChangeRequestMachine, state, event)

    assert transition(ChangeRequestMachine, state, event) == after


@pytest.mark.parametrize(("state", "event"), REFUSED)
def test_any_other_decision_is_refused_naming_it_and_the_state(state: str, event: str) -> None:
    with pytest.raises(InvalidTransition) as refused:
        transition(ChangeRequestMachine, state, event)

    assert event in str(refused.value)
    assert state.replace("_", " ") in str(refused.value)
    assert "change request" in str(refused.value)
    assert event not in refused.value.allowed


def test_delivering_before_planning_is_refused_and_says_what_is_allowed() -> None:
    with pytest.raises(InvalidTransition) as refused:
        check_transition(ChangeRequestMachine, STAGE_2, "deliver")

    assert refused.value.allowed == ["review", "plan", "reject", "vote", "unvote"]


@pytest.mark.parametrize("state", FINAL_STATES)
def test_a_finished_change_request_allows_nothing(state: str) -> None:
    assert allowed_events(ChangeRequestMachine, state) == []

    with pytest.raises(InvalidTransition, match="the change request is closed"):
        check_transition(ChangeRequestMachine, state, "review")


def test_a_review_keeps_the_stage_it_happens_in() -> None:
    machine = ChangeRequestMachine(start_value=STAGE_2)

    machine.send("review")

    assert machine.current_state_value == STAGE_2


def test_every_stage_can_end_in_rejection() -> None:
    for state in (STAGE_1, STAGE_2, STAGE_3):
        assert transition(ChangeRequestMachine, state, "reject") == "rejected"
