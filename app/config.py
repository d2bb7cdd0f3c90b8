"""Every setting in one place, read from the environment (or `.env`)."""

import ipaddress
import os
import re
import secrets
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_DIR = Path(__file__).resolve().parent.parent
INSTANCE_DIR = PROJECT_DIR / "instance"

# Values people copy from examples; never acceptable as a production key, even padded out.
PLACEHOLDER_KEYS = {
    "changeme",
    "change-me",
    "secret",
    "secret-key",
    "your-secret-key",
    "dev",
    "test",
}
PLACEHOLDER_MARKERS = (
    "changeme",
    "changethis",
    "secretkey",
    "yoursecret",
    "placeholder",
    "example",
)
MIN_SECRET_BYTES = 32
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


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
    # A request's line and headers: at most this many bytes, fully arrived within this many
    # seconds (uvicorn itself bounds neither; see app/serving.py).
    max_header_bytes: int = Field(default=32_768, ge=4096, le=1_048_576)
    head_timeout: float = Field(default=10.0, gt=0, le=300)

    # Empty means "any host"; set it in production (e.g. "agora.example,www.agora.example").
    allowed_hosts: Annotated[list[str], NoDecode] = []
    # Peers (addresses or networks such as 10.0.0.0/8) whose X-Forwarded-For we believe when we
    # pick the client IP for throttling. Empty means: believe no one, use the peer address.
    trusted_proxies: Annotated[list[str], NoDecode] = ["127.0.0.1", "::1"]
    # Other origins whose scripts may call /api (e.g. "https://app.example"), or "*". Empty:
    # same origin only. Safe to open: the API reads bearer tokens, never cookies.
    cors_origins: Annotated[list[str], NoDecode] = []

    # Who may start a new tag by using it on a post: any member, or moderators only (members
    # then choose among the tags that exist).
    tag_creation: Literal["members", "moderators"] = "members"

    login_max_failures_account: int = 5
    login_max_failures_ip: int = 20
    login_lock_seconds: int = 60
    login_lock_max_seconds: int = 15 * 60

    # Mail. Without SMTP_HOST, development writes each message to instance/mail/ and production
    # keeps it queued (never logged: a reset link in a log is a key to an account).
    smtp_host: str = ""
    smtp_port: int | None = Field(default=None, ge=1, le=65535)  # default: by SMTP_SECURITY
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_security: Literal["starttls", "tls", "none"] = "starttls"
    mail_from: str = ""  # default: Agora <noreply@the SITE_URL host>
    # The absolute base of every link Agora puts in mail; never taken from a request's Host.
    site_url: str = ""
    email_verification: Literal["optional", "required"] = "optional"
    verify_token_hours: float = Field(default=48.0, gt=0, le=24 * 30)
    reset_token_minutes: int = Field(default=60, ge=1, le=24 * 60)
    registrations_per_ip_hour: int = Field(default=10, ge=1, le=1_000_000)
    # Reports (app/services/reports.py): how many one member may send an hour, and how many
    # distinct verified members older than NEW_ACCOUNT_HOURS set an item aside for review.
    reports_per_hour: int = Field(default=10, ge=1, le=1_000_000)
    reports_to_pend: int = Field(default=5, ge=1, le=1_000_000)
    new_account_hours: float = Field(default=24.0, ge=0, le=24 * 365)
    # What an account younger than NEW_ACCOUNT_HOURS may publish in any hour (app/services/
    # newcomers.py). Consoles (`seed-demo`, `create-admin`) act as trusted and have no limits.
    new_account_posts_per_hour: int = Field(default=5, ge=1, le=1_000_000)
    new_account_comments_per_hour: int = Field(default=20, ge=1, le=1_000_000)
    # Who may sign up: anyone, only people with a member's invite link, or no one.
    registration: Literal["open", "invite", "closed"] = "open"
    # Invite links one member may create, used or not (revoking an unused one gives it back).
    invites_per_member: int = Field(default=5, ge=0, le=1_000_000)
    # Set by `agora run` / `agora serve`: their processes deliver mail (app/services/outbox.py).
    mail_worker: bool = False

    _split = field_validator("allowed_hosts", "trusted_proxies", "cors_origins", mode="before")(
        _split_list
    )

    @field_validator("trusted_proxies")
    @classmethod
    def _check_proxies(cls, value: list[str]) -> list[str]:
        for item in value:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(f"{item!r} is not an IP address or network") from None
        return value

    @field_validator("cors_origins")
    @classmethod
    def _check_origins(cls, value: list[str]) -> list[str]:
        for item in value:
            if item != "*" and not re.fullmatch(r"https?://[^/?#\s]+", item):
                raise ValueError(f"{item!r} is not an origin such as https://app.example or *")
        return [item.lower() for item in value]

    @model_validator(mode="after")
    def _check_secret(self) -> "Settings":
        if self.env == "production":
            key = self.secret_key
            if not key:
                raise ConfigError(
                    "SECRET_KEY is not set. Generate one with: "
                    "python -c 'import secrets; print(secrets.token_urlsafe(48))'"
                )
            if _looks_like_placeholder(key):
                raise ConfigError(
                    "SECRET_KEY is a placeholder value copied from an example; "
                    "generate a random one."
                )
            if len(key.encode()) < MIN_SECRET_BYTES:
                raise ConfigError(
                    f"SECRET_KEY is too short: it needs at least {MIN_SECRET_BYTES} random bytes."
                )
            if len(set(key)) < 8:
                raise ConfigError(
                    "SECRET_KEY is not random: it repeats a handful of characters. "
                    "Generate a random one."
                )
            if self.bcrypt_rounds < 10:
                raise ConfigError("BCRYPT_ROUNDS must be at least 10 in production.")
            if not self.site_url:
                raise ConfigError(
                    "SITE_URL is not set: links in mail need the site's public address, "
                    "for example SITE_URL=https://agora.example"
                )
        return self

    @field_validator("site_url")
    @classmethod
    def _check_site_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if value and not re.fullmatch(r"https?://[A-Za-z0-9.\-\[\]:]+(/[^\s?#]*)?", value):
            raise ValueError("must be an absolute http(s) URL such as https://agora.example")
        return value

    @property
    def base_url(self) -> str:
        """SITE_URL, or in development the address `agora run` listens on."""
        return self.site_url or f"http://{self.host}:{self.port}"

    @property
    def mail_sender(self) -> str:
        host = urlsplit(self.base_url).hostname or "localhost"
        return self.mail_from or f"{self.site_name} <noreply@{host}>"

    @property
    def smtp_port_effective(self) -> int:
        return self.smtp_port or {"starttls": 587, "tls": 465, "none": 25}[self.smtp_security]

    @property
    def mail_dir(self) -> Path:
        """Where development writes the mail it cannot send (no SMTP_HOST)."""
        return self.instance_dir / "mail"

    @cached_property
    def signing_key(self) -> str:
        """The key for sessions and CSRF tokens (generated once in dev, kept in instance/)."""
        if self.secret_key:
            return self.secret_key
        return _instance_secret(self.instance_dir)

    @cached_property
    def trusted_networks(self) -> tuple[IPNetwork, ...]:
        return tuple(ipaddress.ip_network(item, strict=False) for item in self.trusted_proxies)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def load_settings() -> Settings:
    """Settings from the environment; any mistake becomes a ConfigError with a one-line reason."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            "{}: {}".format(
                ".".join(str(part) for part in error["loc"]).upper() or "settings",
                error["msg"].removeprefix("Value error, "),
            )
            for error in exc.errors()
        )
        raise ConfigError(f"invalid setting ({problems})") from None


def _looks_like_placeholder(key: str) -> bool:
    """True for keys copied from examples ("changeme", "your-secret-key-here", ...)."""
    squashed = "".join(ch for ch in key.lower() if ch.isalnum())
    return key.lower() in PLACEHOLDER_KEYS or any(m in squashed for m in PLACEHOLDER_MARKERS)


def private_dir(folder: Path) -> Path:
    """`folder` (in instance/), created if missing, readable by its owner only."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(folder, 0o700)  # also when an older release left it readable
    return folder


def write_private(path: Path, data: bytes) -> None:
    """Write a new file readable by its owner only (mode 0600) in a private folder."""
    private_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.chmod(path, 0o600)


def _instance_secret(instance_dir: Path) -> str:
    """Read the generated development key, creating it (mode 0600) on first use."""
    path = instance_dir / "secret_key"
    private_dir(instance_dir)
    try:
        key = path.read_text().strip()
        if len(key) >= MIN_SECRET_BYTES:
            return key
    except FileNotFoundError:
        pass
    key = secrets.token_urlsafe(48)
    write_private(path, (key + "\n").encode())
    return key
