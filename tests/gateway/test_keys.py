"""API keys (DESIGN §14): `sims-case keys create` prints a token once and the store keeps
only its SHA-256; each key is one actor until it is revoked; `open --print-intake` prints
what `POST /v1/cases` takes."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from domain.actors import Actor, Role
from sims_support.cli import main as starter
from sims_support.security.keys import KeyStore, UnknownKey, digest

AT = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)
INTEGRATOR = Actor(role=Role.INTEGRATOR, id="INT-042", name="Acme")


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'ledger.db'}"


def test_a_key_is_kept_as_the_hash_of_its_token_and_acts_as_its_actor(url: str) -> None:
    store = KeyStore.at(url)
    made = store.create(INTEGRATOR, AT)

    with store.ledger.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT * FROM api_keys")).mappings().all()
    store.dispose()

    assert made.token.startswith(f"sims_{made.key_id}_")
    assert [row["token_sha256"] for row in rows] == [digest(made.token)]
    assert made.token not in json.dumps([dict(r) for r in rows], default=str)
    assert KeyStore.at(url).actor_for(made.token) == INTEGRATOR
    assert KeyStore.at(url).actor_for(made.token[:-1] + "x") is None


def test_a_revoked_key_acts_as_no_one_and_revoking_it_again_keeps_the_first_time(
    url: str,
) -> None:
    store = KeyStore.at(url)
    made, kept = store.create(INTEGRATOR, AT), store.create(INTEGRATOR, AT)

    first = store.revoke(made.key_id, AT)
    again = store.revoke(made.token, AT + dt.timedelta(hours=1))

    assert (first.revoked_at, again.revoked_at) == (AT, AT)
    assert store.actor_for(made.token) is None
    assert store.actor_for(kept.token) == INTEGRATOR
    assert store.active_count() == 1
    with pytest.raises(UnknownKey):
        store.revoke("0badc0de", AT)
    with pytest.raises(ValueError, match="system"):
        store.create(Actor(role=Role.SYSTEM, id="system"), AT)


def test_keys_create_prints_the_token_once_and_list_never_does(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    created = starter.run(
        ["keys", "create", "--role", "school", "--id", "123456", "--json", "--ledger", url]
    )
    made = json.loads(capsys.readouterr().out)
    listed = starter.run(["keys", "list", "--ledger", url])
    shown = capsys.readouterr().out
    revoked = starter.run(["keys", "revoke", made["key_id"], "--ledger", url])
    said = capsys.readouterr().out

    assert (created, listed, revoked) == (0, 0, 0)
    assert made["actor"] == {"role": "school", "id": "123456", "name": None}
    assert made["key_id"] in shown and "school:123456" in shown
    assert made["token"] not in shown
    assert said.startswith(f"key {made['key_id']} (school:123456) is revoked since ")
    assert KeyStore.at(url).actor_for(made["token"]) is None


def test_keys_refuse_what_is_no_actor_and_an_unknown_key(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    bad_id = starter.run(["keys", "create", "--role", "desk", "--id", "has space", "--ledger", url])
    system = starter.run(["keys", "create", "--role", "system", "--id", "x", "--ledger", url])
    empty = starter.run(["keys", "list", "--ledger", url])
    first = capsys.readouterr()
    unknown = starter.run(["keys", "revoke", "0badc0de", "--ledger", url])

    assert (bad_id, system, empty, unknown) == (2, 2, 0, 4)
    assert "--id:" in first.err
    assert "no API keys yet: create the first with `sims-case keys create" in first.out
    assert "no API key has the id '0badc0de'" in capsys.readouterr().err


def test_open_print_intake_prints_the_example_and_opens_nothing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    flags = ["--example", "p1-incident", "--reference", "INC-HTTP-1", "--print-intake"]
    code = starter.run(["open", *flags, "--address", "127.0.0.1:1"])  # no Temporal there
    intake = json.loads(capsys.readouterr().out)

    assert code == 0
    assert (intake["reference"], intake["channel"], intake["impact"]) == ("INC-HTTP-1", "phone", 1)
    assert "opened_by" not in intake and "actor" not in intake
