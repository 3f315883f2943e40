"""KPI attainment against the charter's tables (DESIGN §4, §16): what a report says.

Resolution: for each priority and each limit of `kpi_targets`, the share of cases
resolved within that much working time (exactly at the limit is within it). The cases
are those logged in the period, less the withdrawn. A case still open whose clock has
already passed a limit counts as missed for it: an open case never flatters a share.
One that has not passed it yet is left out of that limit's share (it may still meet
it), and one inside every limit is shown apart.

First response: the cases whose response fell due in the period (or were answered
early), met when the first response came at or before the deadline.

Every figure is a count. The references behind it are there only when the report was
asked for them: a report's size does not grow with the cases in its period.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, ClassVar

from pydantic import (
    BaseModel,
    ConfigDict,
    PlainSerializer,
    SerializerFunctionWrapHandler,
    computed_field,
    model_serializer,
)

from domain.models import Priority

_FROZEN = ConfigDict(frozen=True)
# Shares are ratios of small counts; compare them to the charter's percentages exactly.
_EPSILON = 1e-9
# "P1" in JSON, as people and the charter say it.
PriorityName = Annotated[
    Priority, PlainSerializer(lambda p: p.name, return_type=str, when_used="json")
]


class Period(BaseModel):
    """[start, end): a report's days, as instants."""

    model_config = _FROZEN
    start: dt.datetime
    end: dt.datetime

    def holds(self, moment: dt.datetime) -> bool:
        return self.start <= moment < self.end


class Cases(BaseModel):
    """How many cases, and which (their references, in the ledger's order) when listed."""

    model_config = _FROZEN
    count: int = 0
    references: list[str] | None = None

    @classmethod
    def listed(cls, references: list[str]) -> Cases:
        return cls(count=len(references), references=references)


class Counted(BaseModel):
    """A part of the report with `Cases` in it. In JSON a `Cases` field is the list of its
    references under the field's name when they are listed, else its count under
    `<name>_count`: the listed report reads exactly as it always has."""

    model_config = _FROZEN
    # `Cases` fields that only a listed report has (they stand behind no figure); absent
    # from the JSON of one without references.
    _listed_only: ClassVar[frozenset[str]] = frozenset()

    @model_serializer(mode="wrap")
    def _references_or_count(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        found: dict[str, Any] = handler(self)
        out: dict[str, Any] = {}
        for name, value in found.items():
            cases = getattr(self, name, None)
            if cases is None and name in self._listed_only:
                continue
            if not isinstance(cases, Cases):
                out[name] = value
            elif cases.references is None:
                out[f"{name}_count"] = cases.count
            else:
                out[name] = value["references"]
        return out


class Share(Counted):
    met: Cases
    missed: Cases

    @computed_field  # type: ignore[prop-decorator]
    @property
    def counted(self) -> int:
        return self.met.count + self.missed.count

    @computed_field  # type: ignore[prop-decorator]
    @property
    def share(self) -> float | None:
        return self.met.count / self.counted if self.counted else None


class BucketAttainment(Share):
    limit: dt.timedelta
    target: float
    # Open cases that have not reached this limit yet: not in the share.
    pending: Cases

    @computed_field  # type: ignore[prop-decorator]
    @property
    def attained(self) -> bool | None:
        if not self.counted:
            return None
        return self.met.count >= self.target * self.counted - _EPSILON


class ResolutionAttainment(Counted):
    priority: PriorityName
    resolved: int
    open: int
    buckets: list[BucketAttainment]
    # Open cases inside every limit so far: nothing to say about them yet.
    inside: Cases


class ResponseAttainment(Share):
    priority: PriorityName
    target: dt.timedelta


class SlaEventCounts(Counted):
    _listed_only: ClassVar[frozenset[str]] = frozenset({"breached"})
    priority: PriorityName
    warnings: int
    breaches: int
    escalations: int
    chasers: int
    # The cases with a breach among these events, in order of reference: listed reports
    # only (`breaches` counts the events; counting distinct cases would read every one).
    breached: Cases | None = None
