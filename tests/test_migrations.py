"""The Alembic migrations build exactly the schema the models describe."""

import hashlib
import logging
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
    # today's carry-over reads cases with columns 0005 does not have yet; this audit carries nothing over anyway
    monkeypatch.setattr("auditor.services.cases.carry_over", lambda **_: [])
    with unit_of_work(engine) as session:
        audit, lead, token = seed_audit(session, library)
        # rows as 0005 knew them (today's services number them with tables that come later)
        case_id = _insert_case(session.connection(), audit.organisation_id, audit.id, None, 1, {})
        attachment = CaseAttachment(
            case_id=case_id,
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
        assert client.get(f"/api/v1/cases/{case_id}/attachments/{attachment.id}").content == files["attachment"]
        assert client.get(f"{base}/{lost}.jpg").status_code == 404
    with Session(app.state.engine) as session:
        assert session.get(Blob, digest["original"]).content == files["original"]
    app.state.engine.dispose()


def _seed_old_audit(connection, *, sites: int = 1, name: str = "Nordlys") -> tuple[int, int, list[int]]:
    """An organisation with `sites` sites and a surveillance audit of all of them, written with the columns every
    revision has (the models may have more than the revision being upgraded from): (organisation, audit, site ids)."""
    meta = sa.MetaData()
    organisation, site, audit, audit_site = (
        sa.Table(name, meta, autoload_with=connection) for name in ("organisation", "site", "audit", "auditsite")
    )
    now = utcnow()
    organisation_id = connection.execute(
        organisation.insert().values(name=name, created_at=now).returning(organisation.c.id)
    ).scalar_one()
    site_ids = [
        connection.execute(
            site.insert().values(organisation_id=organisation_id, name=f"Site {n}", address="").returning(site.c.id)
        ).scalar_one()
        for n in range(sites)
    ]
    audit_id = connection.execute(
        audit.insert()
        .values(
            title="Overvågningsaudit",
            audit_type="surveillance",
            organisation_id=organisation_id,
            scope="",
            objectives="",
            criteria="",
            start_date=date(2026, 12, 1),
            end_date=date(2026, 12, 2),
            report_language="da",
            status="in_progress",
            item_total=0,
            created_at=now,
            updated_at=now,
        )
        .returning(audit.c.id)
    ).scalar_one()
    connection.execute(audit_site.insert(), [{"audit_id": audit_id, "site_id": i} for i in site_ids])
    return organisation_id, audit_id, site_ids


def _insert_finding(connection, audit_id: int, number: int, item_id: str, tags: dict) -> int:
    finding = sa.Table("finding", sa.MetaData(), autoload_with=connection)
    now = utcnow()
    return connection.execute(
        finding.insert()
        .values(
            audit_id=audit_id,
            number=number,
            item_id=item_id,
            kind="minor_nc",
            clauses=[],
            requirement="",
            statement="Trusler",
            evidence="",
            tags=tags,
            created_at=now,
            updated_at=now,
        )
        .returning(finding.c.id)
    ).scalar_one()


def _insert_case(
    connection,
    organisation_id: int,
    audit_id: int,
    finding_id: int | None,
    number: int,
    tags: dict,
    item_id: str | None = None,
) -> int:
    """A raised case, with the columns the revision has."""
    case = sa.Table("case", sa.MetaData(), autoload_with=connection)
    now = utcnow()
    values = {
        "organisation_id": organisation_id,
        "number": number,
        "source": "audit",
        "audit_id": audit_id,
        "finding_id": finding_id,
        "item_id": item_id,
        "grade": "minor_nc",
        "clauses": [],
        "requirement": "",
        "statement": "Trusler",
        "evidence": "",
        "tags": tags,
        "status": "raised",
        "opened_at": now,
        "correction": "",
        "root_cause": "",
        "plan_return_reason": "",
        "individual_measures_only": False,
        "verification_method": "",
        "updated_at": now,
    }
    return connection.execute(
        case.insert().values({k: v for k, v in values.items() if k in case.c}).returning(case.c.id)
    ).scalar_one()


def test_the_upgrade_tags_violence_outside_working_hours_as_its_own_bek_factor(fresh_database):
    url = fresh_database("bek-tags")
    upgrade(url, ScriptDirectory.from_config(alembic_config(url)).get_revision("0011").down_revision)
    engine = make_engine(url)
    outside, inside = "screening.bek.violence.outside-hours", "screening.bek.violence.assessment"
    with engine.begin() as connection:
        organisation_id, audit_id, _ = _seed_old_audit(connection)
        ids = []
        for number, item_id in enumerate((outside, inside), start=1):
            tags = {"bek1406": ["violence", "workload"], "hazards": ["social.violence"], "actors": []}
            finding_id = _insert_finding(connection, audit_id, number, item_id, tags)
            ids += [
                (Finding, finding_id),
                (Case, _insert_case(connection, organisation_id, audit_id, finding_id, number, tags, item_id)),
            ]
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


def test_the_upgrade_gives_findings_of_a_one_site_audit_that_site_and_keeps_their_tags(fresh_database):
    url = fresh_database("finding-sites")
    upgrade(url, "0011")
    engine = make_engine(url)
    tags = {"bek1406": ["workload", "violence"], "hazards": [], "actors": []}
    with engine.begin() as connection:
        _, one_site_audit, (only_site,) = _seed_old_audit(connection, sites=1, name="En")
        organisation_id, two_site_audit, _ = _seed_old_audit(connection, sites=2, name="To")
        single = _insert_finding(connection, one_site_audit, 1, "iso45003.6.1.2.coverage", tags)
        double = _insert_finding(connection, two_site_audit, 1, "iso45003.6.1.2.coverage", tags)
        case_id = _insert_case(connection, organisation_id, two_site_audit, double, 1, tags)
    engine.dispose()

    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as session:
        assert session.get(Finding, single).site_ids == [only_site]
        assert session.get(Finding, double).site_ids == []  # two sites: "not stated", never both
        assert session.get(Finding, single).tags == tags  # kept as confirmed
        case = session.get(Case, case_id)
        assert (case.correction_not_applicable, case.investigation_participants, case.apv_reviewed) == (False, [], None)
    engine.dispose()
