"""docker-compose.yml, read as data: no Docker engine was available to run it here, so the
wiring that matters is checked against the code it must agree with."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from sims_support.config import Settings
from workflows import search

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def services() -> dict[str, Any]:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return dict(compose["services"])


def script(service: dict[str, Any]) -> str:
    command = service["command"]
    return command if isinstance(command, str) else "\n".join(command)


def test_the_stack_has_the_database_temporal_its_ui_the_setup_jobs_and_the_worker(
    services: dict[str, Any],
) -> None:
    assert set(services) == {
        "postgresql",
        "temporal-schema",
        "temporal",
        "register-search-attributes",
        "temporal-ui",
        "worker",
    }


def test_it_registers_exactly_the_search_attributes_the_workflows_set(
    services: dict[str, Any],
) -> None:
    # The CLI's type names: KEYWORD is Keyword, KEYWORD_LIST is KeywordList.
    expected = {
        key.name: "".join(word.title() for word in key.indexed_value_type.name.split("_"))
        for key in search.ALL
    }

    registered = re.findall(
        r"search-attribute create --name (\w+) --type (\w+)",
        script(services["register-search-attributes"]),
    )

    assert dict(registered) == expected
    assert len(registered) == len(expected)  # each once


def test_temporal_runs_on_postgresql_after_its_schema_is_set_up(services: dict[str, Any]) -> None:
    temporal = services["temporal"]
    assert temporal["image"].startswith("temporalio/server:")
    assert temporal["environment"]["DB"] == "postgres12"
    assert temporal["environment"]["POSTGRES_SEEDS"] == "postgresql"
    assert temporal["depends_on"]["temporal-schema"]["condition"] == (
        "service_completed_successfully"
    )
    dynamic_config = temporal["environment"]["DYNAMIC_CONFIG_FILE_PATH"].rsplit("/", 1)[1]
    assert (ROOT / "docker" / "dynamicconfig" / dynamic_config).exists()
    assert "temporal_visibility" in script(services["temporal-schema"])


def test_the_ui_and_the_setup_job_talk_to_the_temporal_service(services: dict[str, Any]) -> None:
    assert services["temporal-ui"]["environment"]["TEMPORAL_ADDRESS"] == "temporal:7233"
    job = services["register-search-attributes"]
    assert job["environment"]["TEMPORAL_ADDRESS"] == "temporal:7233"
    assert "namespace create -n default" in script(job)


def test_the_worker_is_configured_only_through_settings_it_understands(
    services: dict[str, Any],
) -> None:
    worker = services["worker"]
    environment: dict[str, str] = worker["environment"]
    fields = {f"SIMS_{name.upper()}" for name in Settings.model_fields}

    assert set(environment) <= fields, f"unknown settings: {set(environment) - fields}"
    assert environment["SIMS_TEMPORAL_ADDRESS"] == "temporal:7233"
    assert environment["SIMS_TEMPORAL_NAMESPACE"] == "default"
    assert worker["depends_on"]["register-search-attributes"]["condition"] == (
        "service_completed_successfully"
    )


def test_the_worker_image_installs_the_project_and_runs_the_worker() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    ignored = (ROOT / ".dockerignore").read_text().split()

    assert dockerfile.startswith("# ") and "FROM python:3.11-slim" in dockerfile
    assert "pip install ." in dockerfile
    assert 'CMD ["python", "worker.py"]' in dockerfile
    assert ".env" in ignored and ".venv/" in ignored  # no secrets or local venv in the image


def test_the_worker_will_not_start_without_encryption_keys(services: dict[str, Any]) -> None:
    """Compose refuses to run the stack without SIMS_CODEC_KEYS (`${VAR:?message}`), and
    nothing in it lets a worker run unencrypted (DESIGN §8)."""
    environment: dict[str, str] = services["worker"]["environment"]

    required = re.fullmatch(r"\$\{SIMS_CODEC_KEYS:\?(.+)\}", environment["SIMS_CODEC_KEYS"])
    assert required, environment["SIMS_CODEC_KEYS"]
    assert "sims_support.security.codec new-key" in required.group(1)  # says how to make one
    assert "SIMS_ALLOW_PLAINTEXT" not in environment
    assert environment["SIMS_ACCEPT_PLAINTEXT"] == "${SIMS_ACCEPT_PLAINTEXT:-false}"
