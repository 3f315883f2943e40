"""The committed state diagrams are the machine's own: regenerate with `python docs/diagrams.py`."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def diagrams() -> ModuleType:
    spec = importlib.util.spec_from_file_location("diagrams", ROOT / "docs" / "diagrams.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_case_machine_document_matches_the_case_machine() -> None:
    committed = (ROOT / "docs" / "case-machine.md").read_text()
    assert committed == diagrams().case_machine_doc(), "stale: run python docs/diagrams.py"


def test_the_readme_shows_the_current_case_machine() -> None:
    readme = (ROOT / "README.md").read_text()
    assert readme == diagrams().readme_with_diagram(readme), "stale: run python docs/diagrams.py"


def test_every_state_of_the_case_machine_is_drawn() -> None:
    from domain.machines import CaseMachine

    drawn = diagrams().mermaid()
    assert drawn.startswith("```mermaid\nstateDiagram-v2")
    for state in CaseMachine.states:
        assert f" as {state.id}" in drawn
