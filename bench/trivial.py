"""The simplest workflows with the same shape as a case: the baseline every ratio uses.

Each comes twice: as a user would first write it (the SDK's default, in the sandbox, its
module re-imported for every run) and, like for like with our workflows, unsandboxed.
"""

from __future__ import annotations

import datetime as dt

from temporalio import workflow


@workflow.defn
class TrivialWorkflow:
    """Start, `steps` updates, complete: a case's round trips with none of its work."""

    def __init__(self) -> None:
        self.steps = 0

    @workflow.run
    async def run(self, steps: int) -> int:
        await workflow.wait_condition(
            lambda: self.steps >= steps and workflow.all_handlers_finished()
        )
        return self.steps

    @workflow.update
    def step(self) -> int:
        self.steps += 1
        return self.steps


@workflow.defn(sandboxed=False)
class UnsandboxedTrivialWorkflow(TrivialWorkflow):
    """The same, run as our workflows are: outside the sandbox."""

    @workflow.run
    async def run(self, steps: int) -> int:
        return await super().run(steps)


@workflow.defn
class ParkedWorkflow:
    """Waits on a long timer, as an open case does between events."""

    @workflow.run
    async def run(self) -> None:
        await workflow.sleep(dt.timedelta(days=30))

    @workflow.update
    def ping(self) -> bool:
        return True


@workflow.defn(sandboxed=False)
class UnsandboxedParkedWorkflow(ParkedWorkflow):
    """The same, outside the sandbox."""

    @workflow.run
    async def run(self) -> None:
        await super().run()


@workflow.defn(sandboxed=False)
class PatchedParkedWorkflow(ParkedWorkflow):
    """The unsandboxed parked workflow after `patches` `workflow.patched` calls (each
    records a marker and upserts the patch search attribute): what a patch costs an open
    run in a worker's memory."""

    @workflow.run
    async def run(self, patches: int = 10) -> None:
        for n in range(patches):
            workflow.patched(f"bench-patch-{n}")
        await super().run()


TRIVIAL_WORKFLOWS = (
    TrivialWorkflow,
    UnsandboxedTrivialWorkflow,
    ParkedWorkflow,
    UnsandboxedParkedWorkflow,
    PatchedParkedWorkflow,
)
