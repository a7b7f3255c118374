"""Findings raised in an audit."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from auditor.deps import AuditDep, ConductAuditDep, CurrentUser, FindingDep, PageDep, SessionDep, SettingsDep, send_page
from auditor.models import Audit, Finding, Photo
from auditor.paging import page_of
from auditor.routes.api.cases import case_out
from auditor.routes.api.photos import photo_out
from auditor.routes.api.refusals import CHANGE, NAMED
from auditor.schemas import CaseOut, FindingIn, FindingOut, NewFindingIn
from auditor.services import cases, findings, photos
from auditor.vocabulary import FindingKind

router = APIRouter(tags=["findings"], responses=NAMED)


def finding_out(session, user, audit: Audit, finding: Finding, finding_photos: list[Photo] | None = None) -> FindingOut:
    """The finding with its case and the photos the user may see (pass them when they are already loaded)."""
    case = cases.case_for_finding(session=session, finding_id=finding.id)
    if finding_photos is None:
        finding_photos = photos.list_photos(session=session, actor=user, audit=audit, finding_id=finding.id).items
    return FindingOut(
        **finding.model_dump(),
        reference=findings.finding_reference(finding),
        case_id=case.id if case else None,
        photos=[photo_out(p) for p in finding_photos],
    )


@router.get("/audits/{audit_id}/findings")
def list_findings(
    request: Request,
    response: Response,
    audit: AuditDep,
    session: SessionDep,
    user: CurrentUser,
    page: PageDep,
    kind: FindingKind | None = None,
    clause: str | None = None,
) -> list[FindingOut]:
    """Findings of the audit with their photos, optionally by kind and by clause (a clause includes its sub-clauses);
    paged (Link and X-Total-Count headers)."""
    found = page_of(session, findings.findings_query(audit=audit, kind=kind, clause=clause), page)
    by_finding = photos.photos_by_finding(session=session, actor=user, audit=audit)
    return send_page(
        found.with_items([finding_out(session, user, audit, f, by_finding.get(f.id, [])) for f in found.items]),
        request,
        response,
    )


@router.post("/audits/{audit_id}/findings", status_code=201, responses=CHANGE)
def create_finding(audit: ConductAuditDep, data: NewFindingIn, session: SessionDep, user: CurrentUser) -> FindingOut:
    """Raise a finding; clauses and tags default to the linked item's; `photo_ids` (the item's photos, say) are copied
    onto it. Sent again with the same `client_id`: 201 with the finding raised the first time."""
    raised = findings.create_finding(
        session=session, actor=user, audit=audit, data=data, client_id=data.client_id, photo_ids=data.photo_ids
    )
    return finding_out(session, user, audit, raised)


@router.get("/audits/{audit_id}/findings/{finding_id}")
def show_finding(audit: AuditDep, finding: FindingDep, session: SessionDep, user: CurrentUser) -> FindingOut:
    """One finding with its photos."""
    return finding_out(session, user, audit, finding)


@router.put("/audits/{audit_id}/findings/{finding_id}", responses=CHANGE)
def update_finding(
    audit: ConductAuditDep, finding: FindingDep, data: FindingIn, session: SessionDep, user: CurrentUser
) -> FindingOut:
    """Replace a finding's content."""
    return finding_out(
        session,
        user,
        audit,
        findings.update_finding(session=session, actor=user, audit=audit, finding=finding, data=data),
    )


@router.delete("/audits/{audit_id}/findings/{finding_id}", status_code=204, responses=CHANGE)
def delete_finding(audit: ConductAuditDep, finding: FindingDep, session: SessionDep, user: CurrentUser) -> Response:
    """Delete a finding."""
    findings.delete_finding(session=session, actor=user, audit=audit, finding=finding)
    return Response(status_code=204)


@router.post("/audits/{audit_id}/findings/{finding_id}/track", status_code=201, responses=CHANGE)
def track_finding(
    audit: ConductAuditDep, finding: FindingDep, session: SessionDep, user: CurrentUser, settings: SettingsDep
) -> CaseOut:
    """Follow an observation or OFI through the corrective-action chain, like a nonconformity."""
    return case_out(
        session,
        cases.track_finding(session=session, actor=user, audit=audit, finding=finding),
        settings.deadline_policy,
    )
