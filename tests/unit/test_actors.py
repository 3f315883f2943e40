"""DESIGN §12's permission table, every role against every event, both ways."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from domain.actors import (
    PERMISSIONS,
    Actor,
    Lifecycle,
    Role,
    Subject,
    permit,
    permit_approval,
    permit_opening,
    permit_vote,
)
from domain.refusals import NotAllowed, NotYourCase

INTEGRATOR_ID, URN = "INT-042", "123456"
CASE = Subject(Lifecycle.CASE, integrator_id=INTEGRATOR_ID, school_urn=URN)
OWN_ID = {Role.INTEGRATOR: INTEGRATOR_ID, Role.SCHOOL: URN}
CASES = [
    (lifecycle, event, role)
    for lifecycle, table in PERMISSIONS.items()
    for event in table
    for role in Role
]


def actor(role: Role, id: str | None = None) -> Actor:
    return Actor(role=role, id=id or OWN_ID.get(role, "staff-7"))


def subject(lifecycle: Lifecycle) -> Subject:
    return CASE if lifecycle is Lifecycle.CASE else Subject(lifecycle)


@pytest.mark.parametrize(("lifecycle", "event", "role"), CASES)
def test_each_role_may_send_exactly_what_the_table_gives_it(
    lifecycle: Lifecycle, event: str, role: Role
) -> None:
    allowed = role in PERMISSIONS[lifecycle][event]

    if allowed:
        permit(actor(role), event, subject(lifecycle))
    else:
        with pytest.raises(NotAllowed):
            permit(actor(role), event, subject(lifecycle))


def test_the_desk_answers_for_the_integrator_but_never_gives_its_feedback() -> None:
    desk = actor(Role.DESK)
    for event in ("provide_information", "accept_resolution", "reopen", "withdraw"):
        permit(desk, event, CASE)
    with pytest.raises(NotAllowed):
        permit(desk, "give_feedback", CASE)


def test_an_integrator_cannot_acknowledge_a_case_and_is_told_so() -> None:
    with pytest.raises(NotAllowed, match="an integrator cannot acknowledge a case"):
        permit(actor(Role.INTEGRATOR), "acknowledge", CASE)


def test_the_system_is_never_accepted_from_a_caller() -> None:
    for lifecycle, table in PERMISSIONS.items():
        for event in table:
            with pytest.raises(NotAllowed):
                permit(actor(Role.SYSTEM, "system"), event, subject(lifecycle))


@given(other=st.from_regex(r"[A-Za-z0-9._@-]{1,64}", fullmatch=True))
def test_another_integrators_accept_reopen_or_withdraw_is_not_their_case(other: str) -> None:
    stranger = actor(Role.INTEGRATOR, other)
    for event in ("accept_resolution", "reopen", "withdraw"):
        if other == INTEGRATOR_ID:
            permit(stranger, event, CASE)
        else:
            with pytest.raises(NotYourCase):
                permit(stranger, event, CASE)


@given(other=st.from_regex(r"[0-9]{6}", fullmatch=True))
def test_a_school_acts_only_on_its_own_cases(other: str) -> None:
    school = actor(Role.SCHOOL, other)
    if other == URN:
        permit(school, "provide_information", CASE)
    else:
        with pytest.raises(NotYourCase):
            permit(school, "provide_information", CASE)


def test_not_your_case_says_the_same_as_no_such_case() -> None:
    with pytest.raises(NotYourCase, match="no such case"):
        permit(actor(Role.INTEGRATOR, "INT-999"), "withdraw", CASE)


@pytest.mark.parametrize("event", ["approve_partner_access", "refuse_partner_access"])
def test_a_partner_access_decision_is_made_only_as_the_actor_it_comes_from(event: str) -> None:
    permit_approval(actor(Role.SCHOOL), event, "school", CASE)
    permit_approval(actor(Role.INTEGRATOR), event, "integrator", CASE)
    with pytest.raises(NotAllowed):
        permit_approval(actor(Role.INTEGRATOR), event, "school", CASE)
    with pytest.raises(NotAllowed):
        permit_approval(actor(Role.SCHOOL), event, "integrator", CASE)
    with pytest.raises(NotYourCase):
        permit_approval(actor(Role.SCHOOL, "654321"), event, "school", CASE)
    with pytest.raises(NotAllowed):
        permit_approval(actor(Role.DESK), event, "school", CASE)


def test_a_vote_for_another_integrator_is_refused() -> None:
    permit_vote(actor(Role.INTEGRATOR), INTEGRATOR_ID)
    with pytest.raises(NotAllowed):
        permit_vote(actor(Role.INTEGRATOR), "INT-001")
    with pytest.raises(NotAllowed):
        permit_vote(actor(Role.DESK), INTEGRATOR_ID)


def test_an_integrator_opens_only_its_own_cases_reported_as_an_integrator() -> None:
    permit_opening(actor(Role.INTEGRATOR), CASE, reporter_role="integrator")
    with pytest.raises(NotAllowed, match=r"reporter\.role"):
        permit_opening(actor(Role.INTEGRATOR), CASE, reporter_role="school_support_unit")
    with pytest.raises(NotAllowed, match=r"integrator\.id: integrator INT-001 opens cases"):
        permit_opening(actor(Role.INTEGRATOR, "INT-001"), CASE, reporter_role="integrator")


def test_a_school_opens_only_its_own_cases_reported_by_its_support_unit() -> None:
    permit_opening(actor(Role.SCHOOL), CASE, reporter_role="school_support_unit")
    with pytest.raises(NotAllowed):
        permit_opening(actor(Role.SCHOOL), CASE, reporter_role="integrator")


def test_who_may_open_a_problem_or_raise_a_change_request() -> None:
    permit_opening(actor(Role.DESK), Subject(Lifecycle.PROBLEM))
    permit_opening(actor(Role.INTEGRATOR), Subject(Lifecycle.CHANGE_REQUEST))
    with pytest.raises(NotAllowed, match="opened_by"):
        permit_opening(actor(Role.INTEGRATOR), Subject(Lifecycle.PROBLEM))
    with pytest.raises(NotAllowed):
        permit_opening(actor(Role.PRODUCT_MANAGER), CASE, reporter_role="integrator")


@given(st.text(max_size=80))
def test_an_actor_id_is_one_to_64_plain_characters(text: str) -> None:
    plain = 1 <= len(text) <= 64 and all(c.isascii() and (c.isalnum() or c in "._@-") for c in text)
    if plain:
        assert Actor(role=Role.DESK, id=text).id == text
    else:
        with pytest.raises(ValidationError):
            Actor(role=Role.DESK, id=text)


def test_a_name_longer_than_100_characters_is_refused() -> None:
    Actor(role=Role.DESK, id="s1", name="n" * 100)
    with pytest.raises(ValidationError):
        Actor(role=Role.DESK, id="s1", name="n" * 101)
