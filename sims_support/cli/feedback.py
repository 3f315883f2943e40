"""`sims-case feedback REF --rating 1-5`: the integrator's or the school's word on the
service (DESIGN §12). On an open case, or in the Resolution Offered window, the case
takes it; once the case is Resolved its workflow has ended, so the rating goes straight
into the KPI ledger (`sims_support.reports.feedback`), as the gateway records it."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import TYPE_CHECKING

from temporalio.client import Client

from domain.actors import Actor
from domain.case_views import status_for
from domain.models import CaseStatus, FeedbackEscalation, GiveFeedback
from sims_support.cli.actors import viewer_of
from sims_support.cli.ledger import reading
from sims_support.cli.shown import escaped
from sims_support.client import cases
from sims_support.client.errors import Refused
from sims_support.config import Settings

if TYPE_CHECKING:
    from domain.kpi_ledger import FeedbackRecord


async def give(
    client: Client,
    reference: str,
    request: GiveFeedback,
    actor: Actor,
    settings: Settings | None = None,
) -> CaseStatus | FeedbackRecord:
    """The case's status after it took the rating, or the ledger's record of it."""
    try:
        status = await cases.send(client, reference, "give_feedback", request, actor=actor)
    except Refused as err:
        # The case has ended. Whether it ended Resolved (feedback welcome) or otherwise
        # (refused) the ledger says, and `give_feedback_after_resolution` asks it.
        if err.type != "CaseClosed":
            raise
        return await after_resolution(settings or Settings(), reference, request, actor)
    return status_for(status, viewer_of(actor))


async def after_resolution(
    settings: Settings, reference: str, request: GiveFeedback, actor: Actor
) -> FeedbackRecord:
    from sims_support.reports.feedback import give_feedback_after_resolution, webhook_notifier

    with reading(settings.ledger_url) as ledger:
        await asyncio.to_thread(ledger.open_existing)
        return await give_feedback_after_resolution(
            ledger,
            reference,
            request,
            actor,
            now=dt.datetime.now(dt.UTC),
            notify=webhook_notifier(settings),
        )


def render_record(record: FeedbackRecord, *, as_json: bool, notified: bool = True) -> str:
    """What the command says of a rating the ledger took; `notified`: whether an
    escalation had a webhook to go to."""
    if as_json:
        return record.model_dump_json()
    escalated = ""
    if record.escalate is not FeedbackEscalation.NONE:
        escalated = f", escalated to {record.escalate.value.replace('_', ' ')}"
        if not notified:
            # Without a webhook the notifier only logs, and this command keeps no log.
            escalated += ", but SIMS_WEBHOOK_URL is not set, so no one was notified"
    return escaped(
        f"{record.reference} is Resolved: feedback recorded in the KPI ledger "
        f"(rating {record.rating}/5{escalated}, by {record.by_role}:{record.by_id})"
    )
