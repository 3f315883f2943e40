"""The calendar snapshot and the policy a case runs on (DESIGN §2): what span to ask
for, when to ask again, and what a continued run keeps (pure)."""

from __future__ import annotations

import datetime as dt

from domain.workflow_inputs import CaseSetup, SetupRequest, shared_setup

SNAPSHOT_MONTHS = 24
# Refresh the calendar snapshot (through continue-as-new) this long before it runs out.
SNAPSHOT_MARGIN = dt.timedelta(days=180)


def snapshot_span(logged_on: dt.date, today: dt.date) -> SetupRequest:
    """From before logging (every clock is recomputed from it) to well past today."""
    return SetupRequest(
        from_date=logged_on - dt.timedelta(days=7),
        to_date=today + dt.timedelta(days=SNAPSHOT_MONTHS * 31),
    )


def running_out(setup: CaseSetup | None, today: dt.date) -> bool:
    ends = setup.calendar.valid_to if setup else None
    return ends is not None and today + SNAPSHOT_MARGIN > ends


def renewed(kept: CaseSetup | None, fresh: CaseSetup | None) -> CaseSetup:
    """The fresh snapshot, if there is one; the policy is fixed for the case's life, so a
    continued run keeps its own."""
    if fresh is not None:
        policy = kept.policy if kept else fresh.policy
        kept = CaseSetup(policy=policy, calendar=fresh.calendar)
    assert kept is not None
    return shared_setup(kept)
