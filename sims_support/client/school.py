"""School data and partner access on a case (DESIGN §8), for platform backends and the CLI.

These are updates on the case's workflow, so failures are a case's: `Refused` with the
rule's type (`SchoolDataNotAllowed`, `AccessAlreadyDecided`, ...) or `NotFound`
(`NoSuchCase`).
"""

from __future__ import annotations

from temporalio.client import Client

from domain.actors import Actor
from domain.models import CaseOutcome, CaseRequest
from domain.school_data import SchoolData
from sims_support.client import calls
from sims_support.client.cases import CASE, hidden_if_not_theirs

# Every lifecycle module answers with the one family of errors (0.1 names included).
from sims_support.client.errors import CaseError as CaseError
from sims_support.client.errors import CaseRefused as CaseRefused
from sims_support.client.errors import ClientError as ClientError
from sims_support.client.errors import NoSuchCase as NoSuchCase
from sims_support.client.errors import NotFound as NotFound
from sims_support.client.errors import Refused as Refused
from workflows import contract

EVENTS = contract.SCHOOL_EVENTS

SCHOOL = calls.Lifecycle(
    noun=CASE.noun,
    workflow=CASE.workflow,
    workflow_id=CASE.workflow_id,
    events=lambda: EVENTS,
    status_type=SchoolData,
    result_type=CaseOutcome,
    not_found=CASE.not_found,
    closed=CASE.closed,
)


async def send(
    client: Client,
    reference: str,
    event: str,
    request: CaseRequest,
    *,
    actor: Actor | None = None,
) -> SchoolData:
    """Send one school-data event (an Update) as `actor`; returns the case's school data
    after it."""
    try:
        return await calls.update(client, SCHOOL, reference, event, request, actor=actor)
    except Refused as err:
        raise await hidden_if_not_theirs(client, reference, actor or request.actor, err) from None


async def status(client: Client, reference: str) -> SchoolData:
    return await calls.query(client, SCHOOL, reference, contract.SCHOOL_DATA)


# The 0.1 names, kept for one release.
SCHOOL_EVENTS = EVENTS
send_school = send
school_data = status
