"""The offline copy of an audit, for a tablet that will conduct it without network (field mode)."""

from __future__ import annotations

import hashlib

from fastapi import APIRouter, Request, Response

from auditor import vocabulary as v
from auditor.deps import CurrentUser, OfflineAuditDep, SessionDep
from auditor.i18n import LOCALES, translate
from auditor.models import utcnow
from auditor.routes.api.audits import audit_out
from auditor.routes.api.checklists import checklist_out
from auditor.routes.api.findings import finding_out
from auditor.routes.api.photos import photo_out
from auditor.routes.api.refusals import NAMED
from auditor.routes.api.responses import answer_out, evidence_out
from auditor.schemas import ChoiceOut, OfflineCopyOut
from auditor.services import offline, photos

router = APIRouter(tags=["field mode"], responses=NAMED)


@router.get(
    "/audits/{audit_id}/offline",
    response_model=OfflineCopyOut,
    responses={304: {"description": "Nothing changed since the `version` sent in If-None-Match"}},
)
def show_offline_copy(request: Request, audit: OfflineAuditDep, session: SessionDep, user: CurrentUser) -> Response:
    """Everything conducting the audit needs, in one document, for the audit team: its facts, frozen checklists (both
    languages), the verdicts, the states of step items and other choices, every answer (with version and who saved it), the evidence, findings
    and photos you may see. Its `version` is also the ETag: send it as If-None-Match and get 304 if nothing changed."""
    copy = offline.offline_copy(session=session, actor=user, audit=audit)
    by_finding = photos.photos_by_finding(session=session, actor=user, audit=audit)
    content = OfflineCopyOut(
        version="",
        generated_at=utcnow(),
        user_id=user.id,
        permissions=sorted(copy.permissions),
        audit=audit_out(session, audit),
        checklists=[checklist_out(checklist) for checklist in copy.checklists],
        verdicts=[choice_out(c) for c in v.verdicts_for(audit.audit_type)],
        step_states=[choice_out(c) for c in v.STEP_STATES],
        finding_kinds=[choice_out(c) for c in v.finding_kinds_for(audit.audit_type)],
        evidence_methods=[choice_out(c) for c in v.EVIDENCE_METHODS],
        interviewee_roles=[choice_out(c) for c in v.ACTORS],
        answers=[answer_out(answer, copy.editors.get(answer.updated_by_id)) for answer in copy.answers],
        evidence=[evidence_out(entry) for entry in copy.evidence],
        findings=[
            finding_out(session, user, audit, finding, by_finding.get(finding.id, [])) for finding in copy.findings
        ],
        photos=[photo_out(photo) for photo in copy.photos],
    )
    # The version is a digest of everything but itself and the time: the same content has the same version.
    version = hashlib.sha256(content.model_dump_json(exclude={"version", "generated_at"}).encode()).hexdigest()[:32]
    etag = f'"{version}"'
    if etag in _entity_tags(request.headers.get("if-none-match", "")):
        return Response(status_code=304, headers={"ETag": etag})
    content.version = version
    return Response(content.model_dump_json(), media_type="application/json", headers={"ETag": etag})


def choice_out(choice: v.Choice) -> ChoiceOut:
    return ChoiceOut(
        value=choice.value,
        label={locale: translate(choice.label, locale) for locale in LOCALES},
        short={locale: translate(choice.short or choice.label, locale) for locale in LOCALES},
        colour=choice.colour,
    )


def _entity_tags(header: str) -> set[str]:
    """The entity tags of an If-None-Match header; a weak one (W/"...") compares as its strong twin (RFC 9110 13.1.2)."""
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}
