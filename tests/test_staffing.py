"""Auditors' competence and impartiality, checked when an audit's team is set (services/staffing.py)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from auditor.errors import Forbidden, Invalid
from auditor.models import AuditEvent
from auditor.schemas import AuditIn, AuditUpdate, CompetenceIn, DeclarationIn, ReportDetails
from auditor.services import audits, staffing


def plan(session, library, actor, organisation, lead, team=(), **extra):
    return audits.create_audit(
        session=session,
        actor=actor,
        library=library,
        data=AuditIn(
            title="Certificering",
            audit_type="stage2",
            organisation_id=organisation.id,
            start_date=date(2026, 12, 1),
            end_date=date(2026, 12, 2),
            lead_auditor_id=lead.id,
            team_ids=[u.id for u in team],
            checklists=["iso45003-clauses"],
            **extra,
        ),
    )


def test_a_lead_auditor_without_the_bek1407_course_cannot_lead_a_danish_certificate_audit(
    session, admin, lead, make_audit, make_user
):
    audit = make_audit()
    with pytest.raises(Invalid) as refused:
        audits.update_report_details(session=session, actor=admin, audit=audit, data=ReportDetails(dk_certificate=True))
    assert refused.value.field == "dk_certificate" and refused.value.params == {"name": "Lead Auditor"}
    assert "BEK 1407" in refused.value.message

    staffing.update_competence(
        session=session,
        actor=admin,
        auditor=lead,
        data=CompetenceIn(bek1407="exemption", bek1407_date=date(2023, 5, 1), languages=["dansk"]),
    )
    audits.update_report_details(session=session, actor=admin, audit=audit, data=ReportDetails(dk_certificate=True))
    assert audit.dk_certificate

    untrained = make_user("lead_auditor", name="Ny Leder")
    with pytest.raises(Invalid) as refused:
        audits.update_audit(session=session, actor=admin, audit=audit, data=AuditUpdate(lead_auditor_id=untrained.id))
    assert (refused.value.field, refused.value.params["name"]) == ("lead_auditor_id", "Ny Leder")


def test_a_declared_tie_to_the_audited_organisation_keeps_the_auditor_off_its_team(
    session, library, admin, lead, make_user, make_organisation
):
    client, other = make_organisation(), make_organisation(name="Andet A/S", cvr=None)
    colleague = make_user("auditor", name="Kollega")
    for organisation, ends_on in ((other, None), (client, date(2024, 6, 30))):  # over two years before the audit
        staffing.add_declaration(
            session=session,
            actor=colleague,
            auditor=colleague,
            data=DeclarationIn(organisation_id=organisation.id, kind="consultancy", ends_on=ends_on),
        )
    assert plan(session, library, admin, client, lead, team=[colleague]).id

    staffing.add_declaration(
        session=session,
        actor=admin,
        auditor=colleague,
        data=DeclarationIn(
            organisation_id=client.id, kind="consultancy", starts_on=date(2025, 1, 1), ends_on=date(2025, 3, 31)
        ),
    )
    with pytest.raises(Invalid) as refused:
        plan(session, library, admin, client, lead, team=[colleague])
    assert refused.value.field == "team_ids"
    assert refused.value.params == {
        "name": "Kollega",
        "organisation": "Nordlys Logistik A/S",
        "kind": ["Consultancy for the organisation"],
        "period": "2025-01-01 – 2025-03-31",
    }


def test_an_installation_admin_overrides_the_check_with_a_reason_that_the_trail_keeps(
    session, library, admin, lead, make_user, make_organisation
):
    organisation = make_organisation()
    staffing.add_declaration(
        session=session, actor=lead, auditor=lead, data=DeclarationIn(organisation_id=organisation.id, kind="relative")
    )
    with pytest.raises(Forbidden):
        plan(session, library, lead, organisation, lead, override_reason="Ingen anden leder")

    audit = plan(session, library, admin, organisation, lead, override_reason="Ingen anden leder ledig")
    assert audit.team_override_reason == "Ingen anden leder ledig"
    event = session.exec(
        select(AuditEvent).where(AuditEvent.audit_id == audit.id, AuditEvent.action == "override")
    ).one()
    assert event.entity == "team" and event.actor == admin.email
    assert event.after == {
        "problems": ["Lead Auditor declared a tie to Nordlys Logistik A/S: A close relative works there (… – …)."],
        "reason": "Ingen anden leder ledig",
    }
    # The override stands while the team stays; a new team is checked afresh.
    audits.update_audit(session=session, actor=lead, audit=audit, data=AuditUpdate(title="Ny titel"))
    with pytest.raises(Invalid):
        audits.update_audit(
            session=session, actor=lead, audit=audit, data=AuditUpdate(team_ids=[make_user("auditor").id])
        )


def test_admins_keep_the_competence_record_and_auditors_declare_their_own_ties(
    login, session, admin, lead, make_user, make_organisation
):
    organisation = make_organisation()
    saved = login(admin).post(
        f"/auditors/{lead.id}/competence",
        data={
            "bek1407": "course",
            "bek1407_date": "2024-02-01",
            "technical_areas": "IAF 28\nIAF 35",
            "languages": "dansk, English",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303
    record = staffing.competence_of(session=session, auditor_id=lead.id)
    assert (record.bek1407, record.technical_areas, record.languages) == (
        "course",
        ["IAF 28", "IAF 35"],
        ["dansk", "English"],
    )
    listed = login(admin).get("/auditors")
    assert "Lead Auditor" in listed.text and "IAF 28, IAF 35" in listed.text

    own = login(lead, language="da")
    assert own.post(f"/auditors/{lead.id}/competence", data={"bek1407": ""}).status_code == 403
    page = own.get(f"/auditors/{lead.id}")
    assert page.status_code == 200 and "BEK 1407-kursus bestået" in page.text
    declared = own.post(
        f"/auditors/{lead.id}/declarations",
        data={
            "organisation_id": str(organisation.id),
            "kind": "employment",
            "starts_on": "2020-01-01",
            "ends_on": "2019-01-01",
        },
    )
    assert declared.status_code == 422 and "Slutdatoen kan ikke ligge før startdatoen." in declared.text
    declared = own.post(
        f"/auditors/{lead.id}/declarations",
        data={"organisation_id": str(organisation.id), "kind": "employment", "ends_on": "2025-08-31"},
        follow_redirects=False,
    )
    assert declared.status_code == 303
    [(declaration, name)] = staffing.declarations_of(session=session, auditor_id=lead.id)
    assert (declaration.kind, declaration.ends_on, name) == ("employment", date(2025, 8, 31), "Nordlys Logistik A/S")

    someone_else = login(make_user("auditor"))
    assert someone_else.get(f"/auditors/{lead.id}").status_code == 404
    assert someone_else.post(f"/auditors/{lead.id}/declarations/{declaration.id}/delete").status_code == 404
    assert (
        own.post(f"/auditors/{lead.id}/declarations/{declaration.id}/delete", follow_redirects=False).status_code == 303
    )
    assert staffing.declarations_of(session=session, auditor_id=lead.id) == []


def test_the_api_keeps_competence_records_and_declarations_with_the_pages_rules(
    login, session, admin, lead, make_user, make_organisation
):
    organisation = make_organisation()
    other_auditor = make_user("auditor", name="Anden Auditor")
    record = {"bek1407": "course", "bek1407_date": "2024-02-01", "technical_areas": ["IAF 28"], "languages": ["dansk"]}
    api = login(admin)
    saved = api.put(f"/api/v1/auditors/{lead.id}/competence", json=record)
    assert saved.status_code == 200
    assert saved.json() == {**record, "auditor_id": lead.id, "updated_at": saved.json()["updated_at"]}
    assert staffing.competence_of(session=session, auditor_id=lead.id).technical_areas == ["IAF 28"]
    undated = api.put(f"/api/v1/auditors/{lead.id}/competence", json={"bek1407": "course"})
    assert undated.status_code == 422

    listed = api.get("/api/v1/auditors", params={"limit": 1})
    assert listed.status_code == 200 and listed.headers["X-Total-Count"] == "2"  # the admin is no auditor
    assert [(a["name"], a["role"]) for a in listed.json()] == [("Anden Auditor", "auditor")]
    assert listed.json()[0]["competence"]["bek1407"] is None
    assert 'rel="next"' in listed.headers["Link"]

    own = login(lead)
    assert own.get("/api/v1/auditors").status_code == 403
    assert own.put(f"/api/v1/auditors/{lead.id}/competence", json=record).status_code == 403
    shown = own.get(f"/api/v1/auditors/{lead.id}")
    assert shown.status_code == 200 and shown.json()["competence"]["bek1407"] == "course"
    declared = own.post(
        f"/api/v1/auditors/{lead.id}/declarations",
        json={"organisation_id": organisation.id, "kind": "employment", "ends_on": "2025-08-31"},
    )
    assert declared.status_code == 201
    assert {k: declared.json()[k] for k in ("kind", "ends_on", "organisation", "auditor_id")} == {
        "kind": "employment",
        "ends_on": "2025-08-31",
        "organisation": organisation.name,
        "auditor_id": lead.id,
    }
    nowhere = own.post(f"/api/v1/auditors/{lead.id}/declarations", json={"organisation_id": 999999, "kind": "other"})
    assert nowhere.status_code == 422 and nowhere.json()["errors"][0]["field"] == "organisation_id"
    listed = own.get(f"/api/v1/auditors/{lead.id}/declarations")
    assert [d["id"] for d in listed.json()] == [declared.json()["id"]] and listed.headers["X-Total-Count"] == "1"

    someone_else = login(other_auditor)
    declaration = f"/api/v1/auditors/{lead.id}/declarations/{declared.json()['id']}"
    assert someone_else.get(f"/api/v1/auditors/{lead.id}").status_code == 404
    assert someone_else.delete(declaration).status_code == 404
    assert own.delete(declaration).status_code == 204
    assert own.delete(declaration).status_code == 404
    assert staffing.declarations_of(session=session, auditor_id=lead.id) == []
