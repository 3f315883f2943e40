"""A policy change reaching an open case or change request (DESIGN §15), pure.

`sims-case policy apply` sends every open case and change request `apply_policy`: the
new policy and its version, a hash of its canonical form. The workflow records
`policy_changed` (who, the old version and the new, and what changed) and from then on
derives every clock from its event log under the new policy. The same version again is
a no-op, so an apply can be run twice, or resumed after a failure, and changes nothing
the second time.
"""

from __future__ import annotations

import functools
import hashlib
import json
from typing import Annotated, Any

from pydantic import Field

from domain.models import CaseRequest
from domain.policy import SupportPolicy
from domain.refusals import InvalidInput

# The update on a case and on a change request (outside their machines, like school data).
APPLY_POLICY = "apply_policy"
VERSION_LENGTH = 16
PolicyVersion = Annotated[str, Field(pattern=rf"^[0-9a-f]{{{VERSION_LENGTH}}}$")]
# A timeline line names at most this many of the changed numbers, then says how many more.
SHOWN_CHANGES = 6


class ApplyPolicy(CaseRequest):
    """The desk's request: run on `policy` from now on (`version` = `policy_version`)."""

    policy: SupportPolicy
    version: PolicyVersion


@functools.lru_cache(maxsize=32)  # frozen, so hashable: every status names its version
def policy_version(policy: SupportPolicy) -> str:
    """The policy's identity: the SHA-256 of its canonical JSON (keys sorted, durations in
    their one written form), first 16 hex digits. Equal policies have equal versions
    however their files were written ("480m" and "8h" are one policy)."""
    canonical = json.dumps(policy.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:VERSION_LENGTH]


def check_version(req: ApplyPolicy) -> None:
    """Raise unless the request's version is its policy's: a caller who sends one policy
    under another's version is refused, naming the field."""
    actual = policy_version(req.policy)
    if req.version != actual:
        raise InvalidInput(
            f"version: {req.version} is not the version of the policy sent ({actual}); "
            "send the version `policy_version` gives"
        )


def changes(old: SupportPolicy, new: SupportPolicy) -> list[str]:
    """Each number that differs, as `field old -> new` (nested fields dotted), in the
    policy's own order."""
    before, after = _flat(old.model_dump(mode="json")), _flat(new.model_dump(mode="json"))
    return [
        f"{name} {_text(before.get(name))} -> {_text(after.get(name))}"
        for name in dict.fromkeys([*before, *after])
        if before.get(name) != after.get(name)
    ]


def changed_line(old: SupportPolicy, new: SupportPolicy) -> str:
    """The timeline's line: the versions, then what changed (the first few)."""
    found = changes(old, new)
    shown = "; ".join(found[:SHOWN_CHANGES])
    more = f"; and {len(found) - SHOWN_CHANGES} more" if len(found) > SHOWN_CHANGES else ""
    return f"support policy {policy_version(old)} -> {policy_version(new)}: {shown}{more}"


def _flat(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        flat: dict[str, Any] = {}
        for key, item in value.items():
            flat |= _flat(item, f"{prefix}{key}.")
        return flat
    return {prefix.rstrip("."): value}


def _text(value: Any) -> str:
    """A number or a duration as the policy file writes it; a KPI row as its steps."""
    if isinstance(value, list):
        return "[" + ", ".join(_text(v) for v in value) + "]"
    return "none" if value is None else str(value)
