"""An organisation's audit programme and the certification decision after a certification audit."""

from __future__ import annotations

from fastapi import APIRouter

from auditor import vocabulary as v
from auditor.deps import AuditDep, CurrentUser, DecideAuditDep, LibraryDep, PathId, Planner, SessionDep
from auditor.errors import NotFound
from auditor.i18n import N_
from auditor.models import Audit, CertificationDecision
from auditor.routes.api.organisations import site_out
from auditor.routes.api.refusals import CHANGE_NAMED, NAMED
from auditor.schemas import (
    CertificateOut,
    DecisionIn,
    DecisionOut,
    ProgrammeAuditOut,
    ProgrammeIn,
    ProgrammeOut,
)
from auditor.services import organisations, programmes

router = APIRouter(tags=["programmes"])


def programme_out(session, found: programmes.Programme) -> ProgrammeOut:
    settings, certificate = found.settings, found.certificate
    sites = {
        site.id: site for site in organisations.sites_of(session=session, organisation_id=found.organisation.id).items
    }
    return ProgrammeOut(
        organisation_id=found.organisation.id,
        kind=found.kind,
        checklists=settings.checklists if settings else [],
        scope=settings.scope if settings else "",
        cycle_start=found.cycle_start,
        cycle_end=found.cycle_end,
        certificate=CertificateOut(
            number=certificate.number,
            status=certificate.status,
            expiry=certificate.expiry,
            scope=certificate.scope,
            sites=[site_out(sites[i]) for i in certificate.site_ids if i in sites],
            decided_on=certificate.decision.decided_on,
            audit_id=certificate.decision.audit_id,
        )
        if certificate
        else None,
        audits=[
            ProgrammeAuditOut(
                slot=entry.window.slot,
                audit_type=entry.window.audit_type,
                opens=entry.window.opens,
                closes=entry.window.closes,
                audit_id=entry.audit.id if entry.audit else None,
                title=entry.audit.title if entry.audit else None,
                status=entry.audit.status if entry.audit else None,
                start_date=entry.audit.start_date if entry.audit else None,
                checklists=entry.coverage.checklists if entry.coverage else [],
                clauses=entry.coverage.ordered_clauses if entry.coverage else [],
                site_ids=sorted(entry.coverage.site_ids) if entry.coverage else [],
                actors=[actor for actor in v.ACTORS.values if entry.coverage and actor in entry.coverage.actors],
            )
            for entry in found.audits
        ],
        uncovered_checklists=found.uncovered_checklists,
        uncovered_clauses=found.uncovered_clauses,
        uncovered_site_ids=[site.id for site in found.uncovered_sites],
        uncovered_actors=found.uncovered_actors,
    )


def decision_out(decision: CertificationDecision, audit: Audit) -> DecisionOut:
    return DecisionOut(
        **decision.model_dump(exclude={"organisation_id", "created_at"}),
        certificate_number=audit.certificate_number,
        certificate_expiry=audit.certificate_expiry,
    )


@router.get("/organisations/{organisation_id}/programme", responses=NAMED)
def show_programme(
    organisation_id: PathId, session: SessionDep, user: CurrentUser, library: LibraryDep
) -> ProgrammeOut:
    """The organisation's current cycle: each audit with its window and coverage, the certificate, what is uncovered."""
    organisation = organisations.get_organisation(session=session, actor=user, organisation_id=organisation_id)
    found = programmes.programme(session=session, organisation=organisation, library=library, today=programmes.today())
    return programme_out(session, found)


@router.put("/organisations/{organisation_id}/programme", responses=CHANGE_NAMED)
def set_programme(
    organisation_id: PathId, data: ProgrammeIn, session: SessionDep, user: Planner, library: LibraryDep
) -> ProgrammeOut:
    """Set the programme's kind and what each cycle must cover (those who may plan the organisation's audits)."""
    organisation = organisations.get_organisation(session=session, actor=user, organisation_id=organisation_id)
    programmes.set_programme(session=session, actor=user, organisation=organisation, data=data, library=library)
    found = programmes.programme(session=session, organisation=organisation, library=library, today=programmes.today())
    return programme_out(session, found)


@router.get("/audits/{audit_id}/certification-decision", responses=NAMED)
def show_decision(audit: AuditDep, session: SessionDep) -> DecisionOut:
    """The certification decision taken after the audit (404 while there is none)."""
    decision = programmes.decision_of(session=session, audit=audit)
    if decision is None:
        raise NotFound(N_("No certification decision has been taken after this audit yet."))
    return decision_out(decision, audit)


@router.post("/audits/{audit_id}/certification-decision", status_code=201, responses=CHANGE_NAMED)
def decide(audit: DecideAuditDep, data: DecisionIn, session: SessionDep, user: CurrentUser) -> DecisionOut:
    """Record the technical review and the certification decision (never by the audit team: 403 with the reason)."""
    decision = programmes.decide(session=session, actor=user, audit=audit, data=data, today=programmes.today())
    return decision_out(decision, audit)
