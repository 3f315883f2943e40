"""Who `sims-case` acts as: `--as ROLE:ID[:NAME]`, else SIMS_ACTOR, else the desk as the
login user; read and checked before Temporal is contacted (DESIGN §12)."""

from __future__ import annotations

import argparse
import socket

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.actors import Actor, Role
from sims_support.cli import actors
from sims_support.cli.actors import actor_of, login_actor, read_actor, viewer_of, who
from sims_support.cli.exits import BAD_INPUT, Failure
from sims_support.cli.main import build_parser, run
from sims_support.config import Settings

IDS = st.from_regex(r"[A-Za-z0-9._@-]{1,64}", fullmatch=True)
CALLERS = st.sampled_from([r for r in Role if r is not Role.SYSTEM])


pytestmark = pytest.mark.usefixtures("no_local_settings")


@pytest.fixture
def closed_port() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{probe.getsockname()[1]}"


def parse(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(argv)


def test_an_integrator_is_named_by_role_and_id() -> None:
    assert read_actor("integrator:INT-042") == Actor(role=Role.INTEGRATOR, id="INT-042")


def test_a_desk_member_may_give_a_name_with_spaces_and_colons() -> None:
    assert read_actor("desk:PST-017:Pat Jones: nights") == Actor(
        role=Role.DESK, id="PST-017", name="Pat Jones: nights"
    )
    assert read_actor("desk:PST-017:").name is None


@given(role=CALLERS, identity=IDS)
def test_every_role_but_the_system_with_any_valid_id_is_read_back(
    role: Role, identity: str
) -> None:
    assert read_actor(f"{role.value}:{identity}") == Actor(role=role, id=identity)


@given(identity=IDS, bad=st.sampled_from(list(" /#+!'\"é")))
def test_an_id_with_a_character_it_cannot_hold_is_bad_input_naming_the_flag(
    identity: str, bad: str
) -> None:
    with pytest.raises(Failure) as refused:
        read_actor(f"integrator:{identity[:32]}{bad}{identity[:31]}")

    assert refused.value.code == BAD_INPUT
    assert str(refused.value).startswith("--as: the id in")
    assert "ROLE:ID[:NAME]" in str(refused.value)


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("integrator", "is not ROLE:ID[:NAME]"),
        ("integrator:", "is not ROLE:ID[:NAME]"),
        ("vendor:V-1", "'vendor' is not a role"),
        ("system:system", "system is the workflows' own actor"),
        ("desk:" + "x" * 65, "the id in"),
        ("desk:PST-017:" + "n" * 101, "the name in"),
    ],
)
def test_a_value_not_of_the_form_is_bad_input_naming_the_flag(value: str, words: str) -> None:
    with pytest.raises(Failure) as refused:
        read_actor(value)

    assert refused.value.code == BAD_INPUT
    assert str(refused.value).startswith("--as: ") and words in str(refused.value)


def test_as_may_come_before_or_after_the_command() -> None:
    before = parse("--as", "school:123456", "status", "INC-1")
    after = parse("status", "INC-1", "--as", "school:123456")

    assert actor_of(before) == actor_of(after) == Actor(role=Role.SCHOOL, id="123456")


def test_sims_actor_is_the_default_and_as_wins_over_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIMS_ACTOR", "desk:PST-017:Pat Jones")
    settings = Settings()

    assert actor_of(parse("status", "INC-1"), settings) == Actor(
        role=Role.DESK, id="PST-017", name="Pat Jones"
    )
    assert actor_of(parse("--as", "integrator:INT-7", "status", "INC-1"), settings).id == "INT-7"


def test_a_bad_sims_actor_is_bad_input_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SIMS_ACTOR", "integrator INT-042")

    with pytest.raises(Failure, match=r"^SIMS_ACTOR: 'integrator INT-042' is not ROLE:ID"):
        actor_of(parse("status", "INC-1"), Settings())


def test_without_either_the_desk_acts_as_the_login_user(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(actors.getpass, "getuser", lambda: "pat")

    assert actor_of(parse("status", "INC-1"), Settings()) == Actor(
        role=Role.DESK, id="pat", name="pat"
    )


@given(user=st.text(max_size=120))
def test_any_login_name_becomes_a_valid_desk_id(user: str) -> None:
    desk = login_actor(user)

    assert desk.role is Role.DESK and Actor.model_validate(desk.model_dump()) == desk
    assert desk.name == (user[:100] or None)


def test_a_login_name_is_made_to_fit_the_id() -> None:
    assert login_actor("Pat Jones (nights)").id == "Pat_Jones__nights_"
    assert login_actor("").id == "desk"


def test_no_login_name_at_all_is_still_the_desk(monkeypatch: pytest.MonkeyPatch) -> None:
    def nobody() -> str:
        raise KeyError("getpwuid(): uid not found: 1234")

    monkeypatch.setattr(actors.getpass, "getuser", nobody)

    assert login_actor() == Actor(role=Role.DESK, id="desk")


@pytest.mark.parametrize(
    ("argv", "flag"),
    [
        (["--as", "system:system", "status", "INC-1"], "sims-case: --as: system"),
        (["--as", "integrator", "acknowledge", "INC-1"], "sims-case: --as: 'integrator'"),
        (["cr", "vote", "CR-1", "--integrator", "I-1", "--as", "x:y"], "sims-case: --as: 'x'"),
        (["problem", "status", "PRB-1", "--as", "desk:a b"], "sims-case: --as: the id"),
        (["school", "status", "INC-1", "--as", "desk"], "sims-case: --as: 'desk'"),
    ],
)
def test_a_bad_actor_is_exit_2_before_temporal_is_contacted(
    argv: list[str], flag: str, closed_port: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["--address", closed_port, *argv]) == 2
    assert capsys.readouterr().err.startswith(flag)


def test_a_bad_sims_actor_is_exit_2_for_a_command_that_sends_or_reads(
    monkeypatch: pytest.MonkeyPatch, closed_port: str, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SIMS_ACTOR", "system:cron")

    assert run(["--address", closed_port, "list"]) == 2
    assert capsys.readouterr().err.startswith("sims-case: SIMS_ACTOR: system is")


def test_only_an_integrator_or_a_school_reads_as_a_viewer() -> None:
    integrator = Actor(role=Role.INTEGRATOR, id="INT-042")
    school = Actor(role=Role.SCHOOL, id="123456")

    assert viewer_of(integrator) == integrator and viewer_of(school) == school
    assert viewer_of(Actor(role=Role.DESK, id="PST-017")) is None
    assert viewer_of(Actor(role=Role.PRODUCT_MANAGER, id="pm-ann")) is None


def test_an_actor_reads_as_role_id_and_name() -> None:
    assert who(Actor(role=Role.DESK, id="PST-017", name="Pat Jones")) == "desk:PST-017 (Pat Jones)"
    assert who(Actor(role=Role.INTEGRATOR, id="INT-042")) == "integrator:INT-042"
    assert who(Actor(role=Role.DESK, id="pat", name="pat")) == "desk:pat"  # the login desk
    assert who(None) == ""
