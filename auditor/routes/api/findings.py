"""Findings raised in an audit."""

from __future__ import annotations

from fastapi import APIRouter, Response

from auditor.deps import AuditDep, ConductAuditDep, CurrentUser, FindingDep, SessionDep, SettingsDep
from auditor.models import Finding
from auditor.routes.api.cases import case_out
from auditor.schemas import CaseOut, FindingIn, FindingOut
from auditor.services import cases, findings

router = APIRouter(tags=["findings"])


def finding_out(session, finding: Finding) -> FindingOut:
    case = cases.case_for_finding(session=session, finding_id=finding.id)
    return FindingOut(**finding.model_dump(), reference=findings.finding_reference(finding), case_id=case.id if case else None)


@router.get("/audits/{audit_id}/findings")
def list_findings(audit: AuditDep, session: SessionDep, kind: str | None = None, clause: str | None = None) -> list[FindingOut]:
    """Findings of the audit, optionally by kind and by clause (a clause includes its sub-clauses)."""
    return [finding_out(session, f) for f in findings.list_findings(session=session, audit=audit, kind=kind, clause=clause)]


@router.post("/audits/{audit_id}/findings", status_code=201)
def create_finding(audit: ConductAuditDep, data: FindingIn, session: SessionDep, user: CurrentUser) -> FindingOut:
    """Raise a finding; clauses and tags default to the linked item's."""
    return finding_out(session, findings.create_finding(session=session, actor=user, audit=audit, data=data))


@router.get("/audits/{audit_id}/findings/{finding_id}")
def show_finding(finding: FindingDep, session: SessionDep) -> FindingOut:
    """One finding."""
    return finding_out(session, finding)


@router.put("/audits/{audit_id}/findings/{finding_id}")
def update_finding(audit: ConductAuditDep, finding: FindingDep, data: FindingIn, session: SessionDep, user: CurrentUser) -> FindingOut:
    """Replace a finding's content."""
    return finding_out(session, findings.update_finding(session=session, actor=user, audit=audit, finding=finding, data=data))


@router.delete("/audits/{audit_id}/findings/{finding_id}", status_code=204)
def delete_finding(audit: ConductAuditDep, finding: FindingDep, session: SessionDep, user: CurrentUser) -> Response:
    """Delete a finding."""
    findings.delete_finding(session=session, actor=user, audit=audit, finding=finding)
    return Response(status_code=204)


@router.post("/audits/{audit_id}/findings/{finding_id}/track", status_code=201)
def track_finding(audit: ConductAuditDep, finding: FindingDep, session: SessionDep, user: CurrentUser, settings: SettingsDep) -> CaseOut:
    """Follow an observation or OFI through the corrective-action chain, like a nonconformity."""
    return case_out(session, cases.track_finding(session=session, actor=user, audit=audit, finding=finding), settings.deadline_policy)
