"""Every TASKROOM_* setting, read once from the environment (and a `.env` file)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs
from dotenv import load_dotenv

__all__ = ["Failpoints", "Settings"]


def _data_dir(env: dict[str, str]) -> Path:
    raw = env.get("TASKROOM_DATA_DIR")
    return Path(raw) if raw else Path(platformdirs.user_data_dir("taskroom", appauthor=False))


def _secret_key(env: dict[str, str], data_dir: Path) -> str:
    """The JWT key: from the environment, else generated once into the data dir (0600)."""
    if key := env.get("TASKROOM_SECRET_KEY"):
        return key
    path = data_dir / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


@dataclass(frozen=True)
class Failpoints:
    """Fault injection for tests (`TASKROOM_FAILPOINTS=name=value;…`); inert when unset."""

    values: dict[str, int] = field(default_factory=dict)

    @classmethod
    def parse(cls, raw: str | None) -> Failpoints:
        values: dict[str, int] = {}
        for part in (raw or "").split(";"):
            name, sep, value = part.partition("=")
            if sep and name.strip():
                values[name.strip()] = int(value.strip())
        return cls(values)

    def get(self, name: str, default: int = 0) -> int:
        return self.values.get(name, default)


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    redis_url: str | None
    secret_key: str
    export_dir: Path
    export_ttl_hours: float = 24.0
    webhook_allow_private: bool = False
    failpoints: Failpoints = field(default_factory=Failpoints)
    token_ttl_seconds: int = 12 * 3600
    max_body_bytes: int = 1024 * 1024
    register_limit: int = 20  # registrations per address an hour; 0 = no limit
    metrics: bool = False  # Prometheus metrics at /metrics (contract §11)
    smtp_url: str | None = None  # smtp://host:port or smtps://user:pass@host:port (contract §8)
    mail_from: str | None = None  # the From of notification email; both set = email on

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, *, dotenv: bool = True) -> Settings:
        if env is None:
            if dotenv:
                load_dotenv(override=False)
            env = dict(os.environ)
        data_dir = _data_dir(env)
        database_url = env.get("TASKROOM_DATABASE_URL") or (
            f"sqlite+aiosqlite:///{data_dir / 'taskroom.db'}"
        )
        if database_url.startswith("sqlite"):
            data_dir.mkdir(parents=True, exist_ok=True)
        return cls(
            data_dir=data_dir,
            database_url=database_url,
            redis_url=env.get("TASKROOM_REDIS_URL") or None,
            secret_key=_secret_key(env, data_dir),
            export_dir=Path(env.get("TASKROOM_EXPORT_DIR") or data_dir / "exports"),
            export_ttl_hours=float(env.get("TASKROOM_EXPORT_TTL_HOURS") or 24),
            webhook_allow_private=env.get("TASKROOM_WEBHOOK_ALLOW_PRIVATE") == "1",
            failpoints=Failpoints.parse(env.get("TASKROOM_FAILPOINTS")),
            token_ttl_seconds=int(env.get("TASKROOM_TOKEN_TTL_SECONDS") or 12 * 3600),
            register_limit=int(env.get("TASKROOM_REGISTER_LIMIT") or 20),
            metrics=env.get("TASKROOM_METRICS") == "1",
            smtp_url=env.get("TASKROOM_SMTP_URL") or None,
            mail_from=env.get("TASKROOM_MAIL_FROM") or None,
        )

    @property
    def email_on(self) -> bool:
        return bool(self.smtp_url and self.mail_from)
