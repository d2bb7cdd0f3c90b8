"""Every setting in one place, read from the environment (or `.env`)."""

import os
import secrets
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_DIR = Path(__file__).resolve().parent.parent
INSTANCE_DIR = PROJECT_DIR / "instance"

# Values people copy from examples; never acceptable as a production key.
PLACEHOLDER_KEYS = {
    "changeme",
    "change-me",
    "secret",
    "secret-key",
    "your-secret-key",
    "dev",
    "test",
}
MIN_SECRET_BYTES = 32


class ConfigError(RuntimeError):
    """The settings cannot run the app safely; the message says why."""


def _split_list(value: object) -> object:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


class Settings(BaseSettings):
    """Agora's settings. Environment variables use the upper-case field names."""

    model_config = SettingsConfigDict(
        env_file=PROJECT_DIR / ".env", env_file_encoding="utf-8", extra="ignore"
    )

    env: Literal["development", "production", "test"] = "development"
    site_name: str = "Agora"
    database_url: str = f"sqlite:///{INSTANCE_DIR / 'agora.db'}"
    secret_key: str = ""
    instance_dir: Path = INSTANCE_DIR

    host: str = "127.0.0.1"
    port: int = 8000
    # `agora serve` (production): worker processes, and the proxies whose X-Forwarded-Proto and
    # X-Forwarded-For uvicorn believes (empty: the TRUSTED_PROXIES list).
    web_concurrency: int = Field(default_factory=lambda: os.cpu_count() or 1, ge=1, le=64)
    forwarded_allow_ips: str = ""

    # WAL + synchronous=NORMAL; off only to measure what it buys (the benchmark does).
    sqlite_tuning: bool = True
    bcrypt_rounds: int = Field(default=12, ge=4, le=16)
    session_hours: float = Field(default=8.0, gt=0, le=24 * 30)
    api_token_hours: float = Field(default=1.0, gt=0, le=24 * 30)
    max_body_bytes: int = Field(default=1_000_000, ge=1024)

    # Empty means "any host"; set it in production (e.g. "agora.example,www.agora.example").
    allowed_hosts: Annotated[list[str], NoDecode] = []
    # Peers whose X-Forwarded-For we believe when we pick the client IP for throttling.
    trusted_proxies: Annotated[list[str], NoDecode] = ["127.0.0.1", "::1"]

    login_max_failures_account: int = 5
    login_max_failures_ip: int = 20
    login_lock_seconds: int = 60
    login_lock_max_seconds: int = 15 * 60

    _split = field_validator("allowed_hosts", "trusted_proxies", mode="before")(_split_list)

    @model_validator(mode="after")
    def _check_secret(self) -> "Settings":
        if self.env == "production":
            key = self.secret_key
            if not key:
                raise ConfigError(
                    "SECRET_KEY is not set. Generate one with: "
                    "python -c 'import secrets; print(secrets.token_urlsafe(48))'"
                )
            if key.lower() in PLACEHOLDER_KEYS or len(set(key)) < 8:
                raise ConfigError("SECRET_KEY is a placeholder value; generate a random one.")
            if len(key.encode()) < MIN_SECRET_BYTES:
                raise ConfigError(
                    f"SECRET_KEY is too short: it needs at least {MIN_SECRET_BYTES} random bytes."
                )
            if self.bcrypt_rounds < 10:
                raise ConfigError("BCRYPT_ROUNDS must be at least 10 in production.")
        return self

    @cached_property
    def signing_key(self) -> str:
        """The key for sessions and CSRF tokens (generated once in dev, kept in instance/)."""
        if self.secret_key:
            return self.secret_key
        return _instance_secret(self.instance_dir)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _instance_secret(instance_dir: Path) -> str:
    """Read the generated development key, creating it (mode 0600) on first use."""
    path = instance_dir / "secret_key"
    instance_dir.mkdir(parents=True, exist_ok=True)
    try:
        key = path.read_text().strip()
        if len(key) >= MIN_SECRET_BYTES:
            return key
    except FileNotFoundError:
        pass
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key + "\n")
    os.chmod(path, 0o600)
    return key
