"""Regenerate the state diagrams from the machine classes: `python docs/diagrams.py`.

Writes docs/case-machine.md and the diagram section of README.md (between the
`case-machine` markers). `tests/unit/test_diagrams.py` fails when either is stale.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from statemachine.contrib.diagram.formatter import formatter  # noqa: E402

from domain.machines import CaseMachine  # noqa: E402

CASE_MACHINE_DOC = ROOT / "docs" / "case-machine.md"
README = ROOT / "README.md"
BEGIN = "<!-- case-machine:begin (python docs/diagrams.py) -->"
END = "<!-- case-machine:end -->"


def mermaid() -> str:
    return "```mermaid\n" + formatter.render(CaseMachine, "mermaid").strip() + "\n```\n"


def case_machine_doc() -> str:
    table = formatter.render(CaseMachine, "md").strip()
    return (
        "# CaseMachine\n\n"
        "Generated from `domain/machines.py` by `python docs/diagrams.py`; do not edit.\n"
        "States are conditions, events are verbs. Every event is a Temporal Update except\n"
        "`resolve` (the timer: the Resolution Offered window closed) and\n"
        "`resume_investigation` (news from the linked problem). `post_update` and\n"
        "`change_priority` keep the state, so they are not drawn.\n\n"
        f"{mermaid()}\n"
        "## Transitions\n\n"
        f"{table}\n"
    )


def readme_with_diagram(readme: str) -> str:
    """README.md with the section between the markers replaced by the current diagram."""
    head, begin, rest = readme.partition(BEGIN)
    _, end, tail = rest.partition(END)
    if not (begin and end):
        raise SystemExit(f"README.md lacks the markers {BEGIN!r} ... {END!r}")
    return f"{head}{BEGIN}\n{mermaid()}{END}{tail}"


def main() -> None:
    CASE_MACHINE_DOC.write_text(case_machine_doc())
    README.write_text(readme_with_diagram(README.read_text()))
    print(f"wrote {CASE_MACHINE_DOC.relative_to(ROOT)} and the diagram in README.md")


if __name__ == "__main__":
    main()
