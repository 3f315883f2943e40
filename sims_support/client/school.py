"""School data and partner access on a case (DESIGN §8), for platform backends and the CLI.

Failures reach callers as `api.CaseError`s, like every other case event: `CaseRefused`
with the rule's type (`SchoolDataNotAllowed`, `AccessAlreadyDecided`, ...) or
`NoSuchCase`.
"""

from __future__ import annotations

from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.service import RPCError

from domain.models import CaseRequest
from domain.school_data import SchoolData
from sims_support.client.cases import CaseError, CaseRefused, finished_result, handle_for, refusal

SCHOOL_EVENTS = (
    "request_school_data",
    "record_data_transfer",
    "request_partner_access",
    "approve_partner_access",
    "refuse_partner_access",
)


async def send_school(
    client: Client, reference: str, event: str, request: CaseRequest
) -> SchoolData:
    """Send one school-data event (an Update); returns the case's school data after it."""
    if event not in SCHOOL_EVENTS:
        known = ", ".join(SCHOOL_EVENTS)
        raise CaseError("UnknownEvent", f"event: {event!r} is not one of {known}")
    handle = handle_for(client, reference)
    try:
        return await handle.execute_update(event, request, result_type=SchoolData)
    except (WorkflowUpdateFailedError, RPCError) as err:
        raise await _explain(client, reference, err, event) from None


async def school_data(client: Client, reference: str) -> SchoolData:
    try:
        return await handle_for(client, reference).query("school_data", result_type=SchoolData)
    except RPCError as err:
        raise await _explain(client, reference, err, "school_data") from None


async def _explain(client: Client, reference: str, err: Exception, event: str) -> CaseError:
    known = refusal(err)
    if known is not None:
        return known
    outcome = await finished_result(handle_for(client, reference), f"case {reference}")
    return CaseRefused(
        "CaseClosed", f"case {reference} is {outcome.state}: {event} is no longer possible"
    )
