"""A KPI report's figures added up without keeping its cases (DESIGN §16).

The ledger hands over counts it grouped itself (SQL) and the few cases it could not
(their clock is still running), one at a time; a tally adds them up and, only when the
report lists references, keeps the references behind each figure in the order it is
given them. Every limit of every priority is one of `limits_of(policy)`; a case is
counted by `first_within`, the first of those its working time is within (exactly at a
limit is within it), so a case's count within a limit is a sum over buckets.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict

from domain.kpi import (
    BucketAttainment,
    Cases,
    ResolutionAttainment,
    ResponseAttainment,
    SlaEventCounts,
)
from domain.kpi_ledger import SlaEventKind
from domain.models import Priority
from domain.policy import SupportPolicy

RESOLVED = "resolved"
WITHDRAWN = "withdrawn"  # in no share


def limits_of(policy: SupportPolicy) -> list[dt.timedelta]:
    """Every priority's limits, once each, shortest first."""
    return sorted({limit for p in Priority for limit, _ in policy.kpi_targets(p)})


def first_within(limits: list[dt.timedelta], used: dt.timedelta) -> int:
    """The index of the first limit `used` is within; len(limits) past every one."""
    return bisect.bisect_left(limits, used)


def _cases(count: int, references: list[str] | None) -> Cases:
    return Cases(count=count, references=references)


class ResolutionTally:
    def __init__(self, policy: SupportPolicy, *, listed: bool) -> None:
        self.policy = policy
        self.limits = limits_of(policy)
        self.listed = listed
        # (priority, resolved) -> cases per bucket (the last: past every limit).
        self._counts = {
            (p, done): [0] * (len(self.limits) + 1) for p in Priority for done in (True, False)
        }
        # priority -> for each of its limits, where it is in `limits`.
        self._at = {
            p: [self.limits.index(lim) for lim, _ in policy.kpi_targets(p)] for p in Priority
        }
        # (priority, what, limit's position among the priority's) -> references.
        self._refs: defaultdict[tuple[Priority, str, int], list[str]] = defaultdict(list)

    def count(self, priority: Priority, resolved: bool, bucket: int, cases: int = 1) -> None:
        self._counts[priority, resolved][bucket] += cases

    def note(self, reference: str, priority: Priority, resolved: bool, bucket: int) -> None:
        """Note which figures a case is behind (counting it is `count`'s)."""
        for n, at in enumerate(self._at[priority]):
            within = bucket <= at
            what = "missed" if not within else "met" if resolved else "pending"
            self._refs[priority, what, n].append(reference)

    def attainment(self) -> list[ResolutionAttainment]:
        return [self._of(p) for p in Priority]

    def _refs_of(self, priority: Priority, what: str, n: int) -> list[str] | None:
        return self._refs.get((priority, what, n), []) if self.listed else None

    def _of(self, priority: Priority) -> ResolutionAttainment:
        done, going = self._counts[priority, True], self._counts[priority, False]
        total = sum(done) + sum(going)
        buckets = []
        for n, ((limit, target), at) in enumerate(
            zip(self.policy.kpi_targets(priority), self._at[priority], strict=True)
        ):
            met, pending = sum(done[: at + 1]), sum(going[: at + 1])
            buckets.append(
                BucketAttainment(
                    limit=limit,
                    target=target,
                    met=_cases(met, self._refs_of(priority, "met", n)),
                    missed=_cases(total - met - pending, self._refs_of(priority, "missed", n)),
                    pending=_cases(pending, self._refs_of(priority, "pending", n)),
                )
            )
        return ResolutionAttainment(
            priority=priority,
            resolved=sum(done),
            open=sum(going),
            buckets=buckets,
            # Not resolved and within the first limit: pending there, so within them all.
            inside=buckets[0].pending,
        )


class ResponseTally:
    def __init__(self, policy: SupportPolicy, *, listed: bool) -> None:
        self.policy = policy
        self.listed = listed
        self._counts: defaultdict[tuple[Priority, bool], int] = defaultdict(int)
        self._refs: defaultdict[tuple[Priority, bool], list[str]] = defaultdict(list)

    def count(self, priority: Priority, met: bool, cases: int = 1) -> None:
        self._counts[priority, met] += cases

    def note(self, reference: str, priority: Priority, met: bool) -> None:
        self._refs[priority, met].append(reference)

    def attainment(self) -> list[ResponseAttainment]:
        def cases(priority: Priority, met: bool) -> Cases:
            refs = self._refs.get((priority, met), []) if self.listed else None
            return _cases(self._counts[priority, met], refs)

        return [
            ResponseAttainment(
                priority=p,
                target=self.policy.response_target(p),
                met=cases(p, True),
                missed=cases(p, False),
            )
            for p in Priority
        ]


class SlaTally:
    def __init__(self, *, listed: bool) -> None:
        self.listed = listed
        self._counts: defaultdict[tuple[Priority, SlaEventKind], int] = defaultdict(int)
        self._refs: defaultdict[Priority, list[str]] = defaultdict(list)

    def count(self, priority: Priority, kind: SlaEventKind, events: int) -> None:
        self._counts[priority, kind] += events

    def note_breached(self, reference: str, priority: Priority) -> None:
        self._refs[priority].append(reference)

    def counts(self) -> list[SlaEventCounts]:
        def of(priority: Priority, kind: SlaEventKind) -> int:
            return self._counts[priority, kind]

        return [
            SlaEventCounts(
                priority=p,
                warnings=of(p, SlaEventKind.WARNING),
                breaches=of(p, SlaEventKind.BREACH),
                escalations=of(p, SlaEventKind.ESCALATION),
                chasers=of(p, SlaEventKind.CHASER),
                breached=Cases.listed(sorted(self._refs.get(p, []))) if self.listed else None,
            )
            for p in Priority
        ]
