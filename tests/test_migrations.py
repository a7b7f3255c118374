"""The Alembic migrations build exactly the schema the models describe, and move old data as they should."""

import hashlib
import logging
import secrets
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
from auditor.db import alembic_config, make_engine, upgrade
from auditor.models import Audit, Blob, Case, Finding, utcnow
from auditor.services.accounts import TOKEN_PREFIX, hash_token


def insert_row(connection, table_name: str, **values) -> int | None:
    """A row as the database's current revision has its table: the values given and, for every other column that
    needs one, a plain value of its type. (Today's models may have columns an old revision lacks, so rows for a
    data migration's test are written through the table as it is, not through the models.)"""
    table = sa.Table(table_name, sa.MetaData(), autoload_with=connection)
    row = dict(values)
    for column in table.columns:
        if column.name in row or column.nullable or column.server_default is not None or column.name == "id":
            continue
        kind = column.type
        row[column.name] = (
            False
            if isinstance(kind, sa.Boolean)
            else 0
            if isinstance(kind, sa.Integer | sa.Float | sa.Numeric)
            else utcnow()
            if isinstance(kind, sa.DateTime)
            else date(2026, 12, 1)
            if isinstance(kind, sa.Date)
            else {}
            if isinstance(kind, sa.JSON)
            else ""
        )
    inserted = connection.execute(table.insert().values(**row))
    return inserted.inserted_primary_key[0] if "id" in table.columns else None


def seed_old_audit(connection, item_id: str) -> tuple[int, int, int, str]:
    """In an empty database at an old revision: an admin (with an API token), a lead auditor, an organisation with a
    site and an audit the lead leads; (the audit's id, the lead's id, the organisation's id, the admin's token)."""
    admin = insert_row(
        connection, "user", email="admin@test.example", name="Admin", password_hash="x", role="admin", is_active=True
    )
    lead = insert_row(
        connection,
        "user",
        email="lead@test.example",
        name="Lead",
        password_hash="x",
        role="lead_auditor",
        is_active=True,
    )
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    insert_row(connection, "apitoken", user_id=admin, name="test", prefix=token[:12], token_hash=hash_token(token))
    organisation = insert_row(connection, "organisation", name="Nordlys Logistik A/S")
    insert_row(connection, "site", organisation_id=organisation, name="Aarhus")
    audit = insert_row(
        connection,
        "audit",
        title="Overvågningsaudit 2026",
        audit_type="surveillance",
        organisation_id=organisation,
        start_date=date(2026, 12, 1),
        end_date=date(2026, 12, 2),
        report_language="da",
        status="planned",
    )
    insert_row(connection, "auditmember", audit_id=audit, user_id=lead, role="lead")
    assert admin and lead and organisation and audit and item_id
    return audit, lead, organisation, token


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
    item_id = next(library.get("iso45003-clauses").checklist.items()).id
    with engine.begin() as connection:
        audit_id, lead_id, organisation_id, token = seed_old_audit(connection, item_id)
        case_id = insert_row(
            connection,
            "case",
            organisation_id=organisation_id,
            number=1,
            audit_id=audit_id,
            grade="minor_nc",
            statement="Vikarer er ikke med i APV'en",
            status="raised",
            source="audit",
        )
        attachment_id = insert_row(
            connection,
            "caseattachment",
            case_id=case_id,
            filename="apv.pdf",
            content_type="application/pdf",
            size=len(files["attachment"]),
            sha256=digest["attachment"],
            uploaded_by_id=lead_id,
        )
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
            connection.execute(
                photo.insert()
                .values(
                    audit_id=audit_id,
                    item_id=item_id,
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
    engine.dispose()

    with caplog.at_level(logging.WARNING, logger="auditor"):
        upgrade(url)
    assert f"the file of photo {lost} cannot be read" in caplog.text

    app = create_app(
        Settings(database_url=url, data_dir=tmp_path / "another-machine", report_processes=0), library=library
    )
    with TestClient(app, raise_server_exceptions=False, headers={"Authorization": f"Bearer {token}"}) as client:
        base = f"/api/v1/audits/{audit_id}/photos"
        assert client.get(f"{base}/{kept}.jpg").content == files["photo"]
        assert client.get(f"{base}/{kept}/thumbnail.jpg").content == files["thumbnail"]
        assert client.get(f"/api/v1/cases/{case_id}/attachments/{attachment_id}").content == files["attachment"]
        assert client.get(f"{base}/{lost}.jpg").status_code == 404
    with Session(app.state.engine) as session:
        assert session.get(Blob, digest["original"]).content == files["original"]
    app.state.engine.dispose()


def test_the_upgrade_tags_violence_outside_working_hours_as_its_own_bek_factor(fresh_database, library):
    url = fresh_database("bek-tags")
    upgrade(url, ScriptDirectory.from_config(alembic_config(url)).get_revision("0011").down_revision)
    engine = make_engine(url)
    outside, inside = "screening.bek.violence.outside-hours", "screening.bek.violence.assessment"
    with engine.begin() as connection:
        audit_id, _, organisation_id, _ = seed_old_audit(connection, outside)
        ids = []
        for number, item_id in enumerate((outside, inside), start=1):
            tags = {"bek1406": ["violence", "workload"], "hazards": ["social.violence"], "actors": []}
            common = {"audit_id": audit_id, "number": number, "item_id": item_id, "statement": "Trusler", "tags": tags}
            finding_id = insert_row(connection, "finding", kind="minor_nc", **common)
            case_id = insert_row(
                connection,
                "case",
                organisation_id=organisation_id,
                finding_id=finding_id,
                grade="minor_nc",
                status="raised",
                source="audit",
                **common,
            )
            ids += [(Finding, finding_id), (Case, case_id)]
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
        organisation = insert_row(connection, "organisation", name="Nordlys")
        sites = [insert_row(connection, "site", organisation_id=organisation, name=n) for n in ("Lager", "Kontor")]
        audits = []
        for covered in ([sites[0]], sites):  # one site, then two
            audit = insert_row(
                connection,
                "audit",
                title="Overvågningsaudit",
                audit_type="surveillance",
                organisation_id=organisation,
                report_language="da",
                status="in_progress",
            )
            for site in covered:
                insert_row(connection, "auditsite", audit_id=audit, site_id=site)
            audits.append(audit)
        single, double = (
            insert_row(connection, "finding", audit_id=audit, number=1, kind="minor_nc", statement="x", tags=tags)
            for audit in audits
        )
        case_id = insert_row(
            connection,
            "case",
            organisation_id=organisation,
            number=1,
            source="audit",
            audit_id=audits[1],
            finding_id=double,
            grade="minor_nc",
            statement="x",
            status="raised",
            tags=tags,
        )
    engine.dispose()

    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as session:
        assert session.get(Finding, single).site_ids == [sites[0]]
        assert session.get(Finding, double).site_ids == []  # two sites: "not stated", never both
        assert session.get(Finding, single).tags == tags  # kept as confirmed
        case = session.get(Case, case_id)
        assert (case.correction_not_applicable, case.investigation_participants, case.apv_reviewed) == (False, [], None)
    engine.dispose()


def test_the_upgrade_moves_the_certificate_facts_to_the_production_unit_and_tells_minor_from_major(
    fresh_database, library
):
    url = fresh_database("report-17021")
    upgrade(url, "0011")
    engine = make_engine(url)
    item_id = next(library.get("iso45003-clauses").checklist.items()).id
    with engine.begin() as connection:
        minor_audit, _, organisation_id, _ = seed_old_audit(connection, item_id)
        major_audit = insert_row(
            connection,
            "audit",
            title="Stage 2",
            audit_type="stage2",
            organisation_id=organisation_id,
            start_date=date(2026, 12, 1),
            end_date=date(2026, 12, 2),
            report_language="da",
            status="reporting",
        )
        first, second = (
            insert_row(connection, "site", organisation_id=organisation_id, name=name) for name in ("Vejle", "Aarhus")
        )
        for site_id in (second, first):
            insert_row(connection, "auditsite", audit_id=major_audit, site_id=site_id)
        insert_row(connection, "finding", audit_id=major_audit, number=1, kind="major_nc", statement="Ingen APV")
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
            sa.text("SELECT site_id, material_hours, significant_problems FROM auditsite WHERE audit_id = :audit"),
            {"audit": major_audit},
        ).all()
    assert recommendations == {minor_audit: "certify_after_minor_plans", major_audit: "certify_after_major_verified"}
    # both facts on the first production unit (the lowest id), where the lead auditor can divide them
    assert sorted(tuple(unit) for unit in units) == sorted([(first, 6.5, "Ingen fundet."), (second, None, "")])
    engine.dispose()


def test_the_upgrade_gives_each_audit_its_checklists_key_in_their_order(fresh_database):
    """0023: an audit planned before carries its checklists' content hashes, in the order it shows them, as one planned
    now does (services/checklists.checklists_key), so its saves find the parsed checklists by it."""
    url = fresh_database("checklists-key")
    upgrade(url, "0022")
    engine = make_engine(url)
    with engine.begin() as connection:
        organisation = insert_row(connection, "organisation", name="Nordlys")
        first, second = (
            insert_row(connection, "checklistsnapshot", checklist_id=name, version="1", sha256=sha, item_count=1)
            for name, sha in (("clauses", "a" * 64), ("hazards", "b" * 64))
        )
        audits = [
            insert_row(
                connection,
                "audit",
                title=title,
                audit_type="surveillance",
                organisation_id=organisation,
                report_language="da",
                status="planned",
            )
            for title in ("Two checklists", "None")
        ]
        # positions opposite to the snapshots' ids: the key follows the positions
        insert_row(connection, "auditchecklist", audit_id=audits[0], snapshot_id=first, position=1)
        insert_row(connection, "auditchecklist", audit_id=audits[0], snapshot_id=second, position=0)
    engine.dispose()

    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as session:
        assert session.get(Audit, audits[0]).checklists_key == f"{'b' * 64},{'a' * 64}"
        assert session.get(Audit, audits[1]).checklists_key == ""
    engine.dispose()
