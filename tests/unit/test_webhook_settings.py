"""The webhook's settings (DESIGN §8): a weak or default secret, or a URL that is not https
(loopback excepted) or does not parse, stops the worker at start naming the setting."""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

import worker
from activities.notify import Notifier
from sims_support.config import Settings
from sims_support.runtime.connect import one_line

STRONG = "a-secret-of-thirty-two-bytes-ok!"  # exactly 32
URL = "https://platform.example/hooks/sims/token-abc"


@pytest.fixture(autouse=True)
def no_webhook_in_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[None]:
    for name in ("SIMS_WEBHOOK_URL", "SIMS_WEBHOOK_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no `.env` of the developer's
    yield


def settings(**given: Any) -> Settings:
    return Settings(_env_file=None, **given)


def refusal(**given: Any) -> str:
    """What the worker says (pydantic's own text repeats the input, secret and all)."""
    with pytest.raises(ValidationError) as refused:
        settings(**given)
    return one_line(refused.value)


def whsec(size: int) -> str:
    return "whsec_" + base64.b64encode(b"k" * size).decode()


def test_without_a_webhook_the_default_secret_signs_nothing_and_is_let_be() -> None:
    assert settings().webhook_url is None


@pytest.mark.parametrize(
    "url",
    [
        URL,
        "https://platform.example:8443/hooks",
        "http://127.0.0.1:8080/hooks",
        "http://[::1]:8080/hooks",
        "http://localhost/hooks",
    ],
)
def test_an_https_webhook_or_plain_http_to_loopback_starts(url: str) -> None:
    assert settings(webhook_url=url, webhook_secret=STRONG).webhook_url == url


@pytest.mark.parametrize(
    "url", ["http://platform.example/hooks", "http://10.0.0.7/hooks", "http://localhost.evil/"]
)
def test_a_plain_http_webhook_elsewhere_is_refused_naming_the_url_setting(url: str) -> None:
    said = refusal(webhook_url=url, webhook_secret=STRONG)

    assert "SIMS_WEBHOOK_URL must be https" in said


@pytest.mark.parametrize(
    "url",
    [
        "platform.example/hooks",
        "https://[::1/hooks",
        "https://platform.example:99999/hooks",
        "https://platform.example:port/hooks",
        "https:///hooks",
        "ftp://platform.example/hooks",
        "https://platform.example/ho oks",
        "https://platform.example/hooks\n",
    ],
)
def test_a_webhook_url_that_does_not_parse_is_refused_naming_the_setting(url: str) -> None:
    said = refusal(webhook_url=url, webhook_secret=STRONG)

    assert "SIMS_WEBHOOK_URL does not parse" in said


def test_the_refusal_does_not_repeat_the_url_which_may_hold_a_token() -> None:
    said = refusal(webhook_url="http://platform.example/hooks/token-abc", webhook_secret=STRONG)

    assert "token-abc" not in said


@pytest.mark.parametrize(
    ("secret", "says"),
    [
        ("", "SIMS_WEBHOOK_SECRET is empty"),
        ("change-me", "SIMS_WEBHOOK_SECRET is the default change-me"),
        (STRONG[:-1], "SIMS_WEBHOOK_SECRET has 31 bytes, too few"),
        (whsec(31), "SIMS_WEBHOOK_SECRET has 31 bytes, too few"),
        ("whsec_not*base64", "SIMS_WEBHOOK_SECRET: the part after whsec_ is not base64"),
    ],
)
def test_a_weak_or_default_secret_is_refused_naming_the_setting(secret: str, says: str) -> None:
    said = refusal(webhook_url=URL, webhook_secret=secret)

    assert said == says or said.startswith(says + ":")
    assert secret in ("", "change-me") or secret not in said


def test_a_webhook_without_a_secret_is_refused_as_the_default() -> None:
    assert "SIMS_WEBHOOK_SECRET is the default change-me" in refusal(webhook_url=URL)


@pytest.mark.parametrize("secret", [STRONG, whsec(32), whsec(64)])
def test_a_secret_of_32_bytes_raw_or_in_whsec_form_is_taken(secret: str) -> None:
    assert settings(webhook_url=URL, webhook_secret=secret).webhook_secret.get_secret_value()


@pytest.mark.parametrize(
    ("variables", "setting"),
    [
        ({"SIMS_WEBHOOK_URL": URL, "SIMS_WEBHOOK_SECRET": "short"}, "SIMS_WEBHOOK_SECRET"),
        ({"SIMS_WEBHOOK_URL": URL}, "SIMS_WEBHOOK_SECRET"),
        ({"SIMS_WEBHOOK_URL": URL, "SIMS_WEBHOOK_SECRET": ""}, "SIMS_WEBHOOK_SECRET"),
        ({"SIMS_WEBHOOK_URL": "http://platform.example/"}, "SIMS_WEBHOOK_URL"),
        ({"SIMS_WEBHOOK_URL": "https://[::1", "SIMS_WEBHOOK_SECRET": STRONG}, "SIMS_WEBHOOK_URL"),
    ],
)
def test_the_worker_refuses_to_start_with_a_message_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, variables: dict[str, str], setting: str
) -> None:
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    level = logging.getLogger("activities").level

    with pytest.raises(SystemExit) as stopped:
        worker.main([])
    logging.getLogger("activities").setLevel(level)  # main() sets it for the worker

    said = str(stopped.value.code)
    assert said.startswith(f"sims-worker: configuration: {setting}")
    assert "short" not in said


def test_without_a_webhook_the_notifier_never_reads_the_secret() -> None:
    assert Notifier(None, b"whsec_not*base64") is not None
