"""The offline copy of an audit: everything conducting it needs, gathered for a tablet that will be without network."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from auditor.checklists import Checklist
from auditor.models import Audit, Evidence, Finding, Photo, Response, User
from auditor.services import access, evidence, findings, photos, responses
from auditor.services.checklists import audit_structure


@dataclass(frozen=True)
class OfflineCopy:
    audit: Audit
    permissions: frozenset[access.Can]
    checklists: list[Checklist]  # frozen when the audit was planned
    answers: list[Response]
    editors: dict[int | None, str]  # who saved the answers, by user id
    evidence: list[Evidence]  # what the user may see
    findings: list[Finding]
    photos: list[Photo]  # what the user may see, on items and findings


def offline_copy(*, session: Session, actor: User, audit: Audit) -> OfflineCopy:
    """The audit as the actor may see it, for their tablet: only the audit team keeps one (access.Can.WORK_OFFLINE)."""
    access.require_audit(session=session, user=actor, audit=audit, can=access.Can.WORK_OFFLINE)
    answers = responses.list_responses(session=session, audit=audit).items
    return OfflineCopy(
        audit=audit,
        permissions=access.audit_permissions(session=session, user=actor, audit=audit),
        checklists=[checklist for _, checklist in audit_structure(session=session, audit=audit).checklists],
        answers=answers,
        editors=responses.editor_names(session=session, answers=answers, actor=actor),
        evidence=evidence.list_evidence(session=session, actor=actor, audit=audit).items,
        findings=findings.list_findings(session=session, audit=audit),
        photos=photos.list_photos(session=session, actor=actor, audit=audit).items,
    )
