"""sims-case: open support cases, send them events, read their status, list them.

Exit codes: 0 done, 1 cannot reach Temporal (or no worker answered), 2 bad input,
3 refused by the case's state or a charter rule, 4 no such case.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import sys
from collections.abc import Sequence

from pydantic import TypeAdapter, ValidationError
from temporalio.client import Client, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.service import RPCError

from domain.models import CaseStatus
from sims_support.cli.change_request import dispatch_cr
from sims_support.cli.parser import (
    BAD_INPUT,
    EVENTS,
    Failure,
    build_parser,
    in_command_words,
    read_intake,
    read_reference,
    read_request,
)
from sims_support.cli.problem import dispatch_problem
from sims_support.cli.render import CaseRow, render_rows, render_status
from sims_support.cli.report import dispatch_report
from sims_support.client import cases as api
from sims_support.config import Settings
from sims_support.runtime.connect import StartupError, Unreachable, connect, one_line
from workflows import search
from workflows.case import CaseWorkflow

OK, UNREACHABLE, REFUSED, NO_SUCH_CASE = 0, 1, 3, 4


def cases_query(args: argparse.Namespace) -> str:
    """A Temporal list filter on the cases' search attributes (the README lists more)."""

    def quoted(value: str) -> str:
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'

    clauses = [f"WorkflowType = {quoted(CaseWorkflow.__name__)}"]
    if not args.all:
        clauses.append('ExecutionStatus = "Running"')
    if args.late:
        clauses.append(f"{search.SLA_BREACHED.name} = true")
    for key, value in (
        (search.CASE_STATE, args.state),
        (search.CASE_PRIORITY, args.priority),
        (search.INTEGRATOR_ID, args.integrator),
    ):
        if value:
            clauses.append(f"{key.name} = {quoted(value)}")
    return " AND ".join(clauses)


async def list_cases(client: Client, query: str, limit: int) -> list[CaseRow]:
    rows = []
    async for execution in client.list_workflows(query, limit=limit):
        found = execution.typed_search_attributes
        rows.append(
            CaseRow(
                reference=found.get(search.CASE_REFERENCE) or execution.id.removeprefix("case-"),
                case_type=found.get(search.CASE_TYPE),
                priority=found.get(search.CASE_PRIORITY),
                state=found.get(search.CASE_STATE),
                next_action_due=found.get(search.NEXT_ACTION_DUE),
                sla_breached=bool(found.get(search.SLA_BREACHED)),
                status=execution.status.name.lower() if execution.status else "unknown",
            )
        )
    never = dt.datetime.max.replace(tzinfo=dt.UTC)
    return sorted(rows, key=lambda row: (row.next_action_due or never, row.reference))


async def dispatch(args: argparse.Namespace, settings: Settings) -> str:
    """Read and check the input, then reach Temporal; returns what to print."""
    if args.command == "problem":
        return await dispatch_problem(args, settings)
    if args.command == "cr":
        return await dispatch_cr(args, settings)
    if args.command == "report":
        return await dispatch_report(args, settings)
    if args.command == "school":
        from sims_support.cli.school import dispatch_school  # it imports cli_parser, as cli_cr does

        return await dispatch_school(args, settings)
    if args.command == "list":
        client = await connect(settings, address=args.address, namespace=args.namespace)
        rows = await list_cases(client, cases_query(args), args.limit)
        return (
            TypeAdapter(list[CaseRow]).dump_json(rows).decode() if args.json else render_rows(rows)
        )

    task_queue = args.task_queue or settings.task_queue
    if args.command == "open":
        intake = read_intake(args, dt.datetime.now(dt.UTC))
        client = await connect(settings, address=args.address, namespace=args.namespace)
        call = api.open_case(client, intake, task_queue=task_queue)
    elif args.command in EVENTS:
        event = EVENTS[args.command]
        reference, request = read_reference(args), read_request(args, event)
        client = await connect(settings, address=args.address, namespace=args.namespace)
        call = api.send(client, reference, event.update, request)
    else:
        reference = read_reference(args)
        client = await connect(settings, address=args.address, namespace=args.namespace)
        call = api.case_status(client, reference)
    try:
        status: CaseStatus = await asyncio.wait_for(call, timeout=args.wait)
    except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError):
        later = " The case will open when one starts." if args.command == "open" else ""
        raise Failure(
            UNREACHABLE,
            "no_worker",
            f"no worker answered within {args.wait:g}s: is one running on task queue "
            f"{task_queue} (`make run`, or `python worker.py`)?{later}",
        ) from None
    return status.model_dump_json() if args.json else render_status(status)


def run(argv: Sequence[str] | None = None) -> int:
    """The whole command: every failure becomes one line on stderr and an exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = build_parser(__doc__).parse_args(argv)
        try:
            settings = Settings()
        except ValidationError as err:
            raise Failure(BAD_INPUT, "configuration", f"configuration: {one_line(err)}") from None
        print(asyncio.run(dispatch(args, settings)))
        return OK
    except KeyboardInterrupt:
        return 130
    except Exception as err:  # each kind we know becomes a Failure; others are re-raised
        return report(failure_for(err), as_json="--json" in argv)


def failure_for(err: Exception) -> Failure:
    match err:
        case Failure():
            return err
        case api.CaseRefused():
            return Failure(REFUSED, err.type, f"refused: {in_command_words(str(err))}")
        case api.NoSuchCase():
            return Failure(NO_SUCH_CASE, err.type, str(err))
        case Unreachable():
            return Failure(UNREACHABLE, "unreachable", str(err))
        case StartupError():
            return Failure(BAD_INPUT, "configuration", str(err))
        case api.CaseError() | RPCError():
            return Failure(UNREACHABLE, type(err).__name__, f"Temporal could not do it: {err}")
    raise err


def report(failure: Failure, *, as_json: bool) -> int:
    if as_json:
        line = json.dumps({"error": failure.kind, "message": str(failure), "exit": failure.code})
    else:
        line = "sims-case: " + " ".join(str(failure).split())
    print(line, file=sys.stderr)
    return failure.code


def main() -> None:
    code = run()
    sys.stdout.flush()
    sys.stderr.flush()
    # Not sys.exit: a Temporal call still in flight (one we gave up waiting for) makes the
    # SDK's Rust runtime wait for Python during interpreter shutdown, and the process hangs.
    os._exit(code)


if __name__ == "__main__":
    main()
