"""The monthly KPI report delivered (DESIGN §15): as HTML and JSON files, each replaced
whole, and/or to the webhook, signed as notifications are (Standard Webhooks).

The report itself is read from the ledger by `sims_support.reports` (what `sims-case
report` prints); the worker hands it in as `render`, since activities import no
`sims_support` (DESIGN §1).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.ledger_version import LedgerSchemaMismatch
from activities.notify import (
    RETRYABLE_STATUS,
    URL_SETTING,
    misconfigured_setting,
    post_signed,
    signing_key,
)
from domain.kpi import Period
from domain.monthly_report import Month, MonthlyReportDone, PublishReport

# The report of a period as at an instant, in each form: {"html": page, "json": document}.
Render = Callable[[Period, dt.datetime], Mapping[str, str]]
# What a receiver reads first, per Standard Webhooks' payload shape (type, timestamp, data).
EVENT_TYPE = "kpi_report.monthly"


def file_name(month: Month, form: str) -> str:
    return f"kpi-{month.label}.{form}"


def replace_whole(target: Path, text: str) -> None:
    """Write beside the target, then rename over it: a reader sees the old file or the
    new one, never half of one, and a second run for the month replaces the first."""
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o644)  # mkstemp's 0600 would hide it from the desk's readers
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_files(folder: Path, month: Month, forms: Mapping[str, str]) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for form, text in sorted(forms.items()):
        target = folder / file_name(month, form)
        replace_whole(target, text if text.endswith("\n") else text + "\n")
        written.append(str(target))
    return written


def payload(request: PublishReport, forms: Mapping[str, str]) -> bytes:
    report = json.loads(forms["json"])
    data = {"month": request.month.label, "report": report, "html": forms["html"]}
    body = {"type": EVENT_TYPE, "timestamp": request.as_of.isoformat(), "data": data}
    return json.dumps(body, ensure_ascii=False).encode()


class ReportActivities:
    def __init__(
        self, render: Render, webhook_url: str | None, secret: bytes, timeout: float = 30.0
    ) -> None:
        self._render = render
        self._url = webhook_url
        self._key = signing_key(secret) if webhook_url else b""
        self._timeout = timeout

    @activity.defn
    async def publish_kpi_report(self, request: PublishReport) -> MonthlyReportDone:
        what = f"the KPI report of {request.month}"
        if request.request.webhook and not self._url:
            raise ApplicationError(
                f"{what} is to go to the webhook, but {URL_SETTING} is not set on this worker",
                type="WebhookNotSet",
                non_retryable=True,
            )
        try:
            # SQLAlchemy and the disk block: keep them off the worker's event loop.
            forms = await asyncio.to_thread(self._render, request.month.period(), request.as_of)
        except LedgerSchemaMismatch as err:
            # Retried like an outage, as the case's writes are: an upgrade lets it through.
            raise ApplicationError(str(err), type="LedgerSchemaMismatch") from None
        files: list[str] = []
        folder = request.request.output_dir
        if folder is not None:
            try:
                files = await asyncio.to_thread(write_files, Path(folder), request.month, forms)
            except OSError as err:
                # Retried: a folder's permissions or a full disk are put right by a person.
                raise ApplicationError(
                    f"cannot write {what} to {folder}: {err.strerror}", type="ReportNotWritten"
                ) from None
        sent = None
        if request.request.webhook:
            await self._send(request.key, payload(request, forms), what)
            sent = request.key
        return MonthlyReportDone(month=request.month, files=files, sent=sent)

    async def _send(self, key: str, body: bytes, what: str) -> None:
        assert self._url is not None
        response = await post_signed(self._url, self._key, key, body, self._timeout)
        if response.is_success:
            return
        status = response.status_code
        # As for notifications: our configuration or a bad moment is retried; any other
        # refusal is for good.
        setting = misconfigured_setting(status)
        retryable = setting is not None or status >= 500 or status in RETRYABLE_STATUS
        raise ApplicationError(
            f"webhook answered {status} for {what}" + (f": check {setting}" if setting else ""),
            type="WebhookRefused" if not retryable else "WebhookUnavailable",
            non_retryable=not retryable,
        )
