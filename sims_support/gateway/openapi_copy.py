"""`docs/openapi.json`: the gateway's OpenAPI document as the repository keeps it, for
readers and client generators. `tests/gateway/test_openapi.py` fails when it differs from
the app's; after changing a route or a model, rewrite it with

    .venv/bin/python -m sims_support.gateway.openapi_copy
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from sims_support.config import Settings
from sims_support.gateway.app import create_app
from sims_support.gateway.openapi import rendered

COPY = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"


def current() -> str:
    """The document as the app serves it (built without reaching Temporal or the ledger)."""
    return rendered(create_app(Settings(_env_file=None)))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="rewrite docs/openapi.json from the app")
    parser.add_argument("--file", type=Path, default=COPY, help=f"default {COPY}")
    parser.add_argument("--stdout", action="store_true", help="print it instead")
    args = parser.parse_args(argv)
    text = current()
    if args.stdout:
        print(text, end="")
        return
    args.file.write_text(text, encoding="utf-8")
    print(f"wrote {args.file}")


if __name__ == "__main__":
    main()
