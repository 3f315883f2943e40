"""Encryption end to end: the worker and `sims-case` configured with the same keys, as
an operator runs them; the raw history on the real server holds no personal data."""

from __future__ import annotations

import json

from temporalio.client import Client

from sims_support.cli.examples import REPORTER
from sims_support.client import cases
from sims_support.runtime.converter import data_converter
from sims_support.security.codec import new_key
from tests.system.conftest import Sims


async def test_a_keyed_worker_and_cli_write_only_ciphertext_and_read_it_back(sims: Sims) -> None:
    sims.settings["SIMS_CODEC_KEYS"] = f"{new_key('sys-2')},{new_key('sys-1')}"
    sims.start_worker()
    opened = sims.cli("open", "--example", "p1-incident", "--json")
    assert opened.returncode == 0, opened.stderr
    case = json.loads(opened.stdout)
    shown = sims.cli("status", case["reference"], "--json")

    plain = await Client.connect(sims.address, data_converter=data_converter())
    history = await plain.get_workflow_handle(cases.workflow_id(case["reference"])).fetch_history()
    raw = b"".join(event.SerializeToString() for event in history.events)
    started = history.events[0].workflow_execution_started_event_attributes

    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["summary"] == case["summary"]  # decrypted by the CLI
    assert started.input.payloads[0].metadata["encryption-key-id"] == b"sys-2"
    assert case["summary"].encode() not in raw
    for personal in (REPORTER["name"], REPORTER["email"], REPORTER["phone"], "HTTP 500"):
        assert personal.encode() not in raw, f"{personal!r} is in the raw history"
