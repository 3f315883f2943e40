"""Settings from environment variables (prefix SIMS_) and `.env` (DESIGN §10).

The README's configuration table lists every field; `tests/unit/test_cli_settings.py`
keeps the two in step.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

from pydantic import BeforeValidator, Field, SecretStr, ValidationError, model_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from domain.calendar import SUBDIVISIONS
from workflows.contract import TASK_QUEUE  # defined once, there; importable from here too

if TYPE_CHECKING:
    # Imported when first read: the policy (and the calendar's rules) are the worker's and
    # the report's, and cryptography only a process with keys pays for.
    from domain.calendar import WorkingCalendar
    from domain.policy import SupportPolicy
    from sims_support.security.codec import Keyring


def _weekdays(value: object) -> object:
    """`0,1,2,3,4` (Monday is 0) or a JSON list: both read naturally in an env file."""
    if isinstance(value, str):
        text = value.strip()
        return json.loads(text) if text.startswith("[") else [p for p in text.split(",") if p]
    return value


Weekdays = Annotated[tuple[Annotated[int, Field(ge=0, le=6)], ...], NoDecode]
Port = Annotated[int, Field(ge=1, le=65535)]


def load_policy(toml_file: Path | None = None) -> SupportPolicy:
    """The charter's defaults, overridden by the TOML file, overridden by `SIMS_POLICY_*`
    variables (nested with `__`). Only the worker reads it; a case carries its copy."""
    from domain.policy import SupportPolicy

    class PolicySettings(BaseSettings, SupportPolicy):
        model_config = SettingsConfigDict(
            frozen=True,
            extra="forbid",
            env_prefix="SIMS_POLICY_",
            env_nested_delimiter="__",
            nested_model_default_partial_update=True,
        )

        @classmethod
        def settings_customise_sources(
            cls,
            settings_cls: type[BaseSettings],
            init_settings: PydanticBaseSettingsSource,
            env_settings: PydanticBaseSettingsSource,
            dotenv_settings: PydanticBaseSettingsSource,
            file_secret_settings: PydanticBaseSettingsSource,
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            # Later sources lose: env beats the file, the file beats the defaults.
            toml = TomlConfigSettingsSource(settings_cls, toml_file)
            return (init_settings, env_settings, toml)

    return SupportPolicy.model_validate(PolicySettings().model_dump())


class Settings(BaseSettings):
    # An empty variable (SIMS_POLICY_FILE=) means "not set", as compose files often pass.
    model_config = SettingsConfigDict(
        env_prefix="SIMS_", env_file=".env", extra="ignore", env_ignore_empty=True
    )

    # Where Temporal is: a cluster, Temporal Cloud, or the dev server of `worker.py --dev`.
    temporal_address: str = "localhost:7233"
    temporal_namespace: str = "default"
    temporal_tls: bool = False
    temporal_tls_cert: Path | None = None
    temporal_tls_key: Path | None = None
    temporal_tls_ca: Path | None = None
    temporal_tls_server_name: str | None = None
    temporal_api_key: SecretStr | None = None
    connect_timeout: float = Field(10.0, gt=0)
    task_queue: str = TASK_QUEUE
    # The embedded dev server (`python worker.py --dev`); its database is data_dir/temporal.db.
    dev_port: Port = 7233
    dev_ui_port: Port = 8233
    policy_file: Path | None = None
    webhook_url: str | None = None
    webhook_secret: SecretStr = SecretStr("change-me")
    data_dir: Path = Path(".data")
    # The KPI ledger, any SQLAlchemy URL; unset: a SQLite file, data_dir/ledger.db.
    ledger_url: str = ""
    # The support desk's calendar: hours in Europe/London time, and which days are open.
    subdivision: str = Field("ENG", pattern="^(" + "|".join(SUBDIVISIONS) + ")$")
    support_opens: dt.time = dt.time(8, 30)
    support_closes: dt.time = dt.time(17, 0)
    support_weekdays: Annotated[Weekdays, BeforeValidator(_weekdays)] = (0, 1, 2, 3, 4)
    bank_holidays: bool = True
    # Payload encryption (DESIGN §8): "keyid:base64key,..."; the first key encrypts.
    codec_keys: SecretStr | None = None
    # The codec server the Web UI decodes through: its bearer token, port, allowed origins.
    codec_token: SecretStr | None = None
    codec_port: Port = 8234
    codec_origins: str = "http://localhost:8233"
    # Prometheus metrics of the worker (the SDK's and the product's), off unless a port.
    metrics_port: Port | None = None
    metrics_host: str = "127.0.0.1"
    # With keys, the worker refuses input that arrives unencrypted; this lets it through
    # while cases opened before encryption are still open (their histories are plaintext).
    accept_plaintext: bool = False
    # Outside `--dev`, a worker without codec_keys refuses to start unless this is set.
    allow_plaintext: bool = False
    # Who `sims-case` acts as without `--as`: ROLE:ID[:NAME]. Read (and checked) by the
    # commands that send or read, so a bad value never stops a worker or a report.
    actor: str | None = None
    # The HTTP gateway (DESIGN §14): where `sims-gateway` listens, and how long a request
    # waits for a worker before it is answered 503.
    gateway_host: str = "127.0.0.1"
    gateway_port: Port = 8000
    gateway_wait: float = Field(30.0, gt=0, le=300)
    # Prometheus metrics of the gateway (its requests, its client's), off unless a port: its
    # own, as the worker's process holds metrics_port; on metrics_host too.
    gateway_metrics_port: Port | None = None

    @model_validator(mode="after")
    def _coherent(self) -> Settings:
        if (self.temporal_tls_cert is None) != (self.temporal_tls_key is None):
            raise ValueError(
                "temporal_tls_cert and temporal_tls_key go together (mTLS): set both or neither"
            )
        if self.support_closes <= self.support_opens:
            raise ValueError(
                f"support_closes ({self.support_closes}) must be after "
                f"support_opens ({self.support_opens})"
            )
        if self.policy_file is not None and not self.policy_file.is_file():
            raise ValueError(f"policy_file: {self.policy_file} is not a file")
        if not self.support_weekdays:
            raise ValueError("support_weekdays: name at least one open day (Monday is 0)")
        if self.codec_keys is not None:
            from sims_support.security.codec import Keyring

            Keyring.parse(self.codec_keys.get_secret_value())  # fail at start, not mid-case
        return self

    @model_validator(mode="after")
    def _webhook_usable(self) -> Settings:
        # The secret signs deliveries (DESIGN §8): with no webhook it signs nothing, so the
        # default is refused only once a URL is set. Imported here: httpx comes with it.
        if self.webhook_url:
            from activities.notify import check_settings

            check_settings(self.webhook_url, self.webhook_secret.get_secret_value())
        return self

    @model_validator(mode="after")
    def _ledger_in_data_dir(self) -> Settings:
        if not self.ledger_url:
            self.ledger_url = f"sqlite:///{self.data_dir / 'ledger.db'}"
        return self

    @property
    def uses_tls(self) -> bool:
        """TLS is implied by any certificate and by an API key (Temporal Cloud)."""
        return bool(
            self.temporal_tls
            or self.temporal_tls_ca
            or self.temporal_tls_cert
            or self.temporal_api_key
        )

    @property
    def keyring(self) -> Keyring | None:
        keys = self.codec_keys
        if keys is None:
            return None  # no keys, no cryptography import: every command reads this
        from sims_support.security.codec import Keyring

        return Keyring.parse(keys.get_secret_value())

    @cached_property
    def policy(self) -> SupportPolicy:
        return load_policy(self.policy_file)

    @cached_property
    def calendar(self) -> WorkingCalendar:
        from domain.calendar import WorkingCalendar

        opens, closes, weekdays = self.support_opens, self.support_closes, self.support_weekdays
        if self.bank_holidays:
            return WorkingCalendar.england_and_wales(
                self.subdivision, opens=opens, closes=closes, weekdays=weekdays
            )
        return WorkingCalendar(opens=opens, closes=closes, weekdays=weekdays)


def find_binary(name: str) -> str | None:
    """A binary a pip package ships: on PATH, or beside this interpreter (an unactivated venv)."""
    import os
    import shutil
    import sys

    search = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    return shutil.which(name, path=search)


def one_line(err: ValidationError, names: Mapping[str, str] | None = None) -> str:
    """Every problem in a pydantic error on one line, each naming its field (or its flag)."""
    parts = []
    for problem in err.errors():
        field = ".".join(str(part) for part in problem["loc"])
        field = (names or {}).get(field, field)
        message = problem["msg"].removeprefix("Value error, ")
        parts.append(f"{field}: {message}" if field else message)
    return "; ".join(parts)
