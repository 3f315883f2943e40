"""Settings from environment variables (prefix SIMS_) and `.env` (DESIGN §10)."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.calendar import SUBDIVISIONS, WorkingCalendar
from domain.policy import SupportPolicy


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SIMS_", env_file=".env", extra="ignore")

    temporal_address: str = "localhost:7233"
    temporal_namespace: str = "default"
    temporal_tls_cert: Path | None = None
    temporal_tls_key: Path | None = None
    temporal_tls_ca: Path | None = None
    temporal_api_key: SecretStr | None = None
    task_queue: str = "sims-support"
    policy_file: Path | None = None
    webhook_url: str | None = None
    webhook_secret: SecretStr = SecretStr("change-me")
    data_dir: Path = Path(".data")
    subdivision: str = Field("ENG", pattern="^(" + "|".join(SUBDIVISIONS) + ")$")
    snapshot_months: int = Field(24, ge=3, le=120)

    @cached_property
    def policy(self) -> SupportPolicy:
        return SupportPolicy.load(self.policy_file)

    @cached_property
    def calendar(self) -> WorkingCalendar:
        return WorkingCalendar.england_and_wales(self.subdivision)


def find_binary(name: str) -> str | None:
    """A binary a pip package ships: on PATH, or beside this interpreter (an unactivated venv)."""
    import os
    import shutil
    import sys

    search = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    return shutil.which(name, path=search)
