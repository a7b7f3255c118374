"""Audits: planning, status and the audit plan."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from auditor.deps import (
    AuditDep,
    CurrentUser,
    LibraryDep,
    PageDep,
    PathId,
    PlanAuditDep,
    Planner,
    SessionDep,
    send_page,
)
from auditor.models import Audit, Organisation
from auditor.routes.api.refusals import CHANGE_NAMED, NAMED
from auditor.schemas import (
    AuditChecklistOut,
    AuditIn,
    AuditOut,
    AuditSummaryOut,
    AuditUpdate,
    PlanEntryIn,
    PlanEntryOut,
    SiteOut,
    StatusIn,
    TeamMemberOut,
)
from auditor.services import audits
from auditor.vocabulary import AuditStatus

router = APIRouter(tags=["audits"])


def audit_out(session, audit: Audit) -> AuditOut:
    return AuditOut(
        **audit.model_dump(),
        organisation=session.get(Organisation, audit.organisation_id).name,
        sites=[
            SiteOut.model_validate(s, from_attributes=True) for s in audits.audit_sites(session=session, audit=audit)
        ],
        checklists=[
            AuditChecklistOut(id=s.checklist_id, version=s.version, title=s.title, item_count=s.item_count)
            for s in audits.audit_snapshots(session=session, audit=audit)
        ],
        progress=audits.audit_progress(session=session, audit=audit),
        team=[
            TeamMemberOut(user_id=user.id, name=user.name, role=role)
            for user, role in audits.audit_team(session=session, audit=audit)
        ],
    )


@router.get("/audits")
def list_audits(
    request: Request,
    response: Response,
    session: SessionDep,
    user: CurrentUser,
    page: PageDep,
    status: AuditStatus | None = None,
) -> list[AuditSummaryOut]:
    """The audits you may see, newest first, with progress; paged (Link and X-Total-Count headers)."""
    found = audits.list_audits(session=session, actor=user, status=status, page=page)
    return send_page(
        found.with_items(
            [
                AuditSummaryOut(
                    id=s.audit.id,
                    title=s.audit.title,
                    audit_type=s.audit.audit_type,
                    organisation=s.organisation,
                    start_date=s.audit.start_date,
                    end_date=s.audit.end_date,
                    status=s.audit.status,
                    progress=s.progress,
                )
                for s in found.items
            ]
        ),
        request,
        response,
    )


@router.post("/audits", status_code=201, responses=CHANGE_NAMED)
def create_audit(data: AuditIn, session: SessionDep, library: LibraryDep, user: Planner) -> AuditOut:
    """Plan an audit; its checklists are frozen at their current version."""
    return audit_out(session, audits.create_audit(session=session, actor=user, data=data, library=library))


@router.get("/audits/{audit_id}", responses=NAMED)
def show_audit(audit: AuditDep, session: SessionDep) -> AuditOut:
    """One audit with its sites, checklists and progress."""
    return audit_out(session, audit)


@router.patch("/audits/{audit_id}", responses=CHANGE_NAMED)
def update_audit(audit: PlanAuditDep, data: AuditUpdate, session: SessionDep, user: CurrentUser) -> AuditOut:
    """Change an audit's facts; fields left out stay as they are."""
    return audit_out(session, audits.update_audit(session=session, actor=user, audit=audit, data=data))


@router.post("/audits/{audit_id}/status", responses=CHANGE_NAMED)
def change_status(audit: PlanAuditDep, data: StatusIn, session: SessionDep, user: CurrentUser) -> AuditOut:
    """Move the audit to its next (or previous) status."""
    return audit_out(session, audits.change_status(session=session, actor=user, audit=audit, status=data.status))


@router.get("/audits/{audit_id}/plan", responses=NAMED)
def list_plan(
    request: Request, response: Response, audit: AuditDep, session: SessionDep, page: PageDep
) -> list[PlanEntryOut]:
    """The audit plan's agenda, in time order; paged (Link and X-Total-Count headers)."""
    found = audits.plan_entries(session=session, audit=audit, page=page)
    return send_page(
        found.with_items([PlanEntryOut.model_validate(e, from_attributes=True) for e in found.items]), request, response
    )


@router.post("/audits/{audit_id}/plan", status_code=201, responses=CHANGE_NAMED)
def create_plan_entry(audit: PlanAuditDep, data: PlanEntryIn, session: SessionDep, user: CurrentUser) -> PlanEntryOut:
    """Add a line to the audit plan."""
    return PlanEntryOut.model_validate(
        audits.add_plan_entry(session=session, actor=user, audit=audit, data=data), from_attributes=True
    )


@router.delete("/audits/{audit_id}/plan/{entry_id}", status_code=204, responses=CHANGE_NAMED)
def delete_plan_entry(audit: PlanAuditDep, entry_id: PathId, session: SessionDep, user: CurrentUser) -> Response:
    """Remove a line from the audit plan."""
    audits.delete_plan_entry(session=session, actor=user, audit=audit, entry_id=entry_id)
    return Response(status_code=204)
