"""Planning audits: creating, changing, status, the audit plan; API and pages."""

from datetime import date

import pytest
from markupsafe import escape
from sqlmodel import select

from auditor.models import Audit, PlanEntry
from auditor.services import audits


def audit_body(organisation: int, **overrides) -> dict:
    body = {
        "title": "Certificeringsaudit trin 2",
        "audit_type": "stage2",
        "organisation_id": organisation,
        "site": "Aarhus lager",
        "scope": "Lager og distribution, alle medarbejdergrupper",
        "start_date": "2026-12-01",
        "end_date": "2026-12-02",
        "checklists": ["iso45003-clauses", "at-external-audit"],
    }
    body.update(overrides)
    return body


def test_create_an_audit(client, make_organisation, make_user, lead, library):
    organisation = make_organisation(sites=("Aarhus lager",))
    auditor = make_user("auditor", name="Auditor To")
    response = client.post(
        "/api/v1/audits", json=audit_body(organisation.id, team_ids=[auditor.id], lead_auditor_id=lead.id)
    )
    assert response.status_code == 201
    audit = response.json()
    expected_total = sum(library.get(c).checklist.item_count for c in ("iso45003-clauses", "at-external-audit"))
    assert audit["progress"] == {"answered": 0, "total": expected_total, "percent": 0}
    assert audit["status"] == "planned"
    assert [s["name"] for s in audit["sites"]] == ["Aarhus lager"]  # the existing site, not a new twin
    assert [c["id"] for c in audit["checklists"]] == ["iso45003-clauses", "at-external-audit"]
    assert [(m["name"], m["role"]) for m in audit["team"]] == [("Lead Auditor", "lead"), ("Auditor To", "auditor")]
    assert client.get(f"/api/v1/audits/{audit['id']}").json()["title"] == "Certificeringsaudit trin 2"
    plan = client.get(f"/api/v1/audits/{audit['id']}/plan").json()
    assert [entry["kind"] for entry in plan] == ["opening_meeting", "closing_meeting"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"end_date": "2026-11-30"}, "end_date"),
        ({"audit_type": "inspection"}, "audit_type"),
        ({"checklists": []}, "checklists"),
        ({"checklists": ["no-such-checklist"]}, "checklists"),
        ({"organisation_id": 999999}, "organisation_id"),
        ({"title": ""}, "title"),
        ({"start_date": "01-12-2026"}, "start_date"),
        ({"report_language": "sv"}, "report_language"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_audit_input_gets_422_and_nothing_is_stored(client, session, make_organisation, overrides, field):
    organisation = make_organisation()
    response = client.post("/api/v1/audits", json=audit_body(organisation.id, **overrides))
    assert response.status_code == 422
    body = response.json()
    assert body["detail"]
    assert field in [e["field"] for e in body["errors"]]
    assert session.exec(select(Audit)).all() == []


def test_end_before_start_says_so(client, make_organisation):
    response = client.post("/api/v1/audits", json=audit_body(make_organisation().id, end_date="2026-11-30"))
    assert "The end date cannot be before the start date." in response.json()["detail"]


def test_unknown_audit_is_404_everywhere(client):
    for path in (
        "/api/v1/audits/999999",
        "/api/v1/audits/999999/responses",
        "/api/v1/audits/999999/findings",
        "/api/v1/audits/999999/report.docx",
    ):
        response = client.get(path)
        assert response.status_code == 404
        assert response.json() == {"code": "not_found", "detail": "No audit with this id."}
    page = client.get("/audits/999999")
    assert page.status_code == 404 and "error-box" in page.text and "Traceback" not in page.text


def test_update_an_audit_keeps_what_was_left_out(client, make_audit, make_user):
    audit = make_audit()
    auditor = make_user("auditor", name="Auditor B")
    response = client.patch(f"/api/v1/audits/{audit.id}", json={"scope": "Kun lageret", "team_ids": [auditor.id]})
    assert response.status_code == 200
    body = response.json()
    assert (body["scope"], body["title"]) == ("Kun lageret", audit.title)
    assert [(m["name"], m["role"]) for m in body["team"]] == [("Lead Auditor", "lead"), ("Auditor B", "auditor")]
    assert client.patch(f"/api/v1/audits/{audit.id}", json={"end_date": "2026-01-01"}).status_code == 422


def test_status_moves_one_step_at_a_time(client, make_audit):
    audit = make_audit()
    assert client.post(f"/api/v1/audits/{audit.id}/status", json={"status": "closed"}).status_code == 409
    for status in ("in_progress", "reporting", "closed"):
        response = client.post(f"/api/v1/audits/{audit.id}/status", json={"status": status})
        assert response.status_code == 200 and response.json()["status"] == status
    assert client.patch(f"/api/v1/audits/{audit.id}", json={"scope": "x"}).status_code == 409
    assert (
        client.post(f"/api/v1/audits/{audit.id}/status", json={"status": "reporting"}).json()["status"] == "reporting"
    )
    assert client.post(f"/api/v1/audits/{audit.id}/status", json={"status": "done"}).status_code == 422


def test_the_audit_plan_agenda(client, make_audit):
    audit = make_audit()
    entry = {
        "day": "2026-12-01",
        "start_time": "09:15",
        "end_time": "10:00",
        "kind": "interview",
        "activity": "Interview med AMO",
        "auditor": "Lead",
        "auditee_role": "Arbejdsmiljørepræsentant",
    }
    response = client.post(f"/api/v1/audits/{audit.id}/plan", json=entry)
    assert response.status_code == 201
    plan = client.get(f"/api/v1/audits/{audit.id}/plan").json()
    assert [e["kind"] for e in plan] == ["opening_meeting", "interview", "closing_meeting"]
    assert client.post(f"/api/v1/audits/{audit.id}/plan", json={**entry, "day": "2026-12-05"}).status_code == 422
    assert client.post(f"/api/v1/audits/{audit.id}/plan", json={**entry, "end_time": "09:00"}).status_code == 422
    assert (
        client.post(f"/api/v1/audits/{audit.id}/plan", json={**entry, "kind": "activity", "activity": ""}).status_code
        == 422
    )
    assert client.delete(f"/api/v1/audits/{audit.id}/plan/{response.json()['id']}").status_code == 204
    assert client.delete(f"/api/v1/audits/{audit.id}/plan/{response.json()['id']}").status_code == 404


def test_plan_a_audit_with_the_form(client, session, make_organisation, make_user, lead):
    organisation = make_organisation()
    auditor = make_user("auditor", name="Auditor A")
    form = {
        "title": "Intern audit forår",
        "audit_type": "internal",
        "organisation_id": str(organisation.id),
        "start_date": "2026-03-02",
        "end_date": "2026-03-03",
        "lead_auditor_id": str(lead.id),
        "team_ids": [str(auditor.id)],
        "report_language": "da",
        "checklists": ["at-internal-audit"],
        "site": "Hovedkontor",
    }
    response = client.post("/audits", data=form, follow_redirects=False)
    assert response.status_code == 303
    audit = session.exec(select(Audit).where(Audit.title == "Intern audit forår")).one()
    assert [(u.name, role) for u, role in audits.audit_team(session=session, audit=audit)] == [
        ("Lead Auditor", "lead"),
        ("Auditor A", "auditor"),
    ]
    assert response.headers["location"] == f"/audits/{audit.id}"
    page = client.get(f"/audits/{audit.id}").text
    assert "Intern audit forår" in page and "Hovedkontor" in page


def test_the_form_and_the_conduct_page_say_who_wrote_each_checklist(client, library, make_audit, make_organisation):
    make_organisation()
    form = client.get("/audits/new").text
    for loaded in library:
        assert str(escape(loaded.checklist.attribution.en)) in form
    audit = make_audit(
        audit_type="internal", checklists=["at-internal-audit", "iso45003-clauses"], report_language="da"
    )
    page = client.get(f"/audits/{audit.id}/conduct").text
    for checklist_id in ("at-internal-audit", "iso45003-clauses"):
        assert page.count(str(escape(library.get(checklist_id).checklist.attribution.da))) == 1


def test_the_form_keeps_what_was_typed_and_shows_the_error(client, session, make_organisation):
    organisation = make_organisation()
    form = {
        "title": "Forkerte datoer",
        "audit_type": "internal",
        "organisation_id": str(organisation.id),
        "start_date": "2026-03-03",
        "end_date": "2026-03-02",
        "checklists": ["at-internal-audit"],
        "scope": "Alt det jeg skrev",
    }
    response = client.post("/audits", data=form)
    assert response.status_code == 422
    assert "Alt det jeg skrev" in response.text and "field-error" in response.text
    assert session.exec(select(Audit)).all() == []


def test_plan_entries_with_htmx_return_the_plan_fragment(client, session, make_audit):
    audit = make_audit()
    response = client.post(
        f"/audits/{audit.id}/plan",
        data={"day": "2026-12-01", "start_time": "10:00", "activity": "Rundgang på lageret", "kind": "site_tour"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section class="card" id="plan">')
    assert "Rundgang på lageret" in response.text and "<html" not in response.text
    bad = client.post(
        f"/audits/{audit.id}/plan",
        data={"day": "2026-12-01", "start_time": "", "activity": "Uden tid"},
        headers={"HX-Request": "true"},
    )
    assert bad.status_code == 422 and "Uden tid" in bad.text and "field-error" in bad.text
    entry = session.exec(select(PlanEntry).where(PlanEntry.activity == "Rundgang på lageret")).one()
    gone = client.post(f"/audits/{audit.id}/plan/{entry.id}/delete", headers={"HX-Request": "true"})
    assert gone.status_code == 200 and "Rundgang på lageret" not in gone.text


def test_the_audit_list_shows_progress_and_filters_by_status(client, make_audit):
    make_audit(title="Den planlagte")
    in_progress = make_audit(title="Den igangværende")
    client.post(f"/api/v1/audits/{in_progress.id}/status", json={"status": "in_progress"})
    page = client.get("/").text
    assert "Den planlagte" in page and "Den igangværende" in page and "<progress" in page
    filtered = client.get("/?status=in_progress").text
    assert "Den igangværende" in filtered and "Den planlagte" not in filtered
    api = client.get("/api/v1/audits?status=planned").json()
    assert [a["title"] for a in api] == ["Den planlagte"]


def test_audit_dates_are_dates_and_timestamps_are_time_zone_aware(session, make_audit):
    audit = make_audit()
    session.expire_all()
    stored = session.get(Audit, audit.id)
    assert stored.start_date == date(2026, 12, 1)
    assert stored.created_at.tzinfo is not None and stored.created_at.utcoffset().total_seconds() == 0


def test_html_forms_that_carry_the_csrf_field_are_accepted(login, lead, session, make_organisation, settings):
    """Browsers send the token as a form field; the forms must not mistake it for data."""
    from auditor.security import _sign
    from tests.conftest import CSRF_VALUE

    organisation = make_organisation()
    client = login(lead, csrf=False)
    form = {
        "csrf_token": _sign(settings.secret_key, CSRF_VALUE),
        "title": "Med token",
        "audit_type": "stage1",
        "organisation_id": str(organisation.id),
        "start_date": "2026-05-04",
        "end_date": "2026-05-04",
        "checklists": ["iso45003-clauses"],
    }
    response = client.post("/audits", data=form, follow_redirects=False)
    assert response.status_code == 303, response.text
    audit = session.exec(select(Audit).where(Audit.title == "Med token")).one()
    evidence = client.post(
        f"/audits/{audit.id}/evidence",
        data={
            "csrf_token": form["csrf_token"],
            "item_id": "iso45003.4.1.1.context-analysis",
            "method": "document",
            "summary": "APV",
        },
        headers={"HX-Request": "true"},
    )
    assert evidence.status_code == 200 and "APV" in evidence.text


def test_the_audit_list_pages(client, make_audit):
    """Newest first, `limit` at a time from `offset`; the total and the neighbouring pages in the headers."""
    made = [
        make_audit(title=f"Audit {n}", start_date=date(2027, 1, 1 + n), end_date=date(2027, 1, 1 + n)) for n in range(5)
    ]
    newest_first = [a.id for a in reversed(made)]
    first = client.get("/api/v1/audits", params={"limit": 2})
    assert [a["id"] for a in first.json()] == newest_first[:2]
    assert first.headers["X-Total-Count"] == "5"
    assert 'offset=2>; rel="next"' in first.headers["Link"] and 'rel="prev"' not in first.headers["Link"]
    assert 'limit=2&offset=4>; rel="last"' in first.headers["Link"]
    second = client.get("/api/v1/audits", params={"limit": 2, "offset": 2})
    assert [a["id"] for a in second.json()] == newest_first[2:4]
    assert 'offset=0>; rel="prev"' in second.headers["Link"] and 'offset=4>; rel="next"' in second.headers["Link"]
    last = client.get("/api/v1/audits", params={"limit": 2, "offset": 4})
    assert [a["id"] for a in last.json()] == newest_first[4:]
    assert 'rel="next"' not in last.headers["Link"]
    assert len(client.get("/api/v1/audits").json()) == 5  # 50 by default
    for bad in ({"limit": 201}, {"limit": 0}, {"offset": -1}, {"limit": "many"}):
        refused = client.get("/api/v1/audits", params=bad)
        assert refused.status_code == 422 and refused.json()["errors"][0]["field"] in bad
    assert client.get("/api/v1/audits", params={"limit": 200}).status_code == 200


def test_the_audit_list_page_links_keep_the_filter(client, make_audit):
    for n in range(3):
        make_audit(title=f"Audit {n}", start_date=date(2027, 1, 1 + n), end_date=date(2027, 1, 1 + n))
    page = client.get("/", params={"status": "planned", "limit": 2}).text
    assert "Audit 2" in page and "Audit 1" in page and "Audit 0" not in page
    assert 'href="http://testserver/?status=planned&amp;limit=2&amp;offset=2"' in page and 'rel="prev"' not in page
    last = client.get("/", params={"status": "planned", "limit": 2, "offset": 2}).text
    assert "Audit 0" in last and "Audit 1" not in last
    assert 'href="http://testserver/?status=planned&amp;limit=2&amp;offset=0"' in last and 'rel="next"' not in last
