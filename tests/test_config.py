"""Settings: defaults for development, and no default secret outside it."""

from pathlib import Path

import pytest
from pydantic import ValidationError

from auditor.config import Settings


def test_the_database_defaults_to_sqlite_in_the_data_dir(monkeypatch):
    monkeypatch.delenv("AUDITOR_DATABASE_URL", raising=False)
    settings = Settings(data_dir=Path("/srv/auditor"))
    assert settings.database_url == "sqlite:////srv/auditor/auditor.db"


@pytest.mark.parametrize("secret", [None, "development-only-secret-change-me", "short"])
def test_production_refuses_a_default_or_weak_secret(monkeypatch, secret):
    monkeypatch.delenv("AUDITOR_SECRET_KEY", raising=False)
    kwargs = {"env": "production"} | ({"secret_key": secret} if secret else {})
    with pytest.raises(ValidationError, match="AUDITOR_SECRET_KEY"):
        Settings(**kwargs)


def test_production_accepts_a_real_secret():
    assert Settings(env="production", secret_key="x" * 40).env == "production"
