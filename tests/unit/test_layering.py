"""DESIGN §1's layering, read from the source: who may import whom, and no import cycle.

Every import counts, the ones inside functions too (a lazy import is a dependency that
only shows up later). `domain` imports nothing of ours outside itself; the two leaves of
`workflows/` (`search`, `contract`) import only `domain`; `activities` add the leaves;
the workflow shells add `activities`; `sims_support` imports `domain`, the leaves and
`activities`, never a shell, and its `client` (what platform backends import) not even
`activities` or the rest of `sims_support`; `worker.py` and `starter.py` are imported by
nobody.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
PACKAGES = ("domain", "workflows", "activities", "sims_support")
ENTRY_POINTS = ("worker", "starter")
# The package itself runs before any of its modules: it must stay a leaf (it imports nothing).
LEAVES = frozenset({"workflows", "workflows.search", "workflows.contract"})
MAY_IMPORT = {
    "domain": {"domain"},
    "leaf": {"domain"},
    "activities": {"domain", "leaf", "activities"},
    "shell": {"domain", "leaf", "activities", "shell"},
    "client": {"domain", "leaf", "client"},
    "sims_support": {"domain", "leaf", "activities", "client", "sims_support"},
    "entry": {"domain", "leaf", "activities", "shell", "client", "sims_support"},
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def our_modules() -> dict[str, Path]:
    paths = [p for package in PACKAGES for p in (ROOT / package).rglob("*.py")]
    paths += [ROOT / f"{entry}.py" for entry in ENTRY_POINTS]
    return {module_name(path): path for path in paths}


def layer(module: str) -> str:
    if module in ENTRY_POINTS:
        return "entry"
    if module in LEAVES:
        return "leaf"
    if module == "sims_support.client" or module.startswith("sims_support.client."):
        return "client"
    root = module.split(".")[0]
    return "shell" if root == "workflows" else root


def imports_of(module: str, source: str, known: Iterable[str]) -> set[str]:
    """The modules of ours that `module` imports, wherever the import statement is."""
    known = set(known)
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            # The house imports absolutely, so every import names its module in full.
            assert node.level == 0, f"{module}: line {node.lineno} imports relatively"
            base = node.module or ""
            # `from pkg import mod` imports pkg.mod, and runs pkg first;
            # `from mod import name` imports mod.
            targets = [base] + [
                f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in known
            ]
        else:
            continue
        found |= {t for t in targets if t in known and t != module}
    return found


def import_graph() -> dict[str, set[str]]:
    modules = our_modules()
    return {name: imports_of(name, path.read_text(), modules) for name, path in modules.items()}


def violations(graph: Mapping[str, set[str]]) -> list[str]:
    return sorted(
        f"{module} ({layer(module)}) imports {target} ({layer(target)})"
        for module, targets in graph.items()
        for target in targets
        if layer(target) not in MAY_IMPORT[layer(module)]
    )


def cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of two or more modules (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def test_every_import_follows_the_layering_of_design_section_1() -> None:
    assert violations(import_graph()) == []


def test_no_module_of_ours_takes_part_in_an_import_cycle() -> None:
    assert cycles(import_graph()) == []


def test_the_graph_sees_every_package_and_both_entry_points() -> None:
    graph = import_graph()
    assert {layer(module) for module in graph} == set(MAY_IMPORT)
    assert "workflows.contract" in graph["workflows.case"]


def test_a_lazy_import_inside_a_function_is_an_import() -> None:
    source = "def later():\n    from workflows import case\n"
    known = {"workflows", "workflows.case", "sims_support.client.cases"}

    assert imports_of("sims_support.client.cases", source, known) == {
        "workflows",
        "workflows.case",
    }


@pytest.mark.parametrize(
    ("module", "target"),
    [
        ("domain.models", "workflows.contract"),
        ("workflows.contract", "activities.ledger"),
        ("activities.ledger", "workflows.case"),
        ("sims_support.client.cases", "workflows.case"),
        ("sims_support.client.cases", "activities.ledger"),
        ("sims_support.client.cases", "sims_support.runtime.connect"),
        ("sims_support.cli.main", "worker"),
        ("workflows.case", "sims_support.config"),
    ],
)
def test_an_import_against_the_layering_is_found(module: str, target: str) -> None:
    assert violations({module: {target}}) == [
        f"{module} ({layer(module)}) imports {target} ({layer(target)})"
    ]


def test_importing_a_module_from_its_package_depends_on_the_package() -> None:
    source = "from sims_support.cli import case\n"
    known = {"sims_support.cli", "sims_support.cli.case", "sims_support.cli.main"}

    assert imports_of("sims_support.cli.main", source, known) == {
        "sims_support.cli",
        "sims_support.cli.case",
    }


def test_a_cycle_through_a_lazy_import_is_found() -> None:
    graph = {"domain.models": {"domain.priority"}, "domain.priority": {"domain.models"}}

    assert cycles(graph) == [["domain.models", "domain.priority"]]


def test_the_client_a_platform_backend_imports_loads_no_database_http_or_crypto_library() -> None:
    statement = (
        "import sys, sims_support.client, sims_support.client.cases, "
        "sims_support.client.problems, sims_support.client.change_requests, "
        "sims_support.client.school; "
        "print(sorted({'sqlalchemy', 'httpx', 'cryptography'} & set(sys.modules)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", statement], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert done.stdout.strip() == "[]"
