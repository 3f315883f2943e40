"""`sims-case keys ACTION`: the HTTP gateway's API keys (DESIGN §14), each an actor.

`keys create --role ROLE --id ID [--name NAME]` prints a new token once (the store keeps
only its SHA-256); `keys list` shows every key by its id, never a token; `keys revoke
KEY` (the key id, or the token) ends it: the gateway answers it 401 from then on. The
keys live in the KPI ledger's database (`SIMS_LEDGER_URL`, or `--ledger URL`). `--as` is
not read: whoever can write that database manages the keys.
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from pydantic import TypeAdapter, ValidationError

from domain.actors import Actor, Role
from sims_support.cli.actors import ROLES, who
from sims_support.cli.exits import NO_SUCH_CASE, Failure, bad_input
from sims_support.cli.ledger import reading
from sims_support.cli.shown import escaped, table
from sims_support.config import Settings
from sims_support.reports.format import london
from sims_support.runtime.connect import one_line

if TYPE_CHECKING:
    from sims_support.security.keys import ApiKey, KeyStore, NewKey


def add_arguments(
    keys: argparse.ArgumentParser, parents: Sequence[argparse.ArgumentParser] = ()
) -> None:
    """The actions of `keys` (`main` adds them when `keys` is used)."""
    actions = keys.add_subparsers(dest="keys_command", required=True, metavar="ACTION")
    create = actions.add_parser(
        "create", parents=list(parents), help="a new key: prints its token once"
    )
    create.add_argument("--role", required=True, choices=ROLES, help="who the key acts as")
    create.add_argument("--id", dest="actor_id", required=True, help="staff id, integrator id, URN")
    create.add_argument("--name", help="a name for the timeline (at most 100 characters)")
    lister = actions.add_parser("list", parents=list(parents), help="every key (never a token)")
    revoke = actions.add_parser("revoke", parents=list(parents), help="end a key for good")
    revoke.add_argument("key", metavar="KEY", help="the key id `keys list` shows, or the token")
    for action in (create, lister, revoke):
        action.add_argument("--ledger", metavar="URL", help="the database (SIMS_LEDGER_URL)")


def read_actor(args: argparse.Namespace) -> Actor:
    try:
        return Actor(role=Role(args.role), id=args.actor_id, name=args.name or None)
    except ValidationError as err:
        raise bad_input(one_line(err, {"id": "--id", "name": "--name"})) from None


async def dispatch(args: argparse.Namespace, settings: Settings) -> str:
    """`main.dispatch` for `keys`: returns what to print."""
    from sims_support.security.keys import KeyStore

    now = dt.datetime.now(dt.UTC)
    actor = read_actor(args) if args.keys_command == "create" else None
    with reading(args.ledger or settings.ledger_url) as ledger:
        store = KeyStore(ledger)
        if actor is not None:
            return created(store.create(actor, now), as_json=args.json)
        if args.keys_command == "revoke":
            return revoked(store, args.key, now, as_json=args.json)
        if ledger_is_new(store):
            return "[]" if args.json else "no API keys yet: " + first_key_hint()
        return listed(store.listing(), as_json=args.json)


def ledger_is_new(store: KeyStore) -> bool:
    """A SQLite ledger nobody has written: nothing to list, and nothing to create."""
    from activities.ledger import LedgerMissing

    try:
        store.ledger.open_existing()
    except LedgerMissing:
        return True
    return False


def first_key_hint() -> str:
    return "create the first with `sims-case keys create --role desk --id PST-001 --name NAME`"


def created(made: NewKey, *, as_json: bool) -> str:
    if as_json:
        return made.model_dump_json()
    return "\n".join(
        [
            made.token,
            f"  key {made.key_id} acts as {escaped(who(made.actor))}; the token is shown "
            "this once: keep it in a secret store",
            "  send it as the header  Authorization: Bearer <token>",
        ]
    )


def listed(found: list[ApiKey], *, as_json: bool) -> str:
    from sims_support.security.keys import ApiKey

    if as_json:
        return TypeAdapter(list[ApiKey]).dump_json(found).decode()
    if not found:
        return "no API keys yet: " + first_key_hint()
    rows = [
        [key.key_id, escaped(who(key.actor)), london(key.created_at), london(key.revoked_at)]
        for key in found
    ]
    return table(["key", "actor", "created (London)", "revoked (London)"], rows, indent="")


def revoked(store: KeyStore, which: str, now: dt.datetime, *, as_json: bool) -> str:
    from sims_support.security.keys import UnknownKey

    try:
        if ledger_is_new(store):  # nothing to revoke: and no empty ledger made for a typo
            raise UnknownKey(f"no API key has the id {which!r}: there are no keys yet")
        key = store.revoke(which, now)
    except UnknownKey as err:
        raise Failure(NO_SUCH_CASE, "UnknownKey", escaped(str(err))) from None
    if as_json:
        return key.model_dump_json()
    assert key.revoked_at is not None
    return (
        f"key {key.key_id} ({escaped(who(key.actor))}) is revoked since "
        f"{london(key.revoked_at)}: the gateway answers it 401"
    )
