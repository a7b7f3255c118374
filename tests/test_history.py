"""The audit trail: every change recorded with who, when, before and after; append-only; exportable."""

import csv
import io

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import select

from auditor.models import AuditEvent


def events(session, **where):
    query = select(AuditEvent).order_by(AuditEvent.id)
    for name, value in where.items():
        query = query.where(getattr(AuditEvent, name) == value)
    return list(session.exec(query))


def test_every_kind_of_change_is_recorded(client, session, make_audit, first_item_id, admin):
    audit = make_audit()
    base = f"/api/v1/audits/{audit.id}"
    client.patch(base, json={"scope": "Lageret"})
    client.post(f"{base}/status", json={"status": "in_progress"})
    entry = client.post(
        f"{base}/plan", json={"day": "2026-12-01", "start_time": "10:00", "activity": "Rundgang"}
    ).json()
    client.delete(f"{base}/plan/{entry['id']}")
    client.put(f"{base}/responses/{first_item_id}", json={"verdict": "minor_nc", "note": "Før", "version": 0})
    client.put(f"{base}/responses/{first_item_id}", json={"note": "Efter", "version": 1})
    proof = client.post(
        f"{base}/responses/{first_item_id}/evidence", json={"method": "document", "summary": "APV"}
    ).json()
    client.delete(f"{base}/evidence/{proof['id']}")
    finding = client.post(f"{base}/findings", json={"kind": "ofi", "statement": "Første"}).json()
    client.put(f"{base}/findings/{finding['id']}", json={"kind": "ofi", "statement": "Anden"})
    client.delete(f"{base}/findings/{finding['id']}")

    trail = [(e.entity, e.action) for e in events(session, audit_id=audit.id)]
    assert trail == [
        ("audit", "create"),
        ("team", "create"),
        ("audit", "update"),
        ("audit", "update"),
        ("plan_entry", "create"),
        ("plan_entry", "delete"),
        ("response", "create"),
        ("response", "update"),
        ("evidence", "create"),
        ("evidence", "delete"),
        ("finding", "create"),
        ("finding", "update"),
        ("finding", "delete"),
    ]
    note_change = events(session, audit_id=audit.id, entity="response")[1]
    assert (
        note_change.before["note"] == "Før"
        and note_change.after["note"] == "Efter"
        and note_change.after["verdict"] == "minor_nc"
    )
    assert all(
        e.actor == admin.email and e.actor_id == admin.id and e.at.tzinfo
        for e in events(session, audit_id=audit.id)[2:]
    )
    status_change = events(session, audit_id=audit.id, entity="audit")[2]
    assert (status_change.before["status"], status_change.after["status"]) == ("planned", "in_progress")


def test_the_trail_cannot_be_changed_or_deleted_in_the_database(session, make_audit):
    make_audit()
    for statement in ("UPDATE auditevent SET actor = 'someone else'", "DELETE FROM auditevent"):
        with pytest.raises(DBAPIError, match="append-only"), session.begin_nested():
            session.execute(text(statement))
    assert all(e.actor != "someone else" for e in events(session))


def test_history_page_finding_history_and_csv(client, make_audit, first_item_id):
    audit = make_audit(title='=HYPERLINK("http://evil")')
    finding = client.post(f"/api/v1/audits/{audit.id}/findings", json={"kind": "ofi", "statement": "=1+1"}).json()
    client.put(
        f"/api/v1/audits/{audit.id}/findings/{finding['id']}", json={"kind": "observation", "statement": "Skærpet"}
    )
    page = client.get(f"/audits/{audit.id}/history").text
    assert f"Finding {finding['id']}" in page and "Skærpet" in page
    form = client.get(f"/audits/{audit.id}/findings/{finding['id']}/edit").text
    assert "Skærpet" in form and "<del>Opportunity for improvement</del> → <ins>Observation</ins>" in form
    response = client.get(f"/api/v1/audits/{audit.id}/history.csv")
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    kinds = [(r["What"], r["Field"], r["Before"], r["After"]) for r in rows if r["Field"] == "Kind"]
    assert kinds[-1] == (f"Finding {finding['id']}", "Kind", "Opportunity for improvement", "Observation")
    # cells that a spreadsheet would run as formulas are defused
    assert all(not (r["After"] or "").startswith(("=", "+", "-", "@")) for r in rows)
    assert any(r["After"] == "'=1+1" for r in rows)
    api = client.get(f"/api/v1/audits/{audit.id}/history", params={"entity": "finding"}).json()
    assert [e["action"] for e in api] == ["create", "update"]


def test_the_history_pages(client, session, make_audit, first_item_id):
    """An audit's trail grows with every save: the API pages it oldest first, the page newest first."""
    audit = make_audit()
    for n in range(5):
        client.put(
            f"/api/v1/audits/{audit.id}/responses/{first_item_id}",
            json={"verdict": "conform", "note": f"Note {n}", "version": n},
        )
    stored = [e.id for e in events(session, audit_id=audit.id)]
    assert len(stored) >= 6  # the audit's creation and five saves
    first = client.get(f"/api/v1/audits/{audit.id}/history", params={"limit": 2})
    assert [e["id"] for e in first.json()] == stored[:2]
    assert first.headers["X-Total-Count"] == str(len(stored)) and 'rel="next"' in first.headers["Link"]
    second = client.get(f"/api/v1/audits/{audit.id}/history", params={"limit": 2, "offset": 2})
    assert [e["id"] for e in second.json()] == stored[2:4]
    assert len(client.get(f"/api/v1/audits/{audit.id}/history").json()) == len(stored)  # 50 by default
    page = client.get(f"/audits/{audit.id}/history", params={"limit": 2}).text
    assert page.count("<tr>") == 1 + 2 and "Note 4" in page and "Note 0" not in page
    assert f"1–2 of {len(stored)}" in page and 'rel="next"' in page


def test_a_cases_history_is_paged(client, session, make_audit, first_item_id, admin):
    """A case's trail grows with every step: the API pages it oldest first, like the audit's."""
    from auditor.schemas import FindingIn
    from auditor.services import cases, findings

    audit = make_audit()
    finding = findings.create_finding(
        session=session,
        actor=admin,
        audit=audit,
        data=FindingIn(item_id=first_item_id, kind="minor_nc", statement="No routine"),
    )
    case = cases.case_for_finding(session=session, finding_id=finding.id)
    for n in range(3):
        cases.record_correction(session=session, actor=admin, case=case, correction=f"Talked to the team {n}")
    stored = [e.id for e in events(session, entity="case", entity_id=str(case.id))]
    assert len(stored) >= 4  # opened, three corrections
    first = client.get(f"/api/v1/cases/{case.id}/history", params={"limit": 2})
    assert [e["id"] for e in first.json()] == stored[:2]
    assert first.headers["X-Total-Count"] == str(len(stored)) and 'rel="next"' in first.headers["Link"]
    second = client.get(f"/api/v1/cases/{case.id}/history", params={"limit": 2, "offset": 2})
    assert [e["id"] for e in second.json()] == stored[2:4]
    assert client.get(f"/api/v1/cases/{case.id}/history", params={"limit": 0}).status_code == 422


def test_nothing_in_the_app_edits_the_trail(client):
    """No route writes to the trail directly: it has only GET endpoints."""
    from fastapi.routing import APIRoute, iter_route_contexts

    routes = [
        (method, c.path_format)
        for c in iter_route_contexts(client.app.routes)
        if isinstance(c.original_route, APIRoute)
        for method in c.original_route.methods
    ]
    assert [r for r in routes if "history" in r[1] and r[0] != "GET"] == []


# Confidential evidence and photos: every field hidden from everyone outside the audit team, in every history and
# export (issue 13, 1).

CAPTION = "Employee K. cried by the coffee machine"
SUMMARY = "The manager calls K. the problem"
REFERENCE = "Interview notes K. page 2"
OUTSIDERS = ("viewer", "quality_manager", "action_owner", "organisation_admin")
TEAM = ("auditor_on_team", "installation_admin")


def small_jpeg() -> bytes:
    from PIL import Image

    picture = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(picture, "JPEG")
    return picture.getvalue()


@pytest.fixture
def confidential_world(session, make_audit, make_organisation, make_user, admin, lead, first_item_id):
    """An audit with a confidential interview note and a confidential photo (and a removed one of each), a
    nonconformity whose case has an action of the action owner's, and a user of each role."""
    from datetime import date

    from auditor.schemas import EvidenceIn, FindingIn
    from auditor.services import cases, evidence, findings, photos

    organisation = make_organisation()
    people = {
        "viewer": make_user("viewer", organisation),
        "quality_manager": make_user("quality_manager", organisation),
        "action_owner": make_user("action_owner", organisation),
        "organisation_admin": make_user("admin", organisation),
        "auditor_on_team": make_user("auditor"),
        "installation_admin": admin,
    }
    audit = make_audit(organisation=organisation, team_ids=[people["auditor_on_team"].id])
    secrets = [CAPTION, SUMMARY, REFERENCE]
    for keep in (True, False):
        entry = evidence.add_evidence(
            session=session,
            actor=lead,
            audit=audit,
            item_id=first_item_id,
            data=EvidenceIn(
                method="interview_individual",
                summary=SUMMARY,
                reference=REFERENCE,
                interviewee_role="employees",
                interviewee_count=1,
                confidential=True,
            ),
        )
        photo = photos.add_photo(
            session=session,
            actor=lead,
            audit=audit,
            item_id=first_item_id,
            content=small_jpeg(),
            caption=CAPTION,
            confidential=True,
        )
        secrets.append(photo.sha256)
        if not keep:
            evidence.delete_evidence(session=session, actor=lead, audit=audit, evidence_id=entry.id)
            photos.delete_photo(session=session, actor=lead, audit=audit, photo_id=photo.id)
    finding = findings.create_finding(
        session=session,
        actor=lead,
        audit=audit,
        data=FindingIn(item_id=first_item_id, kind="minor_nc", statement="No routine"),
    )
    case = cases.case_for_finding(session=session, finding_id=finding.id)
    cases.record_correction(session=session, actor=admin, case=case, correction="Talked to the team")
    cases.record_root_cause(session=session, actor=admin, case=case, method="free_text", cause="No routine")
    cases.add_action(
        session=session,
        actor=admin,
        case=case,
        description="A routine",
        owner_id=people["action_owner"].id,
        due_date=date(2027, 2, 1),
        prevention_level="primary",
        scope="collective",
    )
    routes = {
        "history page": f"/audits/{audit.id}/history",
        "history JSON": f"/api/v1/audits/{audit.id}/history",
        "photo history JSON": f"/api/v1/audits/{audit.id}/history?entity=photo",
        "evidence history JSON": f"/api/v1/audits/{audit.id}/history?entity=evidence",
        "history.csv": f"/api/v1/audits/{audit.id}/history.csv",
        "case page": f"/cases/{case.id}",
        "case history JSON": f"/api/v1/cases/{case.id}/history",
    }
    return people, routes, secrets


@pytest.mark.parametrize("role", OUTSIDERS + TEAM)
def test_confidential_entries_are_hidden_in_every_history_and_export(role, confidential_world, login):
    """No field of a confidential entry reaches anyone outside the audit team (client viewer, quality manager,
    action owner, the organisation's admin) in any history or export; the team and installation admins see them
    in the histories, and an export never carries them, whoever asks."""
    people, routes, secrets = confidential_world
    client = login(people[role])
    for name, url in routes.items():
        response = client.get(url)
        assert response.status_code == 200, (name, response.status_code)
        leaked = [secret for secret in secrets if secret in response.text]
        if role in TEAM and name in {"history page", "history JSON", "photo history JSON"}:
            assert CAPTION in response.text, name  # they see what the others must not: the check can see a leak
        if role in OUTSIDERS or name == "history.csv":
            assert leaked == [], (name, leaked)
        if name in {"history page", "case page", "history.csv"}:  # read by people: the photo's fields, as words
            assert "item_id" not in response.text and "sha256" not in response.text, name
    events = client.get(routes["history JSON"]).json()
    confidential = [e for e in events if e["confidential"]]
    assert len(confidential) == 6  # created and removed: two notes, two photos
    if role in OUTSIDERS:
        assert all(
            set((e["before"] or {}).values()) | set((e["after"] or {}).values()) == {"[confidential]"}
            for e in confidential
        )


# Histories read as words in the reader's language (issue 13, 21): labels for what changed and how, values as a
# quality manager reads them (a status's label, the owner's name, tags by their labels), never field names or Python.


@pytest.mark.parametrize("language", ["da", "en"])
def test_histories_show_labels_and_values_in_the_readers_language(
    language, session, make_audit, make_organisation, make_user, admin, lead, first_item_id, login
):
    from datetime import date

    from auditor.i18n import translate
    from auditor.schemas import FindingIn
    from auditor.services import cases, findings

    organisation = make_organisation()
    owner = make_user("action_owner", organisation, name="Karen Ejer")
    audit = make_audit(organisation=organisation)
    finding = findings.create_finding(
        session=session,
        actor=lead,
        audit=audit,
        data=FindingIn(
            item_id=first_item_id, kind="minor_nc", statement="Ingen rutine", tags={"bek1406": ["workload"]}
        ),
    )
    case = cases.case_for_finding(session=session, finding_id=finding.id)
    cases.record_correction(session=session, actor=admin, case=case, correction="Talt med holdet")
    cases.record_root_cause(session=session, actor=admin, case=case, method="five_whys", cause="Ingen rutine")
    cases.add_action(
        session=session,
        actor=admin,
        case=case,
        description="En rutine",
        owner_id=owner.id,
        due_date=date(2027, 2, 1),
        prevention_level="primary",
        scope="collective",
    )
    client = login(admin, language=language)
    pages = {
        "history page": client.get(f"/audits/{audit.id}/history").text,
        "case page": client.get(f"/cases/{case.id}").text,
        "history.csv": client.get(f"/api/v1/audits/{audit.id}/history.csv").text,
        "history.csv?lang": login(admin, language="en" if language == "da" else "da")
        .get(f"/api/v1/audits/{audit.id}/history.csv", params={"lang": language})
        .text,
    }
    said = {
        message: translate(message, language)
        for message in (
            "Status",
            "Raised",
            "Correction done",
            "Owner",
            "Root cause method",
            "5 whys",
            "Prevention level",
            "Primary prevention",
            "High workload and time pressure",
            "Corrective action",
            "Case",
            "Correction recorded",
        )
    }
    if language == "da":
        assert said["Correction done"] != "Correction done" and said["Owner"] != "Owner"  # Danish words, not English
    for name, shown in pages.items():
        if name != "history page":  # the case's own history, and the export of everything
            for message, words in said.items():
                if message != "High workload and time pressure" or name != "case page":  # a case keeps no tags
                    assert words in shown, (name, message, words)
            assert "Karen Ejer" in shown, name
        raw = ["owner_id", "root_cause_method", "five_whys", "bek1406", "'workload'", "raised", "corrected", "None"]
        history = shown.split('class="table events"', 1)[-1]  # the history table (or the whole export)
        assert [word for word in raw if word in history] == [], name
    history_page = pages["history page"]
    assert said["High workload and time pressure"] in history_page and translate("Minor nonconformity", language) in (
        history_page
    )


def test_every_field_and_kind_the_trail_keeps_has_a_label():
    """A field added to a snapshot without a label would show its name in the histories."""
    from auditor import vocabulary as v
    from auditor.services import history, trail

    fields = {field for kept in trail.SNAPSHOT_FIELDS.values() for field in kept} | {"file", "size", "sha256"}
    assert sorted(fields - set(history.FIELD_LABELS)) == []
    assert set(trail.SNAPSHOT_FIELDS) <= set(v.TRAIL_ENTITIES.values)


def test_the_trail_refuses_a_kind_of_change_its_histories_cannot_name(session):
    from auditor.services import trail

    with pytest.raises(ValueError, match="vocabulary"):
        trail.record(session=session, actor=None, action="teleport", entity="audit", entity_id=1)
