"""`sims-case policy ACTION`: the support policy the cases run on (DESIGN §4, §15).

`policy show [--file F]` prints the policy as the worker reads it (the charter's
defaults, the TOML file, `SIMS_POLICY_*`) and its version. `policy apply [--file F]
[--dry-run]` sends it to every open case and change request of the task queue
(`--task-queue`, else SIMS_TASK_QUEUE), as the desk (`--as`): each
records `policy_changed` and derives its clocks again under it; the same policy again
changes nothing. `--file` defaults to `SIMS_POLICY_FILE`; a file that is not a valid
policy is refused naming the field, before anything is sent. Exit 3 when a workflow
refused it or did not answer (the rest are changed: run it again to retry them).
"""

from __future__ import annotations

import argparse
import json
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from sims_support.cli.actors import actor_of
from sims_support.cli.exits import REFUSED, Failure, bad_input
from sims_support.cli.shown import escaped
from sims_support.config import Settings, load_policy
from sims_support.runtime.connect import connect, one_line

if TYPE_CHECKING:
    from domain.policy import SupportPolicy
    from sims_support.client.policy import PolicyApplied


def add_arguments(
    found: argparse.ArgumentParser, parents: Sequence[argparse.ArgumentParser] = ()
) -> None:
    """The actions of `policy` (`main` adds them when `policy` is used)."""
    actions = found.add_subparsers(dest="policy_command", required=True, metavar="ACTION")
    show = actions.add_parser(
        "show", parents=list(parents), help="the policy a worker would read, and its version"
    )
    apply = actions.add_parser(
        "apply",
        parents=list(parents),
        help="send the policy to every open case and change request",
        description="Send the policy to every open case and change request (as --as, the "
        "desk): each records policy_changed and derives its clocks again under it. The same "
        "policy again changes nothing.",
    )
    apply.add_argument(
        "--dry-run", action="store_true", help="send nothing: say what an apply would change"
    )
    for action in (show, apply):
        action.add_argument(
            "--file", type=Path, metavar="F", help="a policy TOML file (default SIMS_POLICY_FILE)"
        )


def read_policy(file: Path | None, settings: Settings) -> SupportPolicy:
    """The policy as the worker reads it from `file` (else SIMS_POLICY_FILE); a bad file
    is refused naming the field, a missing one naming --file."""
    chosen = file or settings.policy_file
    if chosen is not None and not chosen.is_file():
        raise bad_input(f"--file: {chosen} is not a file")
    try:
        return load_policy(chosen)
    except ValidationError as err:
        raise bad_input(f"{chosen or 'policy'}: {one_line(err)}") from None
    except tomllib.TOMLDecodeError as err:
        raise bad_input(f"{chosen}: not TOML: {err}") from None


async def dispatch(args: argparse.Namespace, settings: Settings) -> str:
    """`main.dispatch` for `policy`: returns what to print."""
    from domain.policy_change import policy_version
    from sims_support.client.policy import apply_policy

    policy = read_policy(args.file, settings)
    if args.policy_command == "show":
        shown = {"version": policy_version(policy), "policy": policy.model_dump(mode="json")}
        return json.dumps(shown, indent=2)
    actor = actor_of(args, settings)
    client = await connect(settings, address=args.address, namespace=args.namespace)
    task_queue = args.task_queue or settings.task_queue
    applied = await apply_policy(
        client, policy, actor=actor, dry_run=args.dry_run, timeout=args.wait, task_queue=task_queue
    )
    output = applied.model_dump_json(indent=2) if args.json else rendered(applied)
    if applied.counts["failed"]:
        # Said on stdout, as every other result; the exit code tells a script.
        print(output)
        raise Failure(REFUSED, "policy_not_applied", failed_line(applied))
    return output


def rendered(applied: PolicyApplied) -> str:
    counts = applied.counts
    total = len(applied.results)
    head = f"policy {applied.version}: {total} open case(s) and change request(s)"
    # A dry run says what it would change; an apply what it changed.
    done, said = ("would_change", "would change") if applied.dry_run else ("changed", "changed")
    lines = [
        f"{head}; dry run, nothing sent" if applied.dry_run else head,
        f"  {said}: {counts[done]}   already on it: {counts['already']}"
        f"   closed: {counts['closed']}   failed: {counts['failed']}",
    ]
    for result in applied.results:
        if result.outcome not in ("already", "closed"):
            detail = f"  {result.detail}" if result.detail else ""
            lines.append(f"  {result.outcome:<12} {result.noun} {result.reference}{detail}")
    return "\n".join(escaped(line) for line in lines)


def failed_line(applied: PolicyApplied) -> str:
    return (
        f"policy {applied.version} did not reach {applied.counts['failed']} workflow(s); "
        "run it again to retry them (those already on it are left as they are)"
    )
