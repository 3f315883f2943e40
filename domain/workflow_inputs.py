"""What each workflow starts with and carries through continue-as-new.

They live in domain/, not in the workflow modules, because the client starts workflows
with them and must never import a workflow shell (DESIGN §1).
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from pydantic import BaseModel, ConfigDict

from domain.actors import Actor
from domain.calendar import CalendarSnapshot
from domain.change_requests import CrEvent, OpenChangeRequest
from domain.kpi_ledger import FeedbackRecord
from domain.models import CaseEvent, OpenCase
from domain.notifications import Notification
from domain.policy import SupportPolicy
from domain.problem_links import LinkedCaseChanged
from domain.school_data import SchoolData


def copied(value: Any) -> Any:
    """A carried list copied, so a record appends to its own and never to its input's."""
    return list(value) if isinstance(value, list) else value


class SetupRequest(BaseModel):
    model_config = ConfigDict(frozen=True)
    # The snapshot must cover the case's whole past too: clocks are recomputed from logging.
    from_date: dt.date
    to_date: dt.date


class CaseSetup(BaseModel):
    model_config = ConfigDict(frozen=True)
    policy: SupportPolicy
    calendar: CalendarSnapshot


def shared_setup(setup: CaseSetup) -> CaseSetup:
    """The one instance of this setup on this worker. Every case logged in the same weeks
    gets an equal policy and snapshot, so they keep one copy between them instead of one
    each. Frozen, so sharing it across workflows is safe."""
    return _shared_setup(setup.model_dump_json())


@functools.lru_cache(maxsize=64)
def _shared_setup(setup_json: str) -> CaseSetup:
    return CaseSetup.model_validate_json(setup_json)


class CaseInput(BaseModel):
    """The intake, plus what a continued run carries over."""

    model_config = ConfigDict(frozen=True)
    intake: OpenCase
    # Who opened it (DESIGN §12); None only in histories recorded before actors.
    opened_by: Actor | None = None
    setup: CaseSetup | None = None
    state: str = "logged"
    events: list[CaseEvent] = []
    request_ids: list[str] = []
    outbox: list[Notification] = []
    to_problem: list[LinkedCaseChanged] = []
    school_data: SchoolData = SchoolData()
    feedback: list[FeedbackRecord] = []
    request_digests: dict[str, str] = {}
    # Test-only: continue-as-new at this history length (the test server never suggests it).
    history_threshold: int | None = None


class ChangeRequestInput(BaseModel):
    """The request as raised, plus what a continued run carries over."""

    model_config = ConfigDict(frozen=True)
    request: OpenChangeRequest
    opened_by: Actor | None = None
    policy: SupportPolicy | None = None
    request_digests: dict[str, str] = {}
    state: str = "published_for_consultation"
    events: list[CrEvent] = []
    request_ids: list[str] = []
    outbox: list[Notification] = []
    # The original that still has to receive this duplicate's votes.
    merge_into: str | None = None
    # Test-only: continue-as-new at this history length (the test server never suggests it).
    history_threshold: int | None = None
