"""`make run`'s stack as a platform meets it (DESIGN §14): the launcher run with
SIMS_CODEC_KEYS, API keys made with `sims-case keys`, the intake `sims-case open
--print-intake` prints, every request over real HTTP; then the case's raw history, read
from the launcher's dev server without the codec, holds none of the intake's personal data."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from temporalio.client import Client

from sims_support.client import cases
from sims_support.config import find_binary
from sims_support.security.codec import new_key
from tests.system.conftest import free_port, unique

pytestmark = pytest.mark.timeout(180)
CODEC_KEY_ID = "sys-gateway"
# What the intake may say in clear: ids Temporal indexes as search attributes, and the
# vocabulary and instants that name no one. Every other string of it is checked.
NOT_PERSONAL = {
    "reference",
    "case_type",
    "channel",
    "logged_at",
    "integrator.id",
    "integrator.support_agreement_expires",
    "reporter.role",
    "school.urn",
    "release_version",
    "environments",
}


@dataclass(frozen=True)
class Stack:
    env: dict[str, str]
    home: Path
    http: httpx.Client
    dev_address: str

    def cli(self, *args: str) -> Any:
        """`sims-case ARGS` as an operator runs it beside `make run` (its settings), as JSON."""
        command = find_binary("sims-case")
        assert command, "sims-case is not installed: pip install -e '.[dev]'"
        done = subprocess.run(
            [command, *args],
            capture_output=True,
            text=True,
            cwd=self.home,
            env=self.env,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    def key(self, role: str, actor_id: str) -> dict[str, Any]:
        return dict(self.cli("keys", "create", "--role", role, "--id", actor_id, "--json"))

    def intake(self) -> dict[str, Any]:
        reference = unique("INC")
        printed = ["open", "--example", "p1-incident", "--reference", reference, "--print-intake"]
        return dict(self.cli(*printed))

    def open_case(self, desk: str) -> str:
        opened = self.http.post("/v1/cases", json=self.intake(), headers=bearer(desk))
        assert opened.status_code == 201, opened.text
        return str(opened.json()["reference"])


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """`make run` (its launcher) in a session of its own, on free ports, keyed."""
    home = tmp_path_factory.mktemp("make-run")
    # Every port the stack listens on, free: it never meets a developer's `make run`.
    listens = ("DEV", "DEV_UI", "GATEWAY", "CODEC", "METRICS", "GATEWAY_METRICS")
    ports = {name: free_port() for name in listens}
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIMS_")}
    env |= {f"SIMS_{name}_PORT": str(port) for name, port in ports.items()}
    env |= {"SIMS_DATA_DIR": str(home / "data"), "SIMS_CODEC_KEYS": new_key(CODEC_KEY_ID)}
    log = home / "make-run.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "sims_support.gateway.devrun"],
            cwd=home,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{ports['GATEWAY']}"
    try:
        with httpx.Client(base_url=base, timeout=40) as http:
            ready_or_ended(process, http, log)
            yield Stack(env, home, http, f"localhost:{ports['DEV']}")
        os.killpg(process.pid, signal.SIGINT)  # Ctrl-C, as the terminal sends it
        assert process.wait(30) == 0, log.read_text()
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def ready_or_ended(process: subprocess.Popen[bytes], http: httpx.Client, log: Path) -> None:
    deadline = time.monotonic() + 45
    while True:
        assert process.poll() is None, f"make run ended:\n{log.read_text()}"
        assert time.monotonic() < deadline, f"the gateway never got ready:\n{log.read_text()}"
        try:
            if http.get("/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)


@dataclass(frozen=True)
class Keys:
    desk: dict[str, Any]
    integrator: dict[str, Any]
    other_integrator: dict[str, Any]


@pytest.fixture(scope="module")
def keys(stack: Stack) -> Keys:
    # The sample intake is the desk's, on behalf of this integrator.
    integrator_id = stack.intake()["integrator"]["id"]
    made = Keys(
        desk=stack.key("desk", "PST-017"),
        integrator=stack.key("integrator", integrator_id),
        other_integrator=stack.key("integrator", "INT-999"),
    )
    # The same database as the gateway's: the ledger's default under SIMS_DATA_DIR.
    assert (stack.home / "data" / "ledger.db").is_file()
    return made


def bearer(key: dict[str, Any] | str, idempotency_key: str | None = None) -> dict[str, str]:
    token = key if isinstance(key, str) else key["token"]
    headers = {"Authorization": f"Bearer {token}"}
    if idempotency_key is not None:
        headers["Idempotency-Key"] = idempotency_key
    return headers


@dataclass(frozen=True)
class Tour:
    intake: dict[str, Any]
    opened: httpx.Response
    answers: list[httpx.Response]
    messages: list[str]


@dataclass(frozen=True)
class Step:
    """Who sends the event, with what body; the state the answer says, the event recorded."""

    who: str
    event: str
    body: dict[str, str] | None
    state: str
    recorded: str


STEPS = [
    Step(
        "desk",
        "acknowledge",
        {"message": "On it: write-backs fail in 40 schools"},
        "investigating",
        "acknowledged",
    ),
    Step(
        "desk",
        "request_information",
        {"message": "Which session ids fail?"},
        "awaiting_information",
        "info_requested",
    ),
    Step(
        "integrator",
        "provide_information",
        {"message": "Every session of Hilltop's Year 9"},
        "investigating",
        "info_provided",
    ),
    Step(
        "desk",
        "offer_resolution",
        {"kind": "workaround", "summary": "Retry the marks in batches of 50"},
        "resolution_offered",
        "resolution_offered",
    ),
    Step("integrator", "accept_resolution", None, "resolved", "accepted"),
]


@pytest.fixture(scope="module")
def tour(stack: Stack, keys: Keys) -> Tour:
    """The P1 tour over HTTP: the desk opens and drives the case, its integrator answers."""
    intake = stack.intake()
    opened = stack.http.post("/v1/cases", json=intake, headers=bearer(keys.desk))
    answers = []
    for step in STEPS:
        where = f"/v1/cases/{intake['reference']}/events/{step.event}"
        headers = bearer(getattr(keys, step.who), str(uuid.uuid4()))
        answers.append(stack.http.post(where, json=step.body, headers=headers))
    said = [(step.body or {}).get(field) for step in STEPS for field in ("message", "summary")]
    return Tour(intake, opened, answers, [text for text in said if text])


def test_a_p1_incident_goes_from_logged_to_resolved_over_make_runs_http(
    stack: Stack, keys: Keys, tour: Tour
) -> None:
    reference = tour.intake["reference"]
    assert tour.opened.status_code == 201, tour.opened.text
    assert tour.opened.headers["location"] == f"/v1/cases/{reference}"
    opened = tour.opened.json()
    assert (opened["state"], opened["priority"]) == ("logged", 1)
    assert opened["integrator_id"] == keys.integrator["actor"]["id"]
    assert [e["actor"] for e in opened["timeline"]] == [keys.desk["actor"]]
    assert clocks(opened)["response"]["status"] == "pending"

    for count, (step, sent) in enumerate(zip(STEPS, tour.answers, strict=True), start=2):
        assert sent.status_code == 200, (step.event, sent.text)
        answer = sent.json()
        assert answer["state"] == step.state, step.event
        # An update answers with the event it recorded (as the key's actor), not the timeline.
        recorded = [(e["kind"], e["actor"]) for e in answer["timeline"]]
        assert recorded == [(step.recorded, getattr(keys, step.who)["actor"])], step.event
        assert answer["timeline_total"] == count, step.event
    acknowledged, asked, answered, offered, accepted = (clocks(a.json()) for a in tour.answers)
    assert acknowledged["response"]["status"] == "met"
    assert acknowledged["update"]["deadline"] is not None
    assert asked["update"]["deadline"] is None  # awaiting information pauses the cadence
    assert answered["update"]["deadline"] is not None
    assert offered["resolution_offered"]["deadline"] is not None
    assert {clock["status"] for clock in accepted.values()} == {"met"}
    assert tour.answers[-1].json()["next_action_due"] is None

    for key in (keys.desk, keys.integrator):
        shown = stack.http.get(f"/v1/cases/{reference}", headers=bearer(key))
        assert shown.status_code == 200, shown.text
        assert [e["kind"] for e in shown.json()["timeline"]] == [
            "logged",
            *(s.recorded for s in STEPS),
        ]


def clocks(status: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {clock["name"]: clock for clock in status["clocks"]}


def test_another_integrator_finds_no_case_and_an_integrator_may_not_acknowledge(
    stack: Stack, keys: Keys
) -> None:
    reference = stack.open_case(keys.desk["token"])
    where = f"/v1/cases/{reference}"

    read = stack.http.get(where, headers=bearer(keys.other_integrator))
    answered = stack.http.post(
        f"{where}/events/provide_information",
        json={"message": "Ours too"},
        headers=bearer(keys.other_integrator, str(uuid.uuid4())),
    )
    acknowledged = stack.http.post(
        f"{where}/events/acknowledge",
        json={"message": "We are on it"},
        headers=bearer(keys.integrator, str(uuid.uuid4())),
    )

    assert (read.status_code, read.json()["title"]) == (404, "NotYourCase"), read.text
    assert (answered.status_code, answered.json()["title"]) == (404, "NotYourCase"), answered.text
    assert (acknowledged.status_code, acknowledged.json()["title"]) == (403, "NotAllowed")
    case = stack.http.get(where, headers=bearer(keys.desk)).json()
    assert (case["state"], case["timeline_total"]) == ("logged", 1)  # nothing was written


def test_a_revoked_key_is_answered_401_from_then_on(stack: Stack, keys: Keys) -> None:
    reference = stack.open_case(keys.desk["token"])
    where = f"/v1/cases/{reference}"
    key = stack.key("desk", "PST-099")
    assert stack.http.get(where, headers=bearer(key)).status_code == 200

    stack.cli("keys", "revoke", key["key_id"], "--json")

    read = stack.http.get(where, headers=bearer(key))
    sent = stack.http.post(
        f"{where}/events/acknowledge",
        json={"message": "We are on it"},
        headers=bearer(key, str(uuid.uuid4())),
    )
    assert (read.status_code, read.json()["title"]) == (401, "Unauthenticated"), read.text
    assert (sent.status_code, sent.json()["title"]) == (401, "Unauthenticated"), sent.text


def test_the_same_idempotency_key_repeats_the_answer_and_with_another_body_is_refused(
    stack: Stack, keys: Keys
) -> None:
    reference = stack.open_case(keys.desk["token"])
    where = f"/v1/cases/{reference}/events/acknowledge"
    headers = bearer(keys.desk, str(uuid.uuid4()))

    first = stack.http.post(where, json={"message": "We are on it"}, headers=headers)
    again = stack.http.post(where, json={"message": "We are on it"}, headers=headers)
    other = stack.http.post(where, json={"message": "Looking now"}, headers=headers)

    assert first.status_code == again.status_code == 200, first.text
    assert again.content == first.content
    assert other.status_code == 422, other.text
    assert other.headers["content-type"] == "application/problem+json"
    assert other.json()["type"] == "urn:sims-support:error:IdempotencyKeyReused"
    case = stack.http.get(f"/v1/cases/{reference}", headers=bearer(keys.desk)).json()
    assert [e["kind"] for e in case["timeline"]] == ["logged", "acknowledged"]


async def test_the_raw_history_of_a_case_opened_over_http_holds_none_of_its_personal_data(
    stack: Stack, tour: Tour
) -> None:
    reference = tour.intake["reference"]
    assert tour.answers[-1].status_code == 200, "the tour did not reach its end"
    personal = sorted(set(strings(tour.intake)) | set(tour.messages))
    contact, school = tour.intake["reporter"], tour.intake["school"]
    expected = [contact["name"], contact["email"], contact["phone"], school["name"]]
    assert set(expected) <= set(personal), personal  # the list checked is not empty
    assert tour.intake["description"] in personal

    plain = await Client.connect(stack.dev_address)  # no codec: what Temporal stores
    history = await plain.get_workflow_handle(cases.workflow_id(reference)).fetch_history()
    # The bytes hold each payload as written; the JSON (payloads in base64) the rest as shown.
    raw = b"".join(event.SerializeToString() for event in history.events).lower()
    shown = history.to_json().lower()

    # The reference, an id, is there in clear: the search sees what was not encrypted.
    assert reference.lower().encode() in raw
    started = history.events[0].workflow_execution_started_event_attributes
    assert started.input.payloads[0].metadata["encryption-key-id"] == CODEC_KEY_ID.encode()
    found = [text for text in personal if text.lower().encode() in raw or text.lower() in shown]
    assert not found, f"in the raw history of {reference}: {found}"


def strings(value: Any, path: str = "") -> Iterator[str]:
    """Every string of the intake but those at NOT_PERSONAL's paths."""
    if path in NOT_PERSONAL:
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for name, inner in value.items():
            yield from strings(inner, f"{path}.{name}".lstrip("."))
    elif isinstance(value, list):
        for inner in value:
            yield from strings(inner, path)
