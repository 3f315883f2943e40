"""`sims-case`'s launcher: sets the process up for a command that runs once and exits,
before the command's imports."""

from __future__ import annotations


def launch() -> None:
    import gc
    import os

    # Pydantic looks for plugins (observability hooks) in every installed distribution the
    # first time a model is built; a one-shot command wants none unless the user asks.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    # The imports allocate much and free little: collecting while they run is wasted time,
    # and what they built lives as long as the process, so later collections skip it.
    gc.disable()
    try:
        from sims_support.cli.main import main as run
    finally:
        gc.freeze()
        gc.enable()
    run()
