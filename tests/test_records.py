"""Records that cannot contradict themselves (issue 11, REVIEW findings 1, 2, 9, 10): a nonconformity verdict has its
finding, findings carry their own tags and sites, carry-over does not steal, cases are numbered as what they are, and a
case records ISO 45001 10.2's facts, with an escalation flag."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from auditor import vocabulary as v
from auditor.db import unit_of_work
from auditor.demo import FINDINGS, create_demo
from auditor.models import AuditEvent, Case, Finding, Organisation, PlanEntry
from auditor.reports.context import build_report_context
from auditor.schemas import AuditIn, FindingIn, SiteIn
from auditor.services import audits, cases, findings, organisations, reviews

ITEM = "iso45003.5.2.communicated"
OTHER_ITEM = "iso45003.5.2.policy-content"


def answer(client, audit, item_id, verdict, version=0):
    return client.put(f"/api/v1/audits/{audit.id}/responses/{item_id}", json={"verdict": verdict, "version": version})


def status(client, audit, new):
    return client.post(f"/api/v1/audits/{audit.id}/status", json={"status": new})


def raise_finding(client, audit, **body):
    return client.post(f"/api/v1/audits/{audit.id}/findings", json=body)


# 1. A nonconformity verdict always has its nonconformity


def test_a_nonconformity_verdict_without_its_finding_keeps_the_audit_from_reporting(client, make_audit, session):
    audit = make_audit()
    first = answer(client, audit, ITEM, "minor_nc")
    assert first.status_code == 200
    assert answer(client, audit, ITEM, "minor_nc", version=0).status_code == 200  # replayed from a tablet: no change
    assert session.exec(select(Finding)).all() == []  # nothing drafted behind the auditor's back
    refused = status(client, audit, "reporting")
    assert refused.status_code == 409 and "5.2-3" in refused.json()["detail"]
    page = client.get(f"/audits/{audit.id}/report")
    assert "Items with a nonconformity verdict and no finding" in page.text and "5.2-3" in page.text
    assert f"/audits/{audit.id}/findings/new?item_id={ITEM}" in page.text.replace("&amp;", "&")

    # a finding of another grade does not resolve it, and is itself a contradiction
    major = raise_finding(client, audit, item_id=ITEM, kind="major_nc", statement="Politikken er ukendt")
    assert major.status_code == 201
    conflicts = audits.verdict_conflicts(session=session, audit=audit)
    assert [(c.code, c.verdict, c.finding_number) for c in conflicts] == [
        ("5.2-3", "minor_nc", None),
        ("5.2-3", "minor_nc", 1),
    ]
    assert status(client, audit, "reporting").status_code == 409

    fixed = client.put(
        f"/api/v1/audits/{audit.id}/findings/{major.json()['id']}",
        json={"item_id": ITEM, "kind": "minor_nc", "statement": "Politikken er ukendt"},
    )
    assert fixed.status_code == 200
    assert audits.verdict_conflicts(session=session, audit=audit) == []
    assert status(client, audit, "reporting").status_code == 200
    assert "Items with a nonconformity verdict" not in client.get(f"/audits/{audit.id}/report").text


def test_a_nonconformity_finding_on_an_item_with_another_verdict_is_listed_in_danish(
    client, login, lead, make_audit, session
):
    audit = make_audit()
    assert answer(client, audit, OTHER_ITEM, "conform").status_code == 200
    assert raise_finding(client, audit, item_id=OTHER_ITEM, kind="minor_nc", statement="x").status_code == 201
    assert status(client, audit, "reporting").status_code == 409
    danish = login(lead, language="da").get(f"/audits/{audit.id}/report")
    assert "Punkter med afvigelse uden fund" in danish.text and "F-001" in danish.text
    # the web form sends the auditor to the list instead of a bare error
    moved = client.post(f"/audits/{audit.id}/status", data={"status": "reporting"}, follow_redirects=False)
    assert moved.status_code == 303 and moved.headers["location"].endswith("/report#conflicts")


def test_the_demo_has_a_finding_for_every_nonconformity_verdict(session, library, settings):
    audit = create_demo(session=session, library=library).audit
    assert audits.verdict_conflicts(session=session, audit=audit) == []
    for lang in ("da", "en"):
        context = build_report_context(
            session=session, audit=audit, kind="audit_report", lang=lang, policy=settings.deadline_policy
        )
        verdicts = {c.code: c.count for c in context["statistics"].by_verdict}
        nonconformities = context["nonconformities"]
        assert verdicts["minor_nc"] == len(nonconformities) == 3
        assert all(f.case is not None for f in nonconformities)
        assert context["verdict_conflicts"] == []


# 2. Findings carry their own tags and sites


def test_tags_are_suggested_not_copied_and_the_only_site_is_the_default(
    client, session, library, admin, make_organisation
):
    organisation = make_organisation(sites=("Aarhus lager",))
    site = organisations.sites_of(session=session, organisation_id=organisation.id).items[0]
    audit = audits.create_audit(
        session=session,
        actor=admin,
        library=library,
        data=AuditIn(
            title="Med p-enhed",
            audit_type="surveillance",
            organisation_id=organisation.id,
            site_ids=[site.id],
            start_date=date(2026, 12, 1),
            end_date=date(2026, 12, 1),
            checklists=["iso45003-clauses"],
        ),
    )
    item = "iso45003.6.1.2.coverage"  # tagged with every BEK 1406 factor of chapter 3
    draft = findings.draft_finding(session=session, audit=audit, item_id=item)
    assert draft["tags"] == {} and len(draft["suggested_tags"]["bek1406"]) > 1 and draft["site_ids"] == [site.id]
    raised = raise_finding(client, audit, item_id=item, kind="minor_nc", statement="Følelsesmæssige krav")
    assert raised.status_code == 201
    assert raised.json()["tags"] == {} and raised.json()["site_ids"] == [site.id]
    confirmed = raise_finding(
        client,
        audit,
        item_id=item,
        kind="observation",
        statement="Kun følelsesmæssige krav",
        tags={"bek1406": ["emotional_demands"]},
        site_ids=[],
    )
    assert confirmed.json()["tags"]["bek1406"] == ["emotional_demands"] and confirmed.json()["site_ids"] == []
    other = make_organisation(name="Andet firma", sites=("Odense",))
    foreign = organisations.sites_of(session=session, organisation_id=other.id).items[0]
    refused = raise_finding(client, audit, kind="ofi", statement="x", site_ids=[foreign.id])
    assert refused.status_code == 422 and "site" in refused.text
    form = client.get(f"/audits/{audit.id}/findings/new?item_id={item}")
    assert 'class="check suggested"' in form.text and 'name="tags_bek1406" value="violence" checked' not in form.text


@pytest.fixture
def two_sites(session, library, admin, lead, make_organisation):
    """A stage 2 audit of two production units: a warehouse NC on emotional demands, a head-office observation, and an
    OFI that names no site."""
    organisation = make_organisation(sites=("Lager", "Kontor"))
    office, warehouse = organisations.sites_of(session=session, organisation_id=organisation.id).items  # by name
    audit = audits.create_audit(
        session=session,
        actor=admin,
        library=library,
        data=AuditIn(
            title="Certificeringsaudit trin 2",
            audit_type="stage2",
            organisation_id=organisation.id,
            site_ids=[warehouse.id, office.id],
            start_date=date(2026, 12, 1),
            end_date=date(2026, 12, 2),
            lead_auditor_id=lead.id,
            checklists=["iso45003-clauses"],
        ),
    )
    raised = [
        findings.create_finding(session=session, actor=admin, audit=audit, data=data)
        for data in (
            FindingIn(
                item_id="iso45003.6.1.2.coverage",
                kind="minor_nc",
                statement="Chauffører",
                tags={"bek1406": ["emotional_demands"]},
                site_ids=[warehouse.id],
            ),
            FindingIn(kind="observation", statement="Kontor", site_ids=[office.id]),
            FindingIn(kind="ofi", statement="Intet sted"),
        )
    ]
    return audit, warehouse, office, raised


def test_counts_by_site_and_factor_come_from_the_findings_own(session, two_sites, settings):
    audit, warehouse, office, raised = two_sites
    assert raised[2].site_ids == []  # two sites: nobody said which
    results = reviews._audit_results(session, audit.organisation_id, date(2026, 1, 1), date(2026, 12, 31))
    by_site = {row["name"]: (row["findings"], row["nonconformities"]) for row in results["by_site"]}
    assert by_site == {"Kontor": (1, 0), "Lager": (1, 1)}
    assert results["site_not_stated"] == {"findings": 1, "nonconformities": 0}
    assert results["by_bek1406"]["emotional_demands"] == 1
    assert results["by_bek1406"]["violence"] == results["by_bek1406"]["offensive_behaviour"] == 0
    for lang, not_stated in (("en", "Not stated"), ("da", "Ikke angivet")):
        context = build_report_context(
            session=session, audit=audit, kind="audit_report", lang=lang, policy=settings.deadline_policy
        )
        assert [f.sites for f in context["findings"]] == ["Lager", "Kontor", not_stated]
        assert [(s.site, s.findings, s.nonconformities) for s in context["findings_by_site"]] == [
            ("Kontor", 1, 0),
            ("Lager", 1, 1),
            (not_stated, 1, 0),
        ]


# 3. Carry-over does not steal


def test_planning_another_audit_does_not_move_a_case_chosen_for_one(session, two_sites, make_audit, admin, lead):
    audit, warehouse, office, raised = two_sites
    organisation = session.get(Organisation, audit.organisation_id)
    case = cases.case_for_finding(session=session, finding_id=raised[0].id)
    surveillance = make_audit(
        organisation=organisation, title="Overvågning 2027", start_date=date(2027, 6, 1), end_date=date(2027, 6, 1)
    )
    assert case.verify_in_audit_id == surveillance.id
    internal = make_audit(
        organisation=organisation,
        audit_type="internal",
        title="Intern audit",
        start_date=date(2027, 3, 1),
        end_date=date(2027, 3, 1),
    )
    later = make_audit(
        organisation=organisation, title="Overvågning 2028", start_date=date(2028, 6, 1), end_date=date(2028, 6, 1)
    )
    session.refresh(case)
    assert case.verify_in_audit_id == surveillance.id  # neither the internal audit nor the newest one took it
    follow_ups = lambda audit_id: session.exec(  # noqa: E731
        select(PlanEntry.activity).where(PlanEntry.audit_id == audit_id, PlanEntry.kind == "case_follow_up")
    ).all()
    assert follow_ups(internal.id) == follow_ups(later.id) == [] and len(follow_ups(surveillance.id)) == 1
    assert not cases.fits_for_verification(session=session, case=case, audit=internal)
    stage1 = make_audit(
        organisation=organisation, audit_type="stage1", start_date=date(2027, 1, 1), end_date=date(2027, 1, 1)
    )
    assert not cases.fits_for_verification(session=session, case=case, audit=stage1)

    # a person moves it, with the trail
    with unit_of_work(session):
        cases.choose_verification_audit(session=session, actor=lead, case=case, audit=later)
    assert case.verify_in_audit_id == later.id
    assert follow_ups(surveillance.id) == [] and len(follow_ups(later.id)) == 1
    moved = session.exec(select(AuditEvent).where(AuditEvent.entity == "case", AuditEvent.action == "verify_in")).one()
    assert moved.before["verify_in_audit_id"] == surveillance.id and moved.after["verify_in_audit_id"] == later.id
    assert moved.actor_id == lead.id


def test_the_api_moves_the_verification_only_to_an_audit_that_fits(login, lead, session, two_sites, make_audit):
    audit, warehouse, office, raised = two_sites
    organisation = session.get(Organisation, audit.organisation_id)
    case = cases.case_for_finding(session=session, finding_id=raised[0].id)
    office_only = make_audit(
        organisation=organisation, start_date=date(2027, 6, 1), end_date=date(2027, 6, 1), site_ids=[office.id]
    )
    assert case.verify_in_audit_id is None  # the office audit does not cover the warehouse
    internal = make_audit(
        organisation=organisation, audit_type="internal", start_date=date(2027, 2, 1), end_date=date(2027, 2, 1)
    )
    client = login(lead)
    refused = client.post(f"/api/v1/cases/{case.id}/verify-in", json={"audit_id": internal.id})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "audit_id"
    both = make_audit(
        organisation=organisation,
        start_date=date(2027, 9, 1),
        end_date=date(2027, 9, 1),
        site_ids=[warehouse.id, office.id],
    )
    shown = client.get(f"/api/v1/cases/{case.id}").json()
    assert shown["verify_in_audit_id"] == both.id
    cleared = client.post(f"/api/v1/cases/{case.id}/verify-in", json={"audit_id": None})
    assert cleared.status_code == 200 and cleared.json()["verify_in_audit_id"] is None
    assert office_only.id != both.id


# 4. Decisions are not nonconformities


def test_case_prefixes_by_source_in_danish_and_english(session, make_organisation):
    organisation = make_organisation()
    opened = {
        source: cases.open_case(
            session=session, actor=None, organisation_id=organisation.id, statement="x", grade=grade, source=source
        )
        for source, grade in (
            ("management_review", "ofi"),
            ("incident", "minor_nc"),
            ("worker_report", "nc"),
            ("complaint", "observation"),
            ("other", "minor_nc"),
            ("audit", "minor_nc"),
        )
    }
    references = {
        source: (cases.case_reference(case, "da"), cases.case_reference(case, "en")) for source, case in opened.items()
    }
    assert references == {
        "management_review": ("LE-0001", "MR-0001"),
        "incident": ("HÆN-0002", "INC-0002"),
        "worker_report": ("HEN-0003", "WR-0003"),
        "complaint": ("KLA-0004", "CMP-0004"),
        "other": ("SAG-0005", "CASE-0005"),
        "audit": ("NC-0006", "NC-0006"),
    }


# 5. Corrective action (ISO 45001 10.2)


def test_a_case_records_the_investigation_and_the_communication_with_the_trail(login, session, two_sites, make_user):
    audit, warehouse, office, raised = two_sites
    organisation = session.get(Organisation, audit.organisation_id)
    manager = login(make_user("quality_manager", organisation=organisation))
    case = cases.case_for_finding(session=session, finding_id=raised[0].id)
    url = f"/api/v1/cases/{case.id}"
    refused = manager.post(f"{url}/correction", json={"correction": " ", "not_applicable": True})
    assert refused.status_code == 422
    corrected = manager.post(
        f"{url}/correction", json={"correction": "Ingen enkeltstående fejl at rette", "not_applicable": True}
    )
    assert corrected.status_code == 200 and corrected.json()["correction_not_applicable"] is True
    assert manager.post(f"{url}/investigation", json={"investigation_participants": ["boss"]}).status_code == 422
    assert manager.post(f"{url}/investigation", json={"communicated_on": "2026-11-01"}).status_code == 422
    assert manager.post(f"{url}/investigation", json={"apv_reviewed": True}).status_code == 422
    saved = manager.post(
        f"{url}/investigation",
        json={
            "investigation_participants": ["ohs_representative", "employees"],
            "extent": "Kontoret tjekket: ikke relevant dér",
            "apv_reviewed": True,
            "apv_reference": "APV lager 2026",
            "new_hazards_assessed": False,
            "system_changes": "Procedure P-12 ændret",
            "communicated_on": "2026-11-01",
            "communication": "AMO-møde",
        },
    )
    assert saved.status_code == 200, saved.text
    body = saved.json()
    assert body["investigation_participants"] == ["ohs_representative", "employees"]
    assert (body["apv_reviewed"], body["new_hazards_assessed"], body["communicated_on"]) == (True, False, "2026-11-01")
    partial = manager.post(f"{url}/investigation", json={"extent": "Også chauffører fra bureauet"})
    assert partial.json()["apv_reference"] == "APV lager 2026"  # fields left out keep their value
    event = session.exec(
        select(AuditEvent).where(AuditEvent.entity == "case", AuditEvent.action == "investigation")
    ).all()[0]
    assert event.after["extent"] == "Kontoret tjekket: ikke relevant dér" and event.before["extent"] == ""

    page = manager.get(f"/cases/{case.id}")
    assert "Investigation and follow-up (ISO 45001 10.2)" in page.text and "AMO-møde" in page.text
    form = manager.post(
        f"/cases/{case.id}/step/investigation",
        data={
            "investigation_participants": ["employees"],
            "extent": "Alt tjekket",
            "apv_reviewed": "no",
            "apv_reference": "APV lager 2026",
        },
        follow_redirects=False,
    )
    assert form.status_code == 303
    session.refresh(case)
    assert (case.investigation_participants, case.apv_reviewed) == (["employees"], False)

    for lang, expected in (
        ("en", ("Employees", "No: APV lager 2026")),
        ("da", ("Medarbejdere", "Nej: APV lager 2026")),
    ):
        context = build_report_context(session=session, audit=audit, kind="audit_report", lang=lang, policy={})
        facts = context["findings"][0].case
        assert (facts.participants, facts.risk_assessment) == expected
        assert facts.correction_not_applicable and facts.extent == "Alt tjekket"


def test_a_minor_nonconformity_still_open_after_its_audit_is_flagged(
    login, lead, session, two_sites, make_audit, settings
):
    audit, warehouse, office, raised = two_sites
    organisation = session.get(Organisation, audit.organisation_id)
    case = cases.case_for_finding(session=session, finding_id=raised[0].id)
    following = make_audit(organisation=organisation, start_date=date(2027, 6, 1), end_date=date(2027, 6, 2))
    assert case.verify_in_audit_id == following.id
    policy = settings.deadline_policy
    assert policy["minor_nc"]["escalate"] == "next_audit"
    assert not cases.case_row(session=session, case=case, policy=policy, today=date(2027, 6, 2)).escalated
    assert cases.case_row(session=session, case=case, policy=policy, today=date(2027, 6, 3)).escalated
    no_rule = {**policy, "minor_nc": {"plan": 30, "verification": "next_audit"}}
    assert not cases.case_row(session=session, case=case, policy=no_rule, today=date(2027, 6, 3)).escalated
    days = {**policy, "minor_nc": {"escalate": 10}}
    opened = case.opened_at.date()
    assert cases.case_row(
        session=session, case=case, policy=days, today=date.fromordinal(opened.toordinal() + 11)
    ).escalated

    # the board and the case page show it once the audit is over
    yesterday = date.today() - timedelta(days=1)
    following.start_date = following.end_date = yesterday
    case.opened_at = datetime(yesterday.year - 1, 1, 5, tzinfo=UTC)
    session.add_all([following, case])
    session.flush()
    client = login(lead, language="da")
    assert "Eskalér" in client.get(f"/cases/{case.id}").text
    assert "Eskalér" in client.get("/cases").text
    assert client.get(f"/api/v1/cases/{case.id}").json()["escalated"] is True


def test_the_demo_shows_sites_confirmed_tags_and_the_investigation(session, library):
    audit = create_demo(session=session, library=library).audit
    raised = findings.list_findings(session=session, audit=audit)
    sites = {s.id: s.name for s in audits.audit_sites(session=session, audit=audit)}
    assert all(f.site_ids for f in raised)
    assert {sites[i] for f in raised if f.kind in v.NONCONFORMITY_KINDS for i in f.site_ids} == {
        "Lager og distribution, Aarhus"
    }
    emotional = next(f for f in raised if f.statement == FINDINGS[1].statement)
    assert emotional.tags["bek1406"] == ["emotional_demands"]
    case = cases.case_for_finding(session=session, finding_id=raised[0].id)
    assert case.investigation_participants and case.extent and case.apv_reviewed and case.communication


def test_a_site_added_to_the_organisation_is_not_a_site_of_the_audit(session, client, two_sites):
    audit, warehouse, office, raised = two_sites
    organisation = session.get(Organisation, audit.organisation_id)
    organisations.add_site(session=session, actor=None, organisation=organisation, data=SiteIn(name="Ny"))
    new = organisations.sites_of(session=session, organisation_id=organisation.id).items[-1]
    assert raise_finding(client, audit, kind="ofi", statement="x", site_ids=[new.id]).status_code == 422
    assert not session.exec(select(Case).where(Case.source == "incident")).all()


def test_the_demo_shows_a_case_left_where_a_person_put_it_and_flagged_for_escalation(session, library, settings):
    audit = create_demo(session=session, library=library).audit
    Audit = type(audit)
    # the stage 2 audit's case (last year's surveillance raised one of its own, carried into this year's audit)
    earlier = session.exec(
        select(Case)
        .join(Audit, Audit.id == Case.audit_id)
        .where(Case.organisation_id == audit.organisation_id, Audit.audit_type == "stage2")
    ).one()
    surveillance = session.get(Audit, earlier.verify_in_audit_id)
    assert surveillance.audit_type == "surveillance" and surveillance.end_date < audit.start_date
    assert cases.case_row(session=session, case=earlier, policy=settings.deadline_policy).escalated
    this_years = cases.case_for_finding(
        session=session, finding_id=findings.list_findings(session=session, audit=audit)[0].id
    )
    assert not cases.case_row(session=session, case=this_years, policy=settings.deadline_policy).escalated
    follow_ups = session.exec(
        select(PlanEntry.activity).where(PlanEntry.audit_id == audit.id, PlanEntry.kind == "case_follow_up")
    ).all()
    reference = cases.case_reference(earlier, "en")
    assert follow_ups and not [a for a in follow_ups if a.startswith(f"{reference}: ")]  # this year's did not take it


def test_the_register_numbers_cases_in_its_own_language(client, session, make_organisation):
    organisation = make_organisation()
    cases.open_case(
        session=session,
        actor=None,
        organisation_id=organisation.id,
        statement="Ny APV",
        grade="ofi",
        source="management_review",
    )
    for lang, reference in (("da", "LE-0001"), ("en", "MR-0001")):
        exported = client.get("/api/v1/cases.csv", params={"lang": lang})
        assert exported.status_code == 200 and reference in exported.text
