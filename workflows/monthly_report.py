"""MonthlyKpiReport: one run of the KPI report's schedule (DESIGN §15).

It asks the desk's calendar (a snapshot, as a case does) whether its scheduled day is the
month's first working day (`domain.monthly_report` has the rule), then has the report of
the month before written out and/or sent. The schedule: `sims-case report schedule`.
"""

from __future__ import annotations

import datetime as dt

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeKey

with workflow.unsafe.imports_passed_through():
    from activities.monthly_report import ReportActivities
    from activities.setup import SetupActivities
    from domain import monthly_report
    from domain.monthly_report import MonthlyReportDone, MonthlyReportRequest, PublishReport

from workflows.contract import MONTHLY_KPI_REPORT_WORKFLOW

# Temporal's own: the instant the schedule meant this run for (a trigger: when asked).
SCHEDULED_START = SearchAttributeKey.for_datetime("TemporalScheduledStartTime")
# A report reads a month's SQL aggregates in seconds; a ledger or webhook that is down is
# retried, for a day at most: then the run fails where `--list` and the Web UI show it.
REPORT_TIMEOUT = dt.timedelta(minutes=10)
REPORT_GIVES_UP = dt.timedelta(days=1)
REPORT_RETRIES = RetryPolicy(maximum_interval=dt.timedelta(minutes=10))


@workflow.defn(name=MONTHLY_KPI_REPORT_WORKFLOW, sandboxed=False)  # see worker.py
class MonthlyKpiReportWorkflow:
    @workflow.run
    async def run(self, request: MonthlyReportRequest) -> MonthlyReportDone:
        # The scheduled instant, not the start: a run caught up after an outage reports
        # as its day would have. Started without a schedule: now.
        nominal = workflow.info().typed_search_attributes.get(SCHEDULED_START) or workflow.now()
        setup = await workflow.execute_local_activity_method(
            SetupActivities.load_case_setup,
            monthly_report.calendar_span(nominal),
            start_to_close_timeout=dt.timedelta(seconds=30),
            summary="load the working calendar of the month's first days",
        )
        month = monthly_report.month_to_report(nominal, setup.calendar)
        if month is None:
            return MonthlyReportDone.not_today(nominal, setup.calendar)
        return await workflow.execute_activity_method(
            ReportActivities.publish_kpi_report,
            PublishReport(month=month, as_of=workflow.now(), request=request),
            start_to_close_timeout=REPORT_TIMEOUT,
            schedule_to_close_timeout=REPORT_GIVES_UP,
            retry_policy=REPORT_RETRIES,
            summary=f"the KPI report of {month}",
        )
