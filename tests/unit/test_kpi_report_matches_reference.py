"""The KPI report from SQL (DESIGN §16) against the report as it was built before
(`tests/kpi_reference.py`: every row in Python), on generated ledgers, on SQLite and on
PostgreSQL: listed, the two reports' JSON is the same to the byte; without references,
it is the same with every list of references replaced by its count."""

from __future__ import annotations

import datetime as dt
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from activities.ledger import Ledger
from domain.kpi import Period
from sims_support.reports.build import kpi_report
from tests.kpi_data import NOW, WEEK
from tests.kpi_ledgers import counts_only, emptied, seeded_entries, write
from tests.kpi_mixes import CALENDAR, POLICY, Mix, mixes
from tests.kpi_reference import reference_report
from tests.ledger_db import ledger_url

__all__ = ["ledger_url"]  # the fixture, parametrised over both databases

H = dt.timedelta(hours=1)


def assert_same_figures(
    url: str,
    period: Period,
    now: dt.datetime,
    integrator: str | None,
    within: dt.timedelta | None,
) -> None:
    scope = {"integrator": integrator, "at_risk_within": within}
    before = reference_report(url, POLICY, CALENDAR, period, now, **scope).model_dump_json(indent=2)
    ledger = Ledger(url)
    try:
        listed = kpi_report(ledger, POLICY, CALENDAR, period, now, listed=True, **scope)
        counted = kpi_report(ledger, POLICY, CALENDAR, period, now, **scope)
    finally:
        ledger.dispose()

    assert listed.model_dump_json(indent=2) == before
    assert json.loads(counted.model_dump_json()) == counts_only(json.loads(before))


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    mix=mixes(),
    integrator=st.sampled_from([None, "INT-1"]),
    within=st.sampled_from([None, 4 * H, 40 * H]),
)
def test_the_sql_report_gives_the_figures_of_the_report_it_replaces(
    ledger_url: str, mix: Mix, integrator: str | None, within: dt.timedelta | None
) -> None:
    emptied(ledger_url)
    write(ledger_url, mix.entries)

    assert_same_figures(ledger_url, mix.period, mix.now, integrator, within)


def test_the_seeded_ledger_of_the_golden_files_gives_the_same_figures_both_ways(
    ledger_url: str,
) -> None:
    write(ledger_url, seeded_entries())

    for integrator in (None, "INT-2"):
        assert_same_figures(ledger_url, WEEK, NOW, integrator, 8 * H)
