"""Tiny factories for the change request record's tests: a request raised, published."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from domain.change_requests import Decision, OpenChangeRequest, Vote
from domain.cr_record import ChangeRequestRecord
from domain.policy import SupportPolicy

NOW = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)
_ids = itertools.count(1)


def raised(**overrides: Any) -> OpenChangeRequest:
    fields: dict[str, Any] = {
        "reference": "CR-100",
        "title": "Expose attendance codes on the Attendance API",
        "raised_by": "INT-042",
        "raised_at": NOW,
    }
    return OpenChangeRequest.model_validate(fields | overrides)


def published() -> ChangeRequestRecord:
    record = ChangeRequestRecord(raised(), policy=SupportPolicy())
    record.publish(NOW)
    return record


def rid() -> str:
    return f"r-{next(_ids)}"


def vote(integrator: str, request_id: str | None = None) -> Vote:
    return Vote(request_id=request_id or rid(), integrator_id=integrator)


def decision(model: type[Decision] = Decision, **fields: Any) -> Any:
    return model(request_id=rid(), decided_by="pm-ann", reason="customer groups", **fields)
