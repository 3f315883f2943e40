"""Who `sims-case` acts as (DESIGN §12): `--as ROLE:ID[:NAME]`, else the `SIMS_ACTOR`
setting in the same form, else the desk as the login user.

The command line is an operator's tool: it holds credentials that may write to the
namespace, so it may say it is anyone but the system. The workflows check what that
actor may do, as they do for the gateway's callers.
"""

from __future__ import annotations

import argparse
import getpass
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol, TypeVar

from pydantic import ValidationError

from domain.actors import Actor, Role, sees_internal, shown_to
from domain.vocabulary import Visibility
from sims_support.cli.exits import bad_input
from sims_support.cli.shown import table

if TYPE_CHECKING:
    from sims_support.config import Settings


class Visible(Protocol):
    @property
    def visibility(self) -> Visibility: ...


E = TypeVar("E", bound=Visible)
FORM = "ROLE:ID[:NAME], e.g. integrator:INT-042 or desk:PST-017:Pat Jones"
ROLES = tuple(role.value for role in Role if role is not Role.SYSTEM)
NOT_AN_ID = re.compile(r"[^A-Za-z0-9._@-]")


def read_actor(text: str, source: str = "--as") -> Actor:
    """`ROLE:ID[:NAME]` as an actor; bad input naming `source` (the flag or the setting)."""
    role, colon, rest = text.partition(":")
    # An id has no colon (its pattern), so everything after the second colon is the name.
    identity, _, name = rest.partition(":")
    role = role.strip()
    if not colon or not identity.strip():
        raise bad_input(f"{source}: {text!r} is not {FORM}")
    if role == Role.SYSTEM.value:
        raise bad_input(
            f"{source}: system is the workflows' own actor (timers, a problem's news); "
            f"act as one of {', '.join(ROLES)}"
        )
    if role not in ROLES:
        raise bad_input(f"{source}: {role!r} is not a role: one of {', '.join(ROLES)} ({FORM})")
    try:
        return Actor(role=Role(role), id=identity.strip(), name=name.strip() or None)
    except ValidationError as err:
        problem = err.errors()[0]
        field = problem["loc"][0] if problem["loc"] else "actor"
        what = "1 to 64 of A-Z a-z 0-9 . _ @ -" if field == "id" else "at most 100 characters"
        raise bad_input(f"{source}: the {field} in {text!r} must be {what} ({FORM})") from None


def login_actor(user: str | None = None) -> Actor:
    """The desk, as the person logged in: the id made to fit the id's pattern."""
    if user is None:
        try:
            user = getpass.getuser()
        except (ImportError, KeyError, OSError):  # no login name anywhere the system keeps one
            user = ""
    identity = NOT_AN_ID.sub("_", user)[:64] or "desk"
    return Actor(role=Role.DESK, id=identity, name=user[:100] or None)


def actor_of(args: argparse.Namespace, settings: Settings | None = None) -> Actor:
    """The actor the command acts as: `--as`, else SIMS_ACTOR, else the login desk."""
    given = getattr(args, "acting_as", None)
    if given is not None:
        return read_actor(given, "--as")
    if settings is not None and settings.actor:
        return read_actor(settings.actor, "SIMS_ACTOR")
    return login_actor()


def viewer_of(actor: Actor) -> Actor | None:
    """Whom a status is shown as: an integrator or a school sees its own, without internal
    events; the desk and product managers see everything (no viewer)."""
    return None if sees_internal(actor) else actor


def visible(events: Sequence[E], viewer: Actor | None) -> list[E]:
    """The events `viewer` may see: an integrator or a school, the public ones only."""
    return [event for event in events if shown_to(viewer, event.visibility)]


def who(actor: Actor | None) -> str:
    """`role:id (name)` as a timeline shows it; nothing for events recorded before actors."""
    if actor is None:
        return ""
    # The login desk's name is its id, as often as not: said once.
    named = f" ({actor.name})" if actor.name and actor.name != actor.id else ""
    return f"{actor.role.value}:{actor.id}{named}"


def timeline_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A timeline as a table; its `actor` column only when some event has one (a history
    recorded before actors reads as it always did)."""
    at = headers.index("actor")
    if not any(row[at] for row in rows):
        headers = [h for i, h in enumerate(headers) if i != at]
        rows = [[c for i, c in enumerate(row) if i != at] for row in rows]
    return table(headers, rows)


def marked(event: str, visibility: Visibility) -> str:
    """The event as a timeline names it, `[internal]` when only the desk sees it."""
    return f"{event} [internal]" if visibility is Visibility.INTERNAL else event
