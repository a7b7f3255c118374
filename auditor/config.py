"""Settings, read from the environment with the AUDITOR_ prefix (every one is documented in README)."""

from __future__ import annotations

import ipaddress
import math
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from auditor.db import MAX_OVERFLOW, POOL_SIZE, POOL_TIMEOUT_S, make_engine
from auditor.vocabulary import Language

DEVELOPMENT_SECRET = "development-only-secret-change-me"
MIN_SECRET_BITS = 128


def estimated_bits(secret: str) -> float:
    """A secret's entropy as its length times the Shannon entropy of its characters: an upper bound for a human
    choice, but it tells 32 spaces or one character repeated (0 bits) from `secrets.token_urlsafe(48)` (~340 bits)."""
    counts = Counter(secret)
    return -sum(n * math.log2(n / len(secret)) for n in counts.values())


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AUDITOR_", env_file=".env", extra="ignore")

    env: Literal["development", "production"] = "development"
    secret_key: str = DEVELOPMENT_SECRET
    data_dir: Path = Path("data")
    database_url: str = ""
    checklists_dir: Path | None = None
    default_language: Language = Language.DA
    session_hours: float = 12.0
    photo_max_mb: float = 20.0
    keep_photo_originals: bool = False
    # The database pool, per process, and the threads that run requests: see README, "Many requests at once".
    db_pool_size: int = Field(default=POOL_SIZE, ge=1)
    db_max_overflow: int = Field(default=MAX_OVERFLOW, ge=0)
    db_pool_timeout: float = Field(default=POOL_TIMEOUT_S, gt=0)
    worker_threads: int = Field(default=40, ge=1)
    # Word files: processes of their own per server process (0: in the request's thread), and downloads that may
    # wait for one (README, "Many requests at once").
    report_processes: int = Field(default=1, ge=0)
    report_queue: int = Field(default=40, ge=0)
    # Days from opening to each deadline, per grade; "next_audit": due at the next audit of the organisation.
    # "escalate": when an open case is flagged for escalation (a minor NC not closed by the next audit, REVIEW 5.4):
    # "next_audit" once the audit that verifies it has ended, or a number of days from opening; no key: never.
    deadline_policy: dict[str, dict[str, int | Literal["next_audit"]]] = {
        "major_nc": {"correction": 30, "plan": 30, "verification": 90},
        "minor_nc": {"plan": 30, "verification": "next_audit", "escalate": "next_audit"},
        "nc": {"plan": 30, "verification": "next_audit", "escalate": "next_audit"},
        "observation": {},
        "ofi": {},
    }

    # The certification body the starter templates name (ISO/IEC 17021-1 9.4.8 a): README, "The certification body".
    cb_name: str = ""
    cb_address: str = ""
    cb_accreditation: str = ""  # e.g. "DANAK reg. nr. 1234"
    cb_logo: Path | None = None  # a PNG or JPEG file
    # The extra audit time a Danish recognised certificate requires on the material work environment, in per cent of
    # the IAF MD 5 audit time: README, "Danish recognised certificate" names the source.
    dk_extra_time_percent: float = Field(default=5.0, ge=0, le=100)

    @model_validator(mode="after")
    def _complete(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{self.data_dir / 'auditor.db'}"
        if self.env != "development" and (
            self.secret_key == DEVELOPMENT_SECRET
            or len(self.secret_key) < 32
            or estimated_bits(self.secret_key) < MIN_SECRET_BITS
        ):
            raise ValueError(
                f"AUDITOR_SECRET_KEY must be set to a random value of at least 32 characters and {MIN_SECRET_BITS} bits outside development "
                "(for example: python -c 'import secrets; print(secrets.token_urlsafe(48))')"
            )
        return self

    def make_engine(self):
        """The engine these settings describe (database and pool)."""
        return make_engine(
            self.database_url,
            pool_size=self.db_pool_size,
            max_overflow=self.db_max_overflow,
            pool_timeout=self.db_pool_timeout,
        )

    @property
    def session_lifetime(self) -> timedelta:
        return timedelta(hours=self.session_hours)

    def checklist_paths(self) -> list[Path]:
        from auditor.paths import CHECKLISTS_DIR

        return [CHECKLISTS_DIR, *([self.checklists_dir] if self.checklists_dir else [])]

    # Running it on servers: README, "Run in production".
    workers: int = 1
    log_format: Literal["json", "text"] | None = None
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    forwarded_allow_ips: str = "127.0.0.1,::1"
    metrics_allow_ips: str = "127.0.0.1,::1"
    graceful_timeout: float = 30.0
    # E-mail reminders (services/reminders.py): sent by `auditor reminders run`, or by the server itself.
    public_url: str = "http://127.0.0.1:8000"  # the address users open, for links in e-mails
    smtp_host: str = ""  # empty: no e-mail is sent (a run says so and fails)
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_security: Literal["starttls", "tls", "none"] = "starttls"
    smtp_from: str = "auditor <auditor@localhost>"
    smtp_timeout: float = Field(default=20.0, gt=0)
    reminders_in_server: bool = False  # True: each server process runs the reminders itself, every hour
    reminders_every_minutes: float = Field(default=60.0, gt=0)

    @property
    def json_logs(self) -> bool:
        """JSON lines unless told otherwise; plain text by default in development."""
        return self.log_format == "json" if self.log_format else self.env == "production"

    @field_validator("workers")
    @classmethod
    def _at_least_one(cls, value: int) -> int:
        if value < 1:
            raise ValueError("must be 1 or more")
        return value

    @field_validator("forwarded_allow_ips", "metrics_allow_ips")
    @classmethod
    def _addresses(cls, value: str) -> str:
        for part in filter(None, (p.strip() for p in value.split(","))):
            if part == "*":  # everyone
                continue
            try:
                ipaddress.ip_network(part, strict=False)
            except ValueError:
                raise ValueError(
                    f"{part!r} is not an IP address or network; give them comma-separated, e.g. 10.0.0.5,10.1.0.0/16"
                ) from None
        return value
