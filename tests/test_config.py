"""Settings: defaults for development, and no default secret outside it."""

from pathlib import Path

import pytest
from pydantic import ValidationError

from auditor.config import Settings


def test_the_database_defaults_to_sqlite_in_the_data_dir(monkeypatch):
    monkeypatch.delenv("AUDITOR_DATABASE_URL", raising=False)
    settings = Settings(data_dir=Path("/srv/auditor"))
    assert settings.database_url == "sqlite:////srv/auditor/auditor.db"


@pytest.mark.parametrize("secret", [None, "development-only-secret-change-me", "short", " " * 32, "x" * 40])
def test_production_refuses_a_default_or_weak_secret(monkeypatch, secret):
    monkeypatch.delenv("AUDITOR_SECRET_KEY", raising=False)
    kwargs = {"env": "production"} | ({"secret_key": secret} if secret else {})
    with pytest.raises(ValidationError, match="AUDITOR_SECRET_KEY"):
        Settings(**kwargs)


# secrets.token_urlsafe(48) and token_hex(32) as printed once (parameters must be the same in every xdist worker), and a long passphrase
@pytest.mark.parametrize(
    "secret",
    [
        "p3Wq9rKx2LmZ8vT1nY6bHc4dJf7gS0aE5uIoPlKjQwErTyUiOzXcVbNm1A2s3D4f",
        "9f2c1e7a4b8d3065c1f9e2a7b4d80365fc1e9a2b7d4c8036f5e1a9c2b7d4e803",
        "Tablet-Kælder-7 Pumpehus; 19 grå nøgler & 4 katte",
    ],
    ids=["token_urlsafe", "token_hex", "passphrase"],
)
def test_production_accepts_a_real_secret(secret):
    assert Settings(env="production", secret_key=secret).env == "production"
