"""A new support policy for every open case and change request (DESIGN §15).

`apply_policy(client, policy, actor=...)` finds every running case and change request
through the visibility API and sends each `apply_policy` (the policy and its version);
each records `policy_changed` and derives its clocks again under it. What it reports per
workflow: `changed`, `already` (on that version: nothing recorded), or `failed` (the
refusal, or no answer in time). The same policy again changes nothing, so a run that
failed half-way is simply run again. `dry_run` sends nothing: it asks each workflow which
version it runs on, and says what an apply would change.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, computed_field
from temporalio.client import Client

from domain.actors import Actor
from domain.change_requests import ChangeRequestStatus
from domain.models import CaseStatus
from domain.policy import SupportPolicy
from domain.policy_change import ApplyPolicy, policy_version
from sims_support.client import calls
from sims_support.client.cases import CASE
from sims_support.client.change_requests import CHANGE_REQUEST
from sims_support.client.errors import ClientError
from workflows import contract

# Every case and change request still running (a closed one keeps the policy it ran on)
# on the task queue: the workers there are the ones the policy is for.
OPEN_QUERY = (
    f'WorkflowType IN ("{contract.CASE_WORKFLOW}", "{contract.CHANGE_REQUEST_WORKFLOW}") '
    'AND ExecutionStatus = "Running" AND TaskQueue = "{task_queue}"'
)
# A case or change request that has closed, or is closing (delivering its last notices),
# keeps the policy it ran on: that is no failure of the apply.
CLOSED_TYPES = frozenset({"CaseClosed", "ChangeRequestClosed"})
# How many workflows are asked at once.
CONCURRENCY = 16

POLICY_CASE = dataclasses.replace(CASE, events=lambda: (contract.APPLY_POLICY,))
POLICY_CHANGE_REQUEST: calls.Lifecycle[ChangeRequestStatus, ChangeRequestStatus] = (
    dataclasses.replace(CHANGE_REQUEST, events=lambda: (contract.APPLY_POLICY,))
)
LIFECYCLES: dict[str, calls.Lifecycle[Any, Any]] = {
    contract.CASE_WORKFLOW: POLICY_CASE,
    contract.CHANGE_REQUEST_WORKFLOW: POLICY_CHANGE_REQUEST,
}


class Outcome(StrEnum):
    CHANGED = "changed"
    ALREADY = "already"  # on this version already: nothing recorded
    CLOSED = "closed"  # closed since it was listed (or closing): it keeps the policy it ran on
    FAILED = "failed"
    WOULD_CHANGE = "would_change"  # a dry run's: the version differs


@dataclass(frozen=True)
class Target:
    """One open workflow: its type and its reference."""

    workflow_type: str
    reference: str

    @property
    def noun(self) -> str:
        return LIFECYCLES[self.workflow_type].noun


class Applied(BaseModel):
    """One workflow's answer."""

    noun: str
    reference: str
    outcome: Outcome
    detail: str = ""  # a failure's `type: message`; a change's new deadlines are in its status


class PolicyApplied(BaseModel):
    version: str
    dry_run: bool
    results: list[Applied]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def counts(self) -> dict[str, int]:
        """How many workflows had each outcome, by its name (every name, 0 included)."""
        found = Counter(r.outcome for r in self.results)
        return {outcome.value: found[outcome] for outcome in Outcome}


async def open_targets(client: Client, task_queue: str = contract.TASK_QUEUE) -> list[Target]:
    """Every running case and change request on `task_queue`, from the visibility API
    (every page)."""
    if '"' in task_queue or "\\" in task_queue:
        raise ClientError("InvalidInput", f"task_queue: {task_queue!r} holds a quote")
    found = []
    async for execution in client.list_workflows(OPEN_QUERY.format(task_queue=task_queue)):
        kind = execution.workflow_type
        if kind in LIFECYCLES:
            reference = execution.id.removeprefix(contract.WORKFLOW_ID_PREFIXES[kind])
            found.append(Target(kind, reference))
    return found


async def apply_policy(
    client: Client,
    policy: SupportPolicy,
    *,
    actor: Actor,
    dry_run: bool = False,
    timeout: float = 30.0,
    task_queue: str = contract.TASK_QUEUE,
    targets: Sequence[Target] | None = None,
) -> PolicyApplied:
    """Send `policy` to every open case and change request on `task_queue` (or to
    `targets`) as `actor`; `timeout` seconds per workflow. Refusals are reported per
    workflow, never raised."""
    version = policy_version(policy)
    request = ApplyPolicy(
        # One id per run: a retried call within it is a no-op; a later run is a new request,
        # which the version makes a no-op where it is applied already.
        request_id=f"policy-{version}-{uuid.uuid4().hex[:8]}",
        actor=actor,
        policy=policy,
        version=version,
    )
    found = list(targets) if targets is not None else await open_targets(client, task_queue)
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(target: Target) -> Applied:
        detail = ""
        async with gate:
            try:
                ask = _ask(client, target, request, dry_run=dry_run)
                outcome = await asyncio.wait_for(ask, timeout)
            except TimeoutError:
                outcome = Outcome.FAILED
                detail = f"Unanswered: no answer within {timeout:g} s (is a worker running?)"
            except ClientError as err:
                closed = err.type in CLOSED_TYPES
                outcome = Outcome.CLOSED if closed else Outcome.FAILED
                detail = "" if closed else f"{err.type}: {err}"
        return Applied(noun=target.noun, reference=target.reference, outcome=outcome, detail=detail)

    results = await asyncio.gather(*(one(target) for target in found))
    return PolicyApplied(version=version, dry_run=dry_run, results=list(results))


async def _ask(client: Client, target: Target, request: ApplyPolicy, *, dry_run: bool) -> Outcome:
    lifecycle = LIFECYCLES[target.workflow_type]
    if dry_run:
        status: CaseStatus | ChangeRequestStatus = await calls.query(
            client, lifecycle, target.reference
        )
        same = status.policy_version == request.version
        return Outcome.ALREADY if same else Outcome.WOULD_CHANGE
    answer = await calls.update(client, lifecycle, target.reference, contract.APPLY_POLICY, request)
    # The answer holds only what the update recorded: `policy_changed`, or nothing.
    return Outcome.CHANGED if answer.timeline else Outcome.ALREADY
