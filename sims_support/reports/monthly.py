"""The KPI report in the forms the monthly schedule delivers (DESIGN §15): the page and the
JSON document `sims-case report --format html|json` gives for the same days."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from activities.ledger import Ledger
from domain.calendar import WorkingCalendar
from domain.kpi import Period
from domain.policy import SupportPolicy
from sims_support.reports.build import kpi_report
from sims_support.reports.html import render_html


def kpi_forms(
    ledger: Ledger, policy: SupportPolicy, calendar: WorkingCalendar
) -> Callable[[Period, dt.datetime], dict[str, str]]:
    """What the worker hands the report activity: the report of a period as at an instant,
    read from `ledger`, as {"html": page, "json": document}."""

    def render(period: Period, as_of: dt.datetime) -> dict[str, str]:
        report = kpi_report(ledger, policy, calendar, period, as_of)
        return {"html": render_html(report), "json": report.model_dump_json(indent=2)}

    return render
