"""Demo data: a fictional Danish company, its stage 2 audit a year ago (two production units, a Danish recognised
certificate, a minor nonconformity whose actions are implemented) and a surveillance audit half conducted that
verified that nonconformity on site, in Danish. The certification body granted the certificate a month after stage 2
and maintained it after last year's surveillance: the client's certification programme is in the second year of its
cycle, with the second surveillance's window open.

Idempotent: running it again finds the demo audit and changes nothing. Interviewees are roles, never names.
All in the caller's transaction (the CLI's `demo` is one unit of work): a demo is made whole or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlmodel import Session, select

from auditor import vocabulary
from auditor.checklists import Library, TagLists
from auditor.config import Settings
from auditor.models import Audit, AuditorCompetence, Case, Organisation, User
from auditor.schemas import (
    AccompanyingPerson,
    AuditIn,
    CaseFollowUpIn,
    DecisionIn,
    EvidenceIn,
    FindingIn,
    OrganisationIn,
    PlanEntryIn,
    ProductionUnitIn,
    ProgrammeIn,
    ReportDetails,
    ResponseIn,
    SiteIn,
)
from auditor.services import (
    accounts,
    audits,
    cases,
    evidence,
    findings,
    follow_ups,
    organisations,
    programmes,
    responses,
    reviews,
)

ORGANISATION = "Nordlys Logistik A/S (demo)"
TITLE = "Overvågningsaudit 2026 – psykisk arbejdsmiljø"
STAGE2_TITLE = "Stage 2-audit – psykisk arbejdsmiljø"
STAGE2_FINDING = FindingIn(
    item_id="iso45003.8.1.3.change-assessment",
    kind="minor_nc",
    requirement="Ændringer skal vurderes for psykosociale risici, før de gennemføres (ISO 45001 8.1.3).",
    statement="Flytningen af kundeservice til Vejle blev gennemført uden vurdering af de psykosociale risici.",
    evidence="Projektplan for flytningen (2025); interview med kundeservicechefen.",
)

# item id -> (verdict, note). The first half of the ISO 45003 checklist (clauses 4-7) is answered.
ANSWERS = {
    "iso45003.4.1.1.context-analysis": (
        "conform",
        "Kontekstanalyse fra marts 2026 gennemgået. Nævner sæsonudsving, kundekrav om levering samme dag og brug af vikarer.",
    ),
    "iso45003.4.1.1.core-task": ("conform", ""),
    "iso45003.4.1.1.context-to-action": (
        "observation",
        "Ledelsen kunne ikke give et konkret eksempel på, at analysen har ændret indsatsen. Følges op næste år.",
    ),
    "iso45003.4.1.2.customer-demands": (
        "conform",
        "Kundekrav om svartid indgår i APV for kundeservice; chaufførers kontakt med utilfredse kunder er beskrevet.",
    ),
    "iso45003.4.1.2.market-pressure": ("conform", ""),
    "iso45003.4.1.2.contractors-shared": (
        "minor_nc",
        "Vikarer fra bureau indgår ikke i APV for lageret, selv om de udgør ca. 30 % i højsæsonen.",
    ),
    "iso45003.4.1.3.internal-issues": ("conform", ""),
    "iso45003.4.1.3.existing-data": (
        "conform",
        "Sygefravær og personaleomsætning pr. afdeling bruges i den årlige arbejdsmiljødrøftelse.",
    ),
    "iso45003.4.1.3.own-policies": ("not_applicable", "Ikke relevant i dette besøgs stikprøve."),
    "iso45003.4.2.worker-needs": (
        "conform",
        "Trivselsmåling hvert andet år (svarprocent 81 %) og løbende drøftelse i AMO.",
    ),
    "iso45003.4.2.legal-requirements": (
        "conform",
        "Register over krav omfatter BEK 1406, BEK 65/2024 om APV og overenskomstens trivselsaftale.",
    ),
    "iso45003.4.2.hard-to-reach": (
        "ofi",
        "Natholdet deltager sjældent i AMO-møder. Overvej korte møder ved vagtskifte.",
    ),
    "iso45003.4.3.scope-coverage": ("conform", ""),
    "iso45003.4.3.exclusions": ("conform", "Ingen udeladelser."),
    "iso45003.4.3.certificate-units": ("conform", "Begge p-enheder på certifikatet er med i omfanget."),
    "iso45003.4.4.integration": ("conform", ""),
    "iso45003.4.4.process-owners": ("conform", "HR-chefen ejer processen; arbejdsmiljøkoordinator understøtter."),
    "iso45003.5.1.visible-commitment": (
        "conform",
        "Direktionen deltager i den årlige arbejdsmiljødrøftelse; referat fra maj 2026 set.",
    ),
    "iso45003.5.1.strategic-decisions": ("conform", ""),
    "iso45003.5.1.no-reprisal": (
        "conform",
        "Whistleblowerordning og mulighed for anonym henvendelse til AMR bekræftet ved interview.",
    ),
    "iso45003.5.1.deprioritising": (
        "good_practice",
        "I højsæsonen 2025 blev interne projekter udskudt for at aflaste lageret. Besluttet i direktionen, dokumenteret i referat.",
    ),
    "iso45003.5.2.policy-content": ("conform", ""),
    "iso45003.5.2.commitments": ("conform", "Politikken omtaler krænkende handlinger, vold og trusler fra kunder."),
    "iso45003.5.2.communicated": (
        "minor_nc",
        "Tre af fire medarbejdere på lageret kendte ikke politikken. Den findes kun på intranettet, som lagermedarbejdere sjældent bruger.",
    ),
    "iso45003.5.2.review": ("conform", ""),
    "iso45003.5.3.layer-responsibilities": ("conform", ""),
    "iso45003.5.3.first-line-authority": (
        "observation",
        "Holdledere på lageret oplever ikke at kunne omprioritere opgaver uden driftschefens godkendelse.",
    ),
    "iso45003.5.3.managers-know": ("conform", ""),
    "iso45003.5.4.consultation": ("conform", "AMO hørt før indførelse af nyt pluksystem; referat set."),
    "iso45003.5.4.barriers": ("conform", ""),
    "iso45003.5.4.decision-sample": (
        "good_practice",
        "Stikprøve af tre beslutninger: alle med dokumenteret høring i AMO før beslutningen.",
    ),
    "iso45003.6.1.1.risks-opportunities": ("conform", ""),
    "iso45003.6.1.1.results-to-plans": ("conform", ""),
    "iso45003.6.1.1.plan-evaluation": ("ofi", ""),
    "iso45003.6.1.2.methods": ("conform", "APV, trivselsmåling, fraværsdata og hændelsesregistrering."),
    "iso45003.6.1.2.coverage": (
        "minor_nc",
        "Kortlægningen dækker ikke høje følelsesmæssige krav hos chauffører, der møder vrede kunder.",
    ),
    "iso45003.6.1.2.risk-assessment": ("conform", ""),
    "iso45003.6.1.2.triggers": ("conform", "Ny vurdering udløst ved flytning af kundeservice i 2025."),
    "iso45003.6.1.2.team-sample": (
        "observation",
        "Stikprøve: lagerhold B. Interview med medarbejdere peger på højere tidspres end risikovurderingen viser.",
    ),
    "iso45003.6.2.measurable": ("conform", ""),
    "iso45003.6.2.planning": ("conform", ""),
    "iso45003.6.2.progress": ("conform", ""),
    "iso45003.6.2.annual-discussion": ("conform", ""),
    "iso45003.7.1.resources": ("conform", ""),
    "iso45003.7.1.workload-resources": ("conform", "Ekstra bemanding i højsæson aftalt med vikarbureau."),
    "iso45003.7.1.tools-information": ("conform", ""),
}

EVIDENCE = [
    (
        "iso45003.4.1.2.contractors-shared",
        EvidenceIn(
            method="document",
            summary="APV for lageret 2026, afsnit 2: omfatter kun fastansatte.",
            reference="APV-LAGER-2026",
        ),
    ),
    (
        "iso45003.4.1.2.contractors-shared",
        EvidenceIn(
            method="interview_group",
            summary="Vikarer fortæller, at de ikke er blevet spurgt om arbejdsmiljøet.",
            interviewee_role="employees",
            interviewee_count=3,
        ),
    ),
    (
        "iso45003.5.2.communicated",
        EvidenceIn(
            method="interview_group",
            summary="Tre af fire kendte ikke politikken for det psykiske arbejdsmiljø.",
            interviewee_role="employees",
            interviewee_count=4,
        ),
    ),
    (
        "iso45003.5.1.visible-commitment",
        EvidenceIn(
            method="document",
            summary="Referat af årlig arbejdsmiljødrøftelse med direktionen.",
            reference="Referat 2026-05-12",
        ),
    ),
    (
        "iso45003.5.3.first-line-authority",
        EvidenceIn(
            method="interview_individual",
            summary="Holdleder beskriver, at omprioritering kræver godkendelse.",
            interviewee_role="first_line_management",
            interviewee_count=1,
        ),
    ),
    (
        "iso45003.5.3.first-line-authority",
        EvidenceIn(
            method="interview_individual",
            confidential=True,
            interviewee_role="first_line_management",
            interviewee_count=1,
            summary="Fortæller i fortrolighed om en konflikt med driftschefen, som har belastet holdet i flere måneder.",
        ),
    ),
    (
        "iso45003.6.1.2.coverage",
        EvidenceIn(
            method="interview_group",
            summary="Chauffører beskriver jævnlige konfrontationer med vrede modtagere.",
            interviewee_role="employees",
            interviewee_count=5,
        ),
    ),
    (
        "iso45003.6.1.2.coverage",
        EvidenceIn(
            method="document",
            summary="Risikovurdering 2026 nævner ikke følelsesmæssige krav for chauffører.",
            reference="RV-2026-03",
        ),
    ),
    ("iso45003.5.4.decision-sample", EvidenceIn(method="records", summary="AMO-referater jan.–juni 2026.")),
]

WAREHOUSE, HEAD_OFFICE = "Lager og distribution, Aarhus", "Hovedkontor, Vejle"

# Each finding's own tags (a person's choice; the items suggest more) and its own sites (by name).
FINDINGS = [
    FindingIn(
        item_id="iso45003.4.1.2.contractors-shared",
        kind="minor_nc",
        requirement="Vikarer og andre, der arbejder under virksomhedens ledelse, skal være omfattet af kortlægningen af psykosociale risici.",
        statement="Vikarer på lageret er ikke omfattet af APV'en, selv om de udgør en stor del af bemandingen i højsæsonen.",
        evidence="APV for lageret 2026 afsnit 2; gruppeinterview med tre vikarer.",
        tags=TagLists(hazards=["org.security"], actors=["temporary_workers"]),
    ),
    FindingIn(
        item_id="iso45003.6.1.2.coverage",
        kind="minor_nc",
        requirement="Kortlægningen skal dække alle relevante psykosociale farer for alle medarbejdergrupper (BEK 1406 kap. 3).",
        statement="Høje følelsesmæssige krav ved kundekontakt er ikke kortlagt for chaufførerne.",
        evidence="Risikovurdering RV-2026-03; gruppeinterview med fem chauffører.",
        tags=TagLists(bek1406=["emotional_demands"], hazards=["org.demands"], actors=["employees"]),
    ),
    FindingIn(
        item_id="iso45003.5.3.first-line-authority",
        kind="observation",
        statement="Holdledere har ikke klare beføjelser til at omprioritere opgaver ved spidsbelastning.",
        evidence="Interview med holdleder på lageret.",
        tags=TagLists(hazards=["org.control"], actors=["first_line_management"]),
    ),
    FindingIn(
        item_id="iso45003.5.4.decision-sample",
        kind="good_practice",
        statement="Konsekvent høring af AMO før beslutninger, der påvirker arbejdsmiljøet.",
        evidence="AMO-referater januar-juni 2026.",
        tags=TagLists(actors=["cooperation_bodies"]),
    ),
    FindingIn(
        item_id="iso45003.5.2.communicated",
        kind="minor_nc",
        requirement="Politikken for det psykiske arbejdsmiljø skal kommunikeres, så medarbejderne kender den (ISO 45001 5.2).",
        statement="Lagermedarbejderne kender ikke arbejdsmiljøpolitikken; den findes kun på intranettet.",
        evidence="Interview med fire lagermedarbejdere, hvoraf tre ikke kendte politikken.",
        tags=TagLists(actors=["employees"]),
    ),
]
FINDING_SITES = [[WAREHOUSE], [WAREHOUSE], [WAREHOUSE], [WAREHOUSE, HEAD_OFFICE], [WAREHOUSE]]


# (e-mail, name, role, member of the client organisation?)
USERS = [
    ("admin@auditor.example", "Demo-administrator", "admin", False),
    ("lead@auditor.example", "Mette Lund", "lead_auditor", False),
    ("auditor@auditor.example", "Jonas Krogh", "auditor", False),
    ("kvalitet@nordlys.example", "Kvalitets- og arbejdsmiljøansvarlig (demo)", "quality_manager", True),
    ("handling@nordlys.example", "Driftschef (demo)", "action_owner", True),
    ("ledelse@nordlys.example", "Direktion (demo)", "viewer", True),
]


def _surveillance_last_year(
    *, session: Session, library: Library, lead: User, decider: User, organisation: Organisation, today: date
) -> Case:
    """Last year's surveillance audit of the warehouse, closed. It was chosen to verify the stage 2 audit's
    nonconformity, which is still open, so the board flags that case for escalation and planning this year's audit
    leaves it where it was put (carry-over does not steal). It raised a minor nonconformity of its own, which this
    year's audit verifies on site; returns that case."""
    warehouse = next(
        s for s in organisations.sites_of(session=session, organisation_id=organisation.id).items if s.name == WAREHOUSE
    )
    start = today - timedelta(days=365)
    audit = audits.create_audit(
        session=session,
        actor=lead,
        library=library,
        data=AuditIn(
            title=f"Overvågningsaudit {start.year} – psykisk arbejdsmiljø",
            audit_type="surveillance",
            organisation_id=organisation.id,
            site_ids=[warehouse.id],
            start_date=start,
            end_date=start,
            lead_auditor_id=lead.id,
            report_language="da",
            checklists=["iso45003-clauses"],
        ),
    )
    item = "iso45003.6.2.annual-discussion"
    responses.save_response(
        session=session, actor=lead, audit=audit, item_id=item, data=ResponseIn(verdict="minor_nc", version=0)
    )
    finding = findings.create_finding(
        session=session,
        actor=lead,
        audit=audit,
        data=FindingIn(
            item_id=item,
            kind="minor_nc",
            statement="Den årlige arbejdsmiljødrøftelse omfatter ikke natholdet på lageret.",
            evidence="Referat af arbejdsmiljødrøftelsen; interview med to medarbejdere fra natholdet.",
            tags=TagLists(hazards=["org.hours"], actors=["employees"]),
        ),
    )
    case = cases.case_for_finding(session=session, finding_id=finding.id)
    if case is None:
        raise RuntimeError("raising a nonconformity opened no case")
    case.opened_at = datetime.combine(start, time(12, 0), tzinfo=UTC)
    session.add(case)
    session.flush()
    for status in ("in_progress", "reporting", "closed"):
        if audit.status != status:  # answering moved it to in progress already
            audits.change_status(session=session, actor=lead, audit=audit, status=status)
        if status == "reporting":
            _decide(session=session, actor=decider, audit=audit, outcome="maintain", today=today)
    return case


@dataclass
class Demo:
    audit: Audit
    created: bool
    passwords: list[tuple[str, str, str]]  # (e-mail, role, password) of users created now; shown once


def create_demo(*, session: Session, library: Library, today: date | None = None) -> Demo:
    """The demo audit and users, created if they are not there yet."""
    organisation = session.exec(select(Organisation).where(Organisation.name == ORGANISATION)).first()
    if organisation is None:
        organisation = organisations.create_organisation(
            session=session,
            actor=None,
            data=OrganisationIn(
                name=ORGANISATION,
                cvr="12345678",
                address="Havnevej 12, 8000 Aarhus C",
                sites=[
                    SiteIn(name=WAREHOUSE, p_number="1012345678"),
                    SiteIn(name=HEAD_OFFICE, p_number="1012345679"),
                ],
            ),
        )
    passwords = []
    users: dict[str, User] = {}
    for email, name, role, member in USERS:
        user = accounts.find_user(session=session, email=email)
        if user is None:
            password = accounts.temporary_password()
            user, _ = accounts.create_user(
                session=session,
                actor=None,
                email=email,
                name=name,
                role=role,
                organisation_id=organisation.id if member else None,
                password=password,
            )
            passwords.append((email, role, password))
        users[role] = user
    existing = session.exec(
        select(Audit).join(Organisation).where(Organisation.name == ORGANISATION, Audit.title == TITLE)
    ).first()
    if existing is not None:
        return Demo(existing, False, passwords)

    today = today or date.today()
    lead = users["lead_auditor"]
    # The lead auditor has passed the BEK 1407 course, so may lead an audit for a Danish recognised certificate.
    session.add(
        AuditorCompetence(
            user_id=lead.id,
            bek1407=vocabulary.Bek1407Basis.COURSE,
            bek1407_date=date(2024, 3, 1),
            technical_areas=["ISO 45001", "ISO 45003"],
            languages=["dansk", "English"],
        )
    )
    sites = organisations.sites_of(session=session, organisation_id=organisation.id).items
    stage2 = _stage2_audit(session=session, library=library, organisation=organisation, users=users, today=today)
    carried = _surveillance_last_year(
        session=session, library=library, lead=lead, decider=users["admin"], organisation=organisation, today=today
    )
    # The certification programme: its cycle from the stage 2 decision, now in its second year with the second
    # surveillance's window open; each cycle covers the ISO 45003 clauses and the external audit guide.
    programmes.set_programme(
        session=session,
        actor=lead,
        organisation=organisation,
        data=ProgrammeIn(kind="certification", checklists=["iso45003-clauses", "at-external-audit"]),
        library=library,
    )
    audit = _audit_of_every_site(
        session=session,
        library=library,
        organisation=organisation,
        users=users,
        title=TITLE,
        audit_type="surveillance",
        scope="Lager, distribution og kundeservice på begge p-enheder, inkl. vikarer og natholdet.",
        objectives="Vurdere om arbejdsmiljøledelsessystemet håndterer de psykosociale risici effektivt og opfylder ISO 45001 med ISO 45003 som vejledning.",
        criteria="DS/ISO 45001:2018, ISO 45003:2021 (vejledning), BEK nr. 1406 af 26/09/2020, virksomhedens egne procedurer.",
        start_date=today,
        end_date=today + timedelta(days=1),
        checklists=["iso45003-clauses", "at-external-audit"],
    )
    for day, start, end, kind, activity, role in (
        (today, time(9, 0), time(10, 30), "interview", "Strategisk ledelse", "Administrerende direktør"),
        (
            today,
            time(10, 45),
            time(12, 0),
            "site_tour",
            "Rundgang på lageret",
            "Driftschef og arbejdsmiljørepræsentant",
        ),
        (
            today,
            time(13, 0),
            time(14, 30),
            "interview",
            "Gruppeinterview med medarbejdere",
            "Lagermedarbejdere og vikarer",
        ),
        (
            today + timedelta(days=1),
            time(9, 0),
            time(10, 0),
            "interview",
            "Arbejdsmiljøorganisationen (AMO)",
            "Arbejdsmiljøorganisationen",
        ),
        (today + timedelta(days=1), time(13, 0), time(14, 0), "team_conference", "Forberedelse af konklusioner", ""),
    ):
        audits.add_plan_entry(
            session=session,
            actor=lead,
            audit=audit,
            data=PlanEntryIn(
                day=day,
                start_time=start,
                end_time=end,
                kind=kind,
                activity=activity,
                auditor=lead.name,
                auditee_role=role,
            ),
        )

    for item_id, (verdict, note) in ANSWERS.items():
        responses.save_response(
            session=session,
            actor=lead,
            audit=audit,
            item_id=item_id,
            data=ResponseIn(verdict=verdict, note=note, version=0),
        )
    for item_id, entry in EVIDENCE:
        evidence.add_evidence(session=session, actor=lead, audit=audit, item_id=item_id, data=entry)
    site_ids = {site.name: site.id for site in sites}
    raised = [
        findings.create_finding(
            session=session,
            actor=lead,
            audit=audit,
            data=finding.model_copy(update={"site_ids": [site_ids[name] for name in names]}),
        )
        for finding, names in zip(FINDINGS, FINDING_SITES, strict=True)
    ]
    # The client has started on the first nonconformity: correction, root cause, a plan the auditor accepted.
    case = cases.case_for_finding(session=session, finding_id=raised[0].id)
    if case is None:
        raise RuntimeError("raising a nonconformity opened no case")
    quality_manager, owner = users["quality_manager"], users["action_owner"]
    cases.record_correction(
        session=session,
        actor=quality_manager,
        case=case,
        correction="Vikarerne på lageret er spurgt med et kort spørgeskema; svarene indgår i APV'en.",
    )
    cases.record_root_cause(
        session=session,
        actor=quality_manager,
        case=case,
        method="five_whys",
        cause="APV-proceduren beskriver kun fastansatte; vikarer blev ikke nævnt, da proceduren blev skrevet i 2019.",
    )
    cases.add_action(
        session=session,
        actor=quality_manager,
        case=case,
        description="Ret APV-proceduren, så vikarer og indlejede altid er med.",
        owner_id=owner.id,
        due_date=today + timedelta(days=30),
        prevention_level="primary",
        scope="collective",
    )
    cases.add_action(
        session=session,
        actor=quality_manager,
        case=case,
        description="Aftal med vikarbureauet, at vikarer deltager i APV og trivselsmåling.",
        owner_id=owner.id,
        due_date=today + timedelta(days=45),
        prevention_level="primary",
        scope="collective",
    )
    cases.record_investigation(
        session=session,
        actor=quality_manager,
        case=case,
        values={
            "investigation_participants": ["ohs_representative", "temporary_workers", "first_line_management"],
            "participation_note": "Årsagen er fundet på et møde med arbejdsmiljørepræsentanten, en holdleder og to vikarer.",
            "extent": "Hovedkontoret er gennemgået: kundeservice bruger ikke vikarer, så afvigelsen findes ikke dér. Chaufførerne fra vikarbureauet er taget med.",
            "apv_reviewed": True,
            "apv_reference": "APV for lageret 2026, afsnit 2 (vikarer tilføjet)",
            "new_hazards_assessed": True,
            "new_hazards": "Ingen nye farer: handlingerne udvider kortlægningen og ændrer ikke arbejdet.",
            "system_changes": "APV-proceduren P-12 omfatter nu vikarer og indlejede.",
            "communicated_on": min(today, date.today()),
            "communication": "Orienteret på AMO-mødet og ved opslag i lagerets kantine.",
        },
    )
    cases.submit_plan(session=session, actor=quality_manager, case=case)
    cases.review_plan(session=session, actor=lead, case=case, accept=True)
    # Last year's nonconformity, carried over into this audit, verified on site.
    follow_ups.record_follow_up(
        session=session,
        actor=lead,
        audit=audit,
        case_id=carried.id,
        data=CaseFollowUpIn(
            checked="Referat af årets arbejdsmiljødrøftelse set: natholdet deltog med to repræsentanter; "
            "interview med to medarbejdere fra natholdet.",
            result="effective",
            verified_by_id=lead.id,
        ),
    )
    audits.update_report_details(
        session=session,
        actor=lead,
        audit=audit,
        data=ReportDetails(
            certificate_number=stage2.certificate_number,
            certificate_expiry=stage2.certificate_expiry,
            # no next audit's date: the report gives the programme's (the recertification audit's window)
            accompanying=[AccompanyingPerson(name="Ole Bach", role="technical_expert", remote=True)],
            significant_changes="Nyt natskift på lageret siden marts 2026.",
            combination="single",
        ),
    )
    _management_review(session=session, actor=quality_manager, organisation_id=organisation.id, today=today)
    return Demo(audit, True, passwords)


def _audit_of_every_site(
    *,
    session: Session,
    library: Library,
    organisation: Organisation,
    users: dict[str, User],
    title: str,
    audit_type: str,
    scope: str,
    objectives: str,
    criteria: str,
    start_date: date,
    end_date: date,
    checklists: list[str],
) -> Audit:
    """An audit of all the organisation's sites by the demo's lead auditor and auditor, reported in Danish."""
    lead = users["lead_auditor"]
    return audits.create_audit(
        session=session,
        actor=lead,
        library=library,
        data=AuditIn(
            title=title,
            audit_type=audit_type,
            organisation_id=organisation.id,
            site_ids=[s.id for s in organisations.sites_of(session=session, organisation_id=organisation.id).items],
            scope=scope,
            objectives=objectives,
            criteria=criteria,
            start_date=start_date,
            end_date=end_date,
            lead_auditor_id=lead.id,
            team_ids=[users["auditor"].id],
            report_language="da",
            checklists=checklists,
        ),
    )


def _stage2_audit(
    *, session: Session, library: Library, organisation: Organisation, users: dict[str, User], today: date
) -> Audit:
    """The stage 2 audit two years ago, of both production units, for the Danish recognised certificate; its minor
    nonconformity's actions are implemented, still waiting for last year's surveillance to verify them."""
    lead, quality_manager, owner = users["lead_auditor"], users["quality_manager"], users["action_owner"]
    sites = organisations.sites_of(session=session, organisation_id=organisation.id).items
    start = today - timedelta(days=730)
    audit = _audit_of_every_site(
        session=session,
        library=library,
        organisation=organisation,
        users=users,
        title=STAGE2_TITLE,
        audit_type="stage2",
        scope="Lager, distribution og kundeservice på begge p-enheder.",
        objectives="Vurdere om arbejdsmiljøledelsessystemet er implementeret og effektivt, før certificering.",
        criteria="DS/ISO 45001:2018, ISO 45003:2021 (vejledning), BEK nr. 1406 af 26/09/2020.",
        start_date=start,
        end_date=start + timedelta(days=2),
        checklists=["iso45003-clauses"],
    )
    audits.add_plan_entry(
        session=session,
        actor=lead,
        audit=audit,
        data=PlanEntryIn(
            day=start,
            start_time=time(9, 0),
            end_time=time(10, 0),
            kind="interview",
            activity="Interview med HR-chefen om APV og trivselsmåling",
            auditor=lead.name,
            auditee_role="HR-chef",
            remote=True,
        ),
    )
    responses.save_response(
        session=session,
        actor=lead,
        audit=audit,
        item_id=STAGE2_FINDING.item_id or "",
        data=ResponseIn(verdict="minor_nc", note=STAGE2_FINDING.statement, version=0),
    )
    finding = findings.create_finding(session=session, actor=lead, audit=audit, data=STAGE2_FINDING)
    audits.update_report_details(
        session=session,
        actor=lead,
        audit=audit,
        data=ReportDetails(
            summary="Ledelsessystemet er implementeret på begge p-enheder; én mindre afvigelse om ændringsstyring.",
            conclusion="Auditkriterierne er opfyldt med én mindre afvigelse.",
            recommendation="certify_after_minor_plans",
            auditee_representative="Administrerende direktør",
            certificate_number="DEMO-45001-0042",
            certificate_expiry=start + timedelta(days=3 * 365),
            next_audit_date=today - timedelta(days=365),
            accompanying=[AccompanyingPerson(name="Sara Holm", role="observer", remote=False)],
            significant_changes="Flytning af kundeservice fra Aarhus til Vejle planlagt til 2025.",
            combination="single",
            marks_control="Virksomheden bruger endnu ikke certifikatet eller mærket.",
            statements=dict.fromkeys(vocabulary.STATEMENTS.values, True),
            dk_certificate=True,
            bek1407_auditor_id=lead.id,
            md5_days=4,
            actual_days=4.5,
            psychosocial_hours=8,
            production_units=[
                ProductionUnitIn(
                    site_id=site.id,
                    material_hours=hours,
                    significant_problems="Ingen væsentlige arbejdsmiljøproblemer fundet.",
                )
                for site, hours in zip(sites, (1.5, 1), strict=False)
            ],
        ),
    )
    case = cases.case_for_finding(session=session, finding_id=finding.id)
    if case is None:
        raise RuntimeError("raising a nonconformity opened no case")
    # opened the day it was found, so last year's surveillance (planned next) takes it for verification
    case.opened_at = datetime.combine(start, time(12, 0), tzinfo=UTC)
    session.add(case)
    session.flush()
    cases.record_correction(
        session=session,
        actor=quality_manager,
        case=case,
        correction="Den nye vagtplan i kundeservice er risikovurderet sammen med AMR.",
    )
    cases.record_root_cause(
        session=session,
        actor=quality_manager,
        case=case,
        method="five_whys",
        cause="Proceduren for ændringsstyring nævnte kun fysiske ændringer, ikke organisatoriske.",
    )
    action = cases.add_action(
        session=session,
        actor=quality_manager,
        case=case,
        description="Udvid proceduren for ændringsstyring til organisatoriske ændringer med psykosocial vurdering.",
        owner_id=owner.id,
        due_date=start + timedelta(days=60),
        prevention_level="primary",
        scope="collective",
    )
    cases.submit_plan(session=session, actor=quality_manager, case=case)
    cases.review_plan(session=session, actor=lead, case=case, accept=True)
    cases.implement_action(
        session=session, actor=owner, case=case, action_id=action.id, note="Procedure rev. 3 godkendt i AMO."
    )
    while audit.status != vocabulary.AuditStatus.CLOSED:  # one step forward at a time
        if audit.status == vocabulary.AuditStatus.REPORTING:  # the certification body decides on the report
            _decide(session=session, actor=users["admin"], audit=audit, outcome="grant", today=today)
        audits.change_status(session=session, actor=lead, audit=audit, status=vocabulary.STATUS_FLOW[audit.status][0])
    return audit


def _decide(*, session: Session, actor: User, audit: Audit, outcome: str, today: date) -> None:
    """The certification decision a month after the audit, by the certification body's administrator (who was not on
    the audit team), after a technical review of the report."""
    decided_on = audit.end_date + timedelta(days=28)
    programmes.decide(
        session=session,
        actor=actor,
        audit=audit,
        data=DecisionIn(
            outcome=outcome,
            decided_on=decided_on,
            reviewed_on=decided_on - timedelta(days=3),
            review="Rapporten, teamets kompetencer (BEK 1407) og omfanget er gennemgået; afvigelsernes planer er accepteret.",
            reasons="Kriterierne er opfyldt; den mindre afvigelse har en accepteret handlingsplan.",
        ),
        today=today,
    )


def _management_review(*, session: Session, actor: User, organisation_id: int, today: date) -> None:
    """Management's review of the year up to the audit (ISO 45001 9.3): every input filled in, a decision that
    opens a case, approved by the CEO a week after the audit and communicated to AMO and MED."""
    review = reviews.create_review(
        session=session,
        actor=actor,
        organisation_id=organisation_id,
        period_start=date(today.year, 1, 1),
        period_end=today + timedelta(days=1),
        policy=Settings.model_fields["deadline_policy"].default,
        today=today,
    )
    meeting = today + timedelta(days=7)
    reviews.update_meeting(
        session=session,
        actor=actor,
        review=review,
        meeting_date=meeting,
        participants=[
            {"role": "Administrerende direktør", "name": "Anne Holm (demo)"},
            {"role": "Driftsdirektør", "name": "Peter Vang (demo)"},
            {"role": "HR-chef", "name": "Sofie Lind (demo)"},
            {"role": "Kvalitets- og arbejdsmiljøansvarlig", "name": actor.name},
            {"role": "Arbejdsmiljørepræsentant, lageret (AMO)", "name": "Karim Said (demo)"},
        ],
    )
    reviews.set_monitoring(
        session=session,
        actor=actor,
        review=review,
        rows=[
            {
                "period": f"{today.year} 1. halvår",
                "absence_percent": 5.2,
                "survey": "Trivselsmåling: 68/100; følelsesmæssige krav 54/100 (chauffører)",
                "injuries": 2,
            },
            {
                "period": f"{today.year} 2. halvår",
                "absence_percent": 4.6,
                "survey": "Pulsmåling: 71/100",
                "injuries": 1,
            },
        ],
    )
    reviews.set_compliance(
        session=session,
        actor=actor,
        review=review,
        rows=[
            {
                "date": date(today.year, 3, 14),
                "kind": "order",
                "reference": "AT 2026-041873",
                "description": "Påbud om at forebygge risiko for vold og trusler ved kundekontakt på lageret.",
                "status": "complied",
            },
            {
                "date": date(today.year, 9, 2),
                "kind": "guidance",
                "reference": "AT 2026-118220",
                "description": "Vejledning om høje følelsesmæssige krav i kundeservice.",
                "status": "open",
            },
        ],
    )
    reviews.update_manual(
        session=session,
        actor=actor,
        review=review,
        sections={
            "changes_in_issues": "Ny natholdsordning på lageret; flere vikarer i højsæsonen; BEK 1406 kortlagt i APV.",
            "objectives": "Målet om trivsel 70/100 er næsten nået (68 og 71). Målet om APV for alle grupper er ikke nået: vikarer mangler.",
            "consultation": "AMO behandlede APV og trivselsmåling i maj og oktober; MED-udvalget blev hørt om natholdet.",
            "compliance_evaluation": "Påbuddet om vold og trusler er efterkommet og lukket af Arbejdstilsynet. Kravene i BEK 1406 er "
            "opfyldt bortset fra kortlægningen af følelsesmæssige krav for chaufførerne (NC fra auditten).",
            "risks_opportunities": "Risiko: høje følelsesmæssige krav i kundeservice og hos chaufførerne. Mulighed: fælles "
            "APV-skabelon med vikarbureauet.",
            "resources": "En HR-konsulent på halv tid til APV-opfølgning fra januar.",
            "communications": "Dialog med Arbejdstilsynet om påbuddet; certificeringsorganets overvågningsaudit i november.",
            "suitability": "Systemet passer til virksomheden; vikarer og natholdet skal med i processerne.",
            "adequacy": "Systemet dækker ISO 45001 og BEK 1406, når APV-proceduren omfatter vikarer.",
            "effectiveness": "Delvis effektivt: påbuddet er efterkommet og fraværet falder, men to afvigelser viser huller i APV'en.",
        },
    )
    reviews.add_decision(
        session=session,
        actor=actor,
        review=review,
        text="Indfør en fælles APV-skabelon med vikarbureauet inden 1. marts.",
        needs_action=True,
    )
    reviews.add_decision(
        session=session, actor=actor, review=review, text="Trivselsmålet for næste år er 72/100.", needs_action=False
    )
    reviews.approve(
        session=session,
        actor=actor,
        review=review,
        approved_by="Anne Holm, administrerende direktør",
        approved_on=meeting,
    )
    reviews.record_communication(
        session=session,
        actor=actor,
        review=review,
        communicated_on=meeting + timedelta(days=3),
        communication="Referatet er gennemgået på AMO-mødet og i MED-udvalget og lagt på intranettet til alle medarbejdere.",
    )
