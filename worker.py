"""The worker: `python worker.py` connects to the configured cluster; `--dev` runs its own."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tomllib
from collections.abc import Sequence

from pydantic import ValidationError
from temporalio.client import Client
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.ledger import Ledger, LedgerActivities
from activities.monthly_report import ReportActivities
from activities.notify import Notifier
from activities.problems import ProblemLinks
from activities.setup import SetupActivities
from sims_support.config import Settings
from sims_support.reports.monthly import kpi_forms
from sims_support.runtime.connect import StartupError, one_line, run_worker
from sims_support.runtime.converter import for_worker
from sims_support.runtime.devserver import DevServerStopped
from workflows.case import CaseWorkflow
from workflows.change_request import ChangeRequestWorkflow
from workflows.contract import TASK_QUEUE
from workflows.monthly_report import MonthlyKpiReportWorkflow
from workflows.problem import ProblemWorkflow

WORKFLOWS: Sequence[type] = (
    CaseWorkflow,
    ProblemWorkflow,
    ChangeRequestWorkflow,
    MonthlyKpiReportWorkflow,
)

# Our workflows run outside the sandbox (`workflow.defn(sandboxed=False)`): the sandbox
# re-imports every module it is not told to pass through for each workflow run, and
# routes every payload of every activation through itself (bench/README.md has what that
# cost). What it guards against, a workflow module reading the clock, randomness, the
# environment or files, tests/unit/test_workflow_determinism.py refuses statically, and
# the replay tests catch any change of behaviour against recorded histories. Workflows
# that keep the sandbox (the benchmarks' trivial ones, the replay tests' edited copies)
# get it with our modules and their third-party imports passed through, loaded once a
# worker.
PASSTHROUGH = (
    "domain",
    "activities",
    "workflows",
    "statemachine",
    "pydantic",
    "pydantic_core",
    "annotated_types",
    "email_validator",
    "httpx",
)
SANDBOX = SandboxedWorkflowRunner(
    restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH)
)


def activities_for(settings: Settings, client: Client) -> list[object]:
    secret = settings.webhook_secret.get_secret_value().encode()
    notifier = Notifier(settings.webhook_url, secret)
    setup = SetupActivities(settings.policy, settings.calendar)
    # Linking a case to its problem starts or reaches another workflow: it needs a client.
    links = ProblemLinks(client)
    ledger = Ledger(settings.ledger_url)
    # The monthly report reads the ledger the cases write, through `sims-case report`'s code.
    reports = ReportActivities(
        kpi_forms(ledger, settings.policy, settings.calendar), settings.webhook_url, secret
    )
    return [
        notifier.notify,
        setup.load_case_setup,
        links.link_case_to_problem,
        LedgerActivities(ledger).record_case,
        reports.publish_kpi_report,
    ]


def create_worker(
    client: Client,
    task_queue: str = TASK_QUEUE,
    *,
    settings: Settings | None = None,
    activities: Sequence[object] | None = None,
    max_cached_workflows: int = 1000,
) -> Worker:
    """`max_cached_workflows=0` replays every workflow task from its history (tests)."""
    settings = settings or Settings()
    # Activities keep `client` as it is; the worker refuses unencrypted input when keyed.
    return Worker(
        for_worker(client, accept_plaintext=settings.accept_plaintext),
        task_queue=task_queue,
        workflows=list(WORKFLOWS),
        workflow_runner=SANDBOX,
        activities=list(activities if activities is not None else activities_for(settings, client)),  # type: ignore[arg-type]
        max_cached_workflows=max_cached_workflows,
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dev", action="store_true", help="start the embedded Temporal dev server")
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    # Notifications go to the log when no webhook is set: show them.
    logging.getLogger("activities").setLevel(logging.INFO)
    try:
        settings = Settings()
        asyncio.run(run_worker(settings, create_worker, dev=args.dev))
    except ValidationError as err:
        sys.exit(f"sims-worker: configuration: {one_line(err)}")
    except tomllib.TOMLDecodeError as err:
        sys.exit(f"sims-worker: configuration: the policy file is not valid TOML: {err}")
    except (StartupError, DevServerStopped) as err:
        sys.exit(f"sims-worker: {err}")
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
