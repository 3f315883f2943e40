"""Durability on the real server: a worker killed outright loses nothing."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from domain.models import CaseStatus, ClockStatus, EventKind
from tests.system.conftest import Sims, poll, unique

pytestmark = pytest.mark.timeout(120)

# The warning falls at 75%, after 22.9 s: long enough for the server to stop offering
# the case to the killed worker's sticky queue (no poll for 10 s) by then. Not a whole
# 30 s: domain.policy writes whole seconds as "30.s", which it cannot read back (reported).
RESPONSE_TARGET = dt.timedelta(seconds=30.5)
# Open every hour of every day, bank holidays too, so real timers fire whenever the
# test runs; the policy's P1 response target is seconds, not minutes.
ALWAYS_OPEN = {
    "SIMS_SUPPORT_OPENS": "00:00",
    "SIMS_SUPPORT_CLOSES": "23:59:59.999999",
    "SIMS_SUPPORT_WEEKDAYS": "0,1,2,3,4,5,6",
    "SIMS_BANK_HOLIDAYS": "false",
}


def status_of(sims: Sims, reference: str) -> CaseStatus:
    shown = sims.cli("status", reference, "--json")
    assert shown.returncode == 0, shown.stderr
    return CaseStatus.model_validate_json(shown.stdout)


def actions(status: CaseStatus) -> list[str]:
    return [e.detail.split("@")[0] for e in status.timeline if e.kind is EventKind.ACTION_TAKEN]


async def test_a_case_waiting_on_a_timer_survives_its_worker_being_killed(sims: Sims) -> None:
    policy = sims.home / "policy.toml"
    policy.write_text(f'[response_targets]\nP1 = "{RESPONSE_TARGET.total_seconds()}s"\n')
    sims.settings.update(ALWAYS_OPEN, SIMS_POLICY_FILE=str(policy))
    first = sims.start_worker()
    reference = unique("INC")

    opened = sims.cli("open", "--example", "p1-incident", "--reference", reference, "--json")
    assert opened.returncode == 0, opened.stderr
    before = status_of(sims, reference)
    response = next(c for c in before.clocks if c.name == "response")
    assert response.status is ClockStatus.PENDING and actions(before) == []
    assert response.deadline == before.logged_at + RESPONSE_TARGET

    first.kill()  # SIGKILL: no goodbye to the server, the case is mid-wait on its timer
    first.wait()
    # The warning's timer fires on the server while no worker is alive.
    time.sleep(max(0.0, (response.warning_at - dt.datetime.now(dt.UTC)).total_seconds()) + 1)
    second = sims.start_worker()

    after = poll(
        lambda: status_of(sims, reference),
        lambda status: "response_breach" in actions(status),
        seconds=45,
    )
    assert after.timeline[: len(before.timeline)] == before.timeline
    assert actions(after) == ["response_warning", "response_breach"]
    assert next(c for c in after.clocks if c.name == "response").status is ClockStatus.BREACHED
    assert after.sla_breached
    assert "response_breach" in sims.log_of(second)  # the notification went out (to the log)

    acknowledged = sims.cli("acknowledge", reference, "--message", "Sorry for the wait")
    assert acknowledged.returncode == 0, acknowledged.stderr
    late = poll(
        lambda: sims.cli("list", "--late", "--json"),
        lambda result: reference in result.stdout,
    )
    assert reference in late.stdout
