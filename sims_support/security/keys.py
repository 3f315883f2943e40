"""The HTTP gateway's API keys (DESIGN §14): each key is an actor, and the gateway acts as
the actor of the key a request carries, whatever its body says.

A token reads `sims_<key id>_<secret>`: the key id (8 hex digits) is public, what
`sims-case keys list` shows and `keys revoke` takes; the secret is 32 random bytes. The
store keeps only the token's SHA-256, beside the actor and when the key was created and
revoked, in the `api_keys` table of the KPI ledger's database (SQLite or PostgreSQL).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict

from activities.ledger import Ledger
from activities.ledger_schema import api_keys
from domain.actors import Actor, Role

PREFIX = "sims_"
KEY_ID_LENGTH = 8
# A token is at most this long: anything longer is no token of ours, refused unhashed.
TOKEN_MAX = 100
KEY_ID = re.compile(rf"^(?:{PREFIX})?([0-9a-f]{{{KEY_ID_LENGTH}}})(?:_.*)?$")


class UnknownKey(LookupError):
    """No key has that id."""


class ApiKey(BaseModel):
    """One key as the store lists it: never its token."""

    model_config = ConfigDict(frozen=True)
    key_id: str
    actor: Actor
    created_at: dt.datetime
    revoked_at: dt.datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class NewKey(BaseModel):
    """A key just created, with its token: shown once, kept nowhere."""

    model_config = ConfigDict(frozen=True)
    token: str
    key_id: str
    actor: Actor
    created_at: dt.datetime


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def key_id_of(text: str) -> str | None:
    """The key id that `text` names: the id itself, or a token (or its start) holding it."""
    found = KEY_ID.match(text.strip())
    return found.group(1) if found else None


class KeyStore:
    """The keys in the ledger's database (its schema creates or upgrades the table)."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    @classmethod
    def at(cls, url: str) -> KeyStore:
        return cls(Ledger(url))

    def dispose(self) -> None:
        self.ledger.dispose()

    def create(self, actor: Actor, now: dt.datetime) -> NewKey:
        """A new key for `actor`; `system` is the workflows' own actor, never a caller's."""
        if actor.role is Role.SYSTEM:
            raise ValueError("role: system is the workflows' own actor; no key acts as it")
        for _ in range(5):  # a key id already taken (1 in 4 billion): draw another
            key_id = secrets.token_hex(KEY_ID_LENGTH // 2)
            token = f"{PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
            row = {
                "key_id": key_id,
                "token_sha256": digest(token),
                "role": actor.role.value,
                "actor_id": actor.id,
                "name": actor.name,
                "created_at": now,
                "revoked_at": None,
            }
            try:
                with self.ledger.engine.begin() as conn:
                    conn.execute(api_keys.insert().values(row))
            except sa.exc.IntegrityError:
                continue
            return NewKey(token=token, key_id=key_id, actor=actor, created_at=now)
        raise RuntimeError("could not draw an unused key id")  # pragma: no cover

    def listing(self) -> list[ApiKey]:
        """Every key, revoked ones too, oldest first."""
        c = api_keys.c
        query = sa.select(api_keys).order_by(c.created_at, c.key_id)
        with self.ledger.engine.connect() as conn:
            return [_key_from(row) for row in conn.execute(query).mappings()]

    def active_count(self) -> int:
        query = sa.select(sa.func.count()).where(api_keys.c.revoked_at.is_(None))
        with self.ledger.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def revoke(self, which: str, now: dt.datetime) -> ApiKey:
        """Revoke the key `which` names (its id, or its token); revoking twice keeps the
        first time. `UnknownKey` when none has that id."""
        key_id = key_id_of(which)
        c = api_keys.c
        with self.ledger.engine.begin() as conn:
            if key_id is not None:
                conn.execute(
                    sa.update(api_keys)
                    .where(c.key_id == key_id, c.revoked_at.is_(None))
                    .values(revoked_at=now)
                )
                row = conn.execute(sa.select(api_keys).where(c.key_id == key_id)).mappings()
                found = row.first()
                if found is not None:
                    return _key_from(found)
        raise UnknownKey(
            f"no API key has the id {which!r}: `sims-case keys list` shows every key's id"
        )

    def actor_for(self, token: str) -> Actor | None:
        """The actor of the active key whose token this is; None for any other text."""
        if not token.startswith(PREFIX) or len(token) > TOKEN_MAX:
            return None
        c = api_keys.c
        query = sa.select(api_keys).where(c.token_sha256 == digest(token), c.revoked_at.is_(None))
        with self.ledger.engine.connect() as conn:
            found = conn.execute(query).mappings().first()
        return None if found is None else _key_from(found).actor


def _key_from(row: sa.RowMapping) -> ApiKey:
    actor = Actor(role=Role(row["role"]), id=row["actor_id"], name=row["name"])
    return ApiKey(
        key_id=row["key_id"],
        actor=actor,
        created_at=row["created_at"],
        revoked_at=row["revoked_at"],
    )
