"""The Alembic migrations build exactly the schema the models describe."""

import hashlib
import logging

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi.testclient import TestClient
from sqlmodel import Session, SQLModel

import auditor.models  # noqa: F401
from auditor.app import create_app
from auditor.config import Settings
from auditor.db import alembic_config, make_engine, unit_of_work, upgrade
from auditor.models import Blob, Case, CaseAttachment, Finding, utcnow
from tests.conftest import seed_audit


def test_migrations_match_the_models(engine):
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


def test_the_database_is_at_the_newest_revision(engine):
    from auditor.db import schema_state

    current, head = schema_state(engine)
    assert current == head


def test_the_upgrade_moves_the_files_of_the_data_folder_into_the_database(
    fresh_database, library, tmp_path, monkeypatch, caplog
):
    url = fresh_database("upgrade")
    data_dir = tmp_path / "data"
    monkeypatch.setenv("AUDITOR_DATA_DIR", str(data_dir))  # the upgrade finds the files where the app kept them
    upgrade(url, "0005")
    files = {
        "photo": b"\xff\xd8\xff photo",
        "thumbnail": b"\xff\xd8\xff thumbnail",
        "original": b"\xff\xd8\xff original",
        "attachment": b"%PDF-1.4 x",
    }
    digest = {name: hashlib.sha256(content).hexdigest() for name, content in files.items()}
    (data_dir / "photos" / "originals").mkdir(parents=True)
    (data_dir / "attachments").mkdir()
    (data_dir / "photos" / f"{digest['photo']}.jpg").write_bytes(files["photo"])
    (data_dir / "photos" / f"{digest['photo']}-thumb.jpg").write_bytes(files["thumbnail"])
    (data_dir / "photos" / "originals" / digest["original"]).write_bytes(files["original"])
    (data_dir / "attachments" / digest["attachment"]).write_bytes(files["attachment"])
    engine = make_engine(url)
    with unit_of_work(engine) as session:
        audit, lead, token = seed_audit(session, library)
        # rows as 0005 knew them (today's services number them with tables that come later)
        case = Case(
            organisation_id=audit.organisation_id,
            number=1,
            audit_id=audit.id,
            grade="minor_nc",
            statement="Vikarer er ikke med i APV'en",
        )
        session.add(case)
        session.flush()
        attachment = CaseAttachment(
            case_id=case.id,
            filename="apv.pdf",
            content_type="application/pdf",
            size=len(files["attachment"]),
            sha256=digest["attachment"],
            uploaded_by_id=lead.id,
        )
        session.add(attachment)
        session.commit()
        photo = sa.table(
            "photo",
            *map(
                sa.column,
                (
                    "id",
                    "audit_id",
                    "item_id",
                    "caption",
                    "confidential",
                    "sha256",
                    "width",
                    "height",
                    "size",
                    "original_sha256",
                    "created_at",
                ),
            ),
        )
        kept, lost = (
            session.execute(
                photo.insert()
                .values(
                    audit_id=audit.id,
                    item_id=next(library.get("iso45003-clauses").checklist.items()).id,
                    caption="",
                    confidential=False,
                    sha256=sha256,
                    width=10,
                    height=10,
                    size=len(files["photo"]),
                    original_sha256=original,
                    created_at=utcnow(),
                )
                .returning(photo.c.id)
            ).scalar()
            for sha256, original in ((digest["photo"], digest["original"]), ("0" * 64, None))
        )
        session.commit()
    engine.dispose()

    with caplog.at_level(logging.WARNING, logger="auditor"):
        upgrade(url)
    assert f"the file of photo {lost} cannot be read" in caplog.text

    app = create_app(Settings(database_url=url, data_dir=tmp_path / "another-machine"), library=library)
    with TestClient(app, raise_server_exceptions=False, headers={"Authorization": f"Bearer {token}"}) as client:
        base = f"/api/v1/audits/{audit.id}/photos"
        assert client.get(f"{base}/{kept}.jpg").content == files["photo"]
        assert client.get(f"{base}/{kept}/thumbnail.jpg").content == files["thumbnail"]
        assert client.get(f"/api/v1/cases/{case.id}/attachments/{attachment.id}").content == files["attachment"]
        assert client.get(f"{base}/{lost}.jpg").status_code == 404
    with Session(app.state.engine) as session:
        assert session.get(Blob, digest["original"]).content == files["original"]
    app.state.engine.dispose()


def test_the_upgrade_tags_violence_outside_working_hours_as_its_own_bek_factor(fresh_database, library):
    url = fresh_database("bek-tags")
    upgrade(url, ScriptDirectory.from_config(alembic_config(url)).get_revision("0011").down_revision)
    engine = make_engine(url)
    outside, inside = "screening.bek.violence.outside-hours", "screening.bek.violence.assessment"
    with Session(engine, expire_on_commit=False) as session:
        audit, _, _ = seed_audit(session, library)
        rows = []
        for number, item_id in enumerate((outside, inside), start=1):
            tags = {"bek1406": ["violence", "workload"], "hazards": ["social.violence"], "actors": []}
            finding = Finding(
                audit_id=audit.id, number=number, item_id=item_id, kind="minor_nc", statement="Trusler", tags=tags
            )
            session.add(finding)
            session.flush()
            rows += [
                finding,
                Case(
                    organisation_id=audit.organisation_id,
                    number=number,
                    audit_id=audit.id,
                    finding_id=finding.id,
                    item_id=item_id,
                    grade="minor_nc",
                    statement="Trusler",
                    tags=tags,
                ),
            ]
        session.add_all(rows)
        session.commit()
        ids = [(type(row), row.id) for row in rows]
    engine.dispose()

    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as session:
        assert [session.get(model, row_id).tags["bek1406"] for model, row_id in ids] == [
            ["violence_outside_hours", "workload"],
            ["violence_outside_hours", "workload"],
            ["violence", "workload"],
            ["violence", "workload"],
        ]
    engine.dispose()
