"""Two edits of CaseWorkflow, registered under its name, for the replay tests.

`DriftedCase` is the mistake the replay test must catch: a timer added in front of what
running cases already recorded. `PatchedCase` is the same change made safely, behind
`workflow.patched`, which old histories replay past. Only the replayer runs these.
"""

from __future__ import annotations

import datetime as dt

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.models import CaseOutcome
    from domain.workflow_inputs import CaseInput

from workflows.case import CaseWorkflow


@workflow.defn(name="CaseWorkflow")
class DriftedCase(CaseWorkflow):
    @workflow.run
    async def run(self, input: CaseInput) -> CaseOutcome:
        await workflow.sleep(dt.timedelta(seconds=1))  # a new command before the old ones
        return await super().run(input)


@workflow.defn(name="CaseWorkflow")
class PatchedCase(CaseWorkflow):
    @workflow.run
    async def run(self, input: CaseInput) -> CaseOutcome:
        if workflow.patched("settle-before-setup"):
            await workflow.sleep(dt.timedelta(seconds=1))  # new cases only
        return await super().run(input)
