"""The monthly report activity: the month's report from the ledger as files, replaced
whole, and to a webhook receiver on loopback, signed as notifications are."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.ledger import Ledger
from activities.monthly_report import EVENT_TYPE, ReportActivities
from domain.kpi_ledger import LedgerEntry
from domain.monthly_report import LONDON, Month, MonthlyReportDone, MonthlyReportRequest
from domain.monthly_report import PublishReport as Publish
from sims_support.reports.build import kpi_report
from sims_support.reports.monthly import kpi_forms
from tests.kpi_data import CALENDAR, CASES, POLICY
from tests.kpi_ledgers import write
from tests.webhook import SECRET, Receiver

MARCH = Month(year=2026, month=3)
AS_OF = dt.datetime(2026, 4, 1, 9, 0, 3, tzinfo=LONDON)
# One of the week's cases was logged in February.
LOGGED = sum(1 for c in CASES if MARCH.period().holds(c.logged_at))


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    write(url, [LedgerEntry(case=c) for c in CASES])
    opened = Ledger(url)
    yield opened
    opened.dispose()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running


def desk(ledger: Ledger, webhook_url: str | None = None) -> ReportActivities:
    return ReportActivities(kpi_forms(ledger, POLICY, CALENDAR), webhook_url, SECRET)


async def publish(
    activities: ReportActivities, output_dir: str | None = None, webhook: bool = False
) -> MonthlyReportDone:
    where = MonthlyReportRequest(output_dir=output_dir, webhook=webhook)
    request = Publish(month=MARCH, as_of=AS_OF, request=where)
    done: MonthlyReportDone = await ActivityEnvironment().run(
        activities.publish_kpi_report, request
    )
    return done


async def test_the_month_is_written_as_html_and_json_with_the_ledgers_figures(
    ledger: Ledger, tmp_path: Path
) -> None:
    folder = tmp_path / "reports" / "kpi"  # made when missing

    done = await publish(desk(ledger), output_dir=str(folder))

    expected = kpi_report(ledger, POLICY, CALENDAR, MARCH.period(), AS_OF)
    assert done.files == [str(folder / "kpi-2026-03.html"), str(folder / "kpi-2026-03.json")]
    document = json.loads((folder / "kpi-2026-03.json").read_text())
    assert document == json.loads(expected.model_dump_json())
    assert document["logged"] == LOGGED
    assert (folder / "kpi-2026-03.html").read_text().startswith("<!doctype html>")


async def test_a_second_run_for_the_month_replaces_its_files_and_leaves_nothing_else(
    ledger: Ledger, tmp_path: Path
) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "kpi-2026-03.json").write_text("an older report")

    for _ in range(2):
        await publish(desk(ledger), output_dir=str(folder))

    assert sorted(p.name for p in folder.iterdir()) == ["kpi-2026-03.html", "kpi-2026-03.json"]
    assert json.loads((folder / "kpi-2026-03.json").read_text())["logged"] == LOGGED


async def test_the_webhook_receives_the_report_signed_under_the_runs_key(
    ledger: Ledger, receiver: Receiver
) -> None:
    done = await publish(desk(ledger, receiver.url), webhook=True)

    [attempt] = receiver.attempts  # a delivery that did not verify would be answered 401
    body = json.loads(attempt.body)
    assert attempt.answer == 200 and attempt.key == done.sent == "kpi-2026-03-20260401T080003Z"
    assert body["type"] == EVENT_TYPE and body["data"]["month"] == "2026-03"
    assert body["data"]["report"]["logged"] == LOGGED
    assert body["data"]["html"].startswith("<!doctype html>")


@pytest.mark.parametrize(("answer", "retried"), [(422, False), (503, True), (404, True)])
async def test_what_the_receiver_answers_decides_whether_the_report_is_sent_again(
    ledger: Ledger, receiver: Receiver, answer: int, retried: bool
) -> None:
    receiver.will_answer(answer)

    with pytest.raises(ApplicationError) as refused:
        await publish(desk(ledger, receiver.url), webhook=True)

    assert refused.value.non_retryable is not retried


async def test_a_report_for_the_webhook_on_a_worker_without_one_fails_for_good(
    ledger: Ledger,
) -> None:
    with pytest.raises(ApplicationError) as refused:
        await publish(desk(ledger), webhook=True)

    assert refused.value.type == "WebhookNotSet" and refused.value.non_retryable
    assert "SIMS_WEBHOOK_URL" in str(refused.value)
