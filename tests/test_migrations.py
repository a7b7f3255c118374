"""The Alembic migrations build exactly the schema the models describe."""

import hashlib
import logging
from contextlib import contextmanager
from datetime import date

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


@contextmanager
def todays_columns(engine):
    """Seed rows with today's models into a database at an old revision: while the block runs, the tables it has
    also have the columns added since (nullable), and after it those columns are dropped again, so the upgrade
    that follows finds the old schema with the rows in it."""
    added = []
    with engine.begin() as connection:
        inspector = sa.inspect(connection)
        for table in SQLModel.metadata.sorted_tables:
            if not inspector.has_table(table.name):
                continue
            present = {column["name"] for column in inspector.get_columns(table.name)}
            for column in table.columns:
                if column.name not in present:
                    kind = column.type.compile(dialect=engine.dialect)
                    connection.execute(sa.text(f'ALTER TABLE "{table.name}" ADD COLUMN "{column.name}" {kind}'))
                    added.append((table.name, column.name))
    yield
    with engine.begin() as connection:
        for table_name, column_name in added:
            connection.execute(sa.text(f'ALTER TABLE "{table_name}" DROP COLUMN "{column_name}"'))


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
    with todays_columns(engine), unit_of_work(engine) as session:
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
    with todays_columns(engine), Session(engine, expire_on_commit=False) as session:
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


def test_the_upgrade_moves_the_certificate_facts_to_the_production_unit_and_tells_minor_from_major(
    fresh_database, library
):
    url = fresh_database("report-17021")
    upgrade(url, "0011")
    engine = make_engine(url)
    with todays_columns(engine), Session(engine, expire_on_commit=False) as session:
        audit, lead, _ = seed_audit(session, library)
        other, _, _ = seed_audit_again(session, library, lead)
        session.add(Finding(audit_id=other.id, number=1, kind="major_nc", statement="Ingen APV"))
        session.commit()
        ids = (audit.id, other.id)
    with engine.begin() as connection:  # the columns 0013 moves or changes, as 0011 had them
        connection.execute(
            sa.text(
                "UPDATE audit SET recommendation = 'certify_after_actions', material_hours = 6.5, "
                "significant_problems = 'Ingen fundet.'"
            )
        )
    engine.dispose()

    upgrade(url)
    engine = make_engine(url)
    with engine.connect() as connection:
        recommendations = dict(connection.execute(sa.text("SELECT id, recommendation FROM audit")).all())
        units = connection.execute(
            sa.text("SELECT audit_id, material_hours, significant_problems FROM auditsite ORDER BY audit_id")
        ).all()
    assert recommendations == {ids[0]: "certify_after_minor_plans", ids[1]: "certify_after_major_verified"}
    assert [tuple(unit) for unit in units if unit[0] == ids[1]] == [(ids[1], 6.5, "Ingen fundet.")]
    engine.dispose()


def seed_audit_again(session, library, lead):
    """A second audit in the database seed_audit made, led by the same lead auditor."""
    from auditor.schemas import AuditIn, OrganisationIn, SiteIn
    from auditor.services import audits, organisations

    organisation = organisations.create_organisation(
        session=session, actor=None, data=OrganisationIn(name="Anden A/S", sites=[SiteIn(name="Vejle")])
    )
    audit = audits.create_audit(
        session=session,
        actor=lead,
        library=library,
        data=AuditIn(
            title="Stage 2",
            audit_type="stage2",
            organisation_id=organisation.id,
            site_ids=[s.id for s in organisations.sites_of(session=session, organisation_id=organisation.id)],
            start_date=date(2026, 12, 1),
            end_date=date(2026, 12, 2),
            lead_auditor_id=lead.id,
            checklists=["iso45003-clauses"],
        ),
    )
    return audit, lead, None
