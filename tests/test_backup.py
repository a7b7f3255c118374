"""A database backup is the whole backup: the files (photos, attachments) live in the database."""

import io
import shutil
import subprocess

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy.engine import make_url

from auditor.app import create_app
from auditor.config import Settings
from auditor.db import make_engine, unit_of_work, upgrade
from auditor.services import photos
from tests.conftest import seed_audit


def libpq(url: str) -> str:
    """The URL as pg_dump and pg_restore read it (without SQLAlchemy's driver name)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def test_a_photo_survives_pg_dump_and_restore_onto_a_machine_with_an_empty_data_folder(
    database_url, fresh_database, library, tmp_path
):
    if not database_url.startswith("postgresql"):
        pytest.skip("pg_dump backs up PostgreSQL: set AUDITOR_TEST_DATABASE_URL to a PostgreSQL database to run this")
    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        pytest.skip("pg_dump and pg_restore are not installed")
    source, restored = fresh_database("backup"), fresh_database("restored")
    upgrade(source)
    engine = make_engine(source)
    picture = io.BytesIO()
    Image.new("RGB", (640, 480), (40, 90, 160)).save(picture, "JPEG")
    with unit_of_work(engine) as session:
        audit, lead, token = seed_audit(session, library)
        photo = photos.add_photo(
            session=session,
            actor=lead,
            audit=audit,
            content=picture.getvalue(),
            caption="Opslagstavle",
            item_id=next(library.get("iso45003-clauses").checklist.items()).id,
        )
        expected = photos.read_image(session=session, photo=photo)
    engine.dispose()

    dump = tmp_path / "auditor.dump"
    subprocess.run(["pg_dump", "--format=custom", f"--file={dump}", libpq(source)], check=True, capture_output=True)
    subprocess.run(
        ["pg_restore", "--no-owner", f"--dbname={libpq(restored)}", str(dump)], check=True, capture_output=True
    )

    app = create_app(
        Settings(database_url=restored, data_dir=tmp_path / "new-machine", report_processes=0), library=library
    )
    with TestClient(app, raise_server_exceptions=False, headers={"Authorization": f"Bearer {token}"}) as client:
        response = client.get(f"/api/v1/audits/{audit.id}/photos/{photo.id}.jpg")
    app.state.engine.dispose()
    assert response.status_code == 200 and response.content == expected
    assert not (tmp_path / "new-machine" / "photos").exists()
