"""Our workflows run outside the sandbox (worker.py says why), so nothing at run time
stops a workflow module reading the clock, randomness, the environment or a file. This
static check does, for every module under workflows/ and under domain/ (whose rules the
workflows run); the replay tests catch the rest (a change of behaviour against recorded
histories). domain/ takes every instant as an argument (`now`), and the workflows pass it
`workflow.now()`."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import worker

ROOT = Path(__file__).parents[2]
WORKFLOWS = sorted((ROOT / "workflows").glob("*.py"))
DOMAIN = sorted((ROOT / "domain").glob("*.py"))
# Clocks, randomness, the environment, threads and I/O: none has a place in a workflow.
FORBIDDEN_IMPORTS = frozenset(
    {
        "holidays",
        "httpx",
        "multiprocessing",
        "os",
        "random",
        "secrets",
        "socket",
        "sqlalchemy",
        "subprocess",
        "threading",
        "time",
        "uuid",
    }
)
# The only clock a workflow reads is `workflow.now()`.
CLOCK_METHODS = frozenset({"now", "utcnow", "today", "fromtimestamp", "monotonic", "time"})
FORBIDDEN_BUILTINS = frozenset({"open", "input", "id", "hash"})
# domain/ is pure: no Temporal either. It may name the `holidays` package in the one place
# that builds a calendar for the worker (`WorkingCalendar.england_and_wales`, imported
# there and only there); a workflow builds its calendar from its snapshot instead.
DOMAIN_FORBIDDEN = (FORBIDDEN_IMPORTS - {"holidays"}) | {"temporalio"}


def offences(source: str, forbidden: frozenset[str] = FORBIDDEN_IMPORTS) -> list[str]:
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            roots = [alias.name.split(".")[0] for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            roots = [(node.module or "").split(".")[0]] if node.level == 0 else []
        else:
            roots = []
        line = getattr(node, "lineno", 0)
        found += [f"line {line}: imports {r}" for r in roots if r in forbidden]
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        # `dt.time(8, 30)` builds a time of day and `fromtimestamp(s, tz)` converts a given
        # instant in a given zone: neither reads the clock or the machine's timezone.
        attr = func.attr if isinstance(func, ast.Attribute) else None
        constructs = (attr == "time" and bool(node.args)) or (
            attr == "fromtimestamp" and (len(node.args) == 2 or bool(node.keywords))
        )
        if isinstance(func, ast.Attribute) and func.attr in CLOCK_METHODS and not constructs:
            receiver = func.value
            if not (isinstance(receiver, ast.Name) and receiver.id == "workflow"):
                found.append(f"line {node.lineno}: calls {ast.unparse(func)}()")
        if isinstance(func, ast.Name) and func.id in FORBIDDEN_BUILTINS:
            found.append(f"line {node.lineno}: calls {func.id}()")
    return found


@pytest.mark.parametrize("path", WORKFLOWS, ids=[p.name for p in WORKFLOWS])
def test_a_workflow_module_reads_no_clock_but_the_workflows(path: Path) -> None:
    assert offences(path.read_text()) == []


@pytest.mark.parametrize("path", DOMAIN, ids=[p.name for p in DOMAIN])
def test_a_domain_rule_reads_no_clock_no_environment_and_no_temporal(path: Path) -> None:
    assert offences(path.read_text(), DOMAIN_FORBIDDEN) == []


def test_the_domain_check_refuses_temporal_and_the_environment() -> None:
    source = "import os\nfrom temporalio import workflow\nx = os.environ"
    assert offences(source, DOMAIN_FORBIDDEN) == [
        "line 1: imports os",
        "line 2: imports temporalio",
    ]


@pytest.mark.parametrize(
    ("source", "offence"),
    [
        ("import datetime as dt\nx = dt.datetime.now()", "line 2: calls dt.datetime.now()"),
        ("from datetime import date\nx = date.today()", "line 2: calls date.today()"),
        ("import time", "line 1: imports time"),
        ("from uuid import uuid4", "line 1: imports uuid"),
        ("import os.path", "line 1: imports os"),
        ("data = open('x').read()", "line 1: calls open()"),
        ("seed = hash('x')", "line 1: calls hash()"),
        ("x = dt.datetime.fromtimestamp(0)", "line 1: calls dt.datetime.fromtimestamp()"),
    ],
)
def test_the_check_finds_what_the_sandbox_would_have_refused(source: str, offence: str) -> None:
    assert offences(source) == [offence]


@pytest.mark.parametrize(
    "source",
    ["import datetime as dt\nx = dt.time(8, 30)", "x = dt.datetime.fromtimestamp(0, tz)"],
)
def test_building_a_time_of_day_or_converting_in_a_zone_reads_no_clock(source: str) -> None:
    assert offences(source) == []


def test_every_workflow_the_worker_runs_is_under_this_check() -> None:
    checked = {f"workflows.{path.stem}" for path in WORKFLOWS}
    assert {workflow_class.__module__ for workflow_class in worker.WORKFLOWS} <= checked


def test_the_workflows_own_clock_is_allowed() -> None:
    assert offences("from temporalio import workflow\nnow = workflow.now()") == []
