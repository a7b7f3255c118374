"""Word reports of an audit."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Response

from auditor.deps import AuditDep, SessionDep, SettingsDep
from auditor.services.reports import audit_report

router = APIRouter(tags=["reports"])
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@router.get("/audits/{audit_id}/report.docx", response_class=Response, responses={200: {"content": {DOCX: {}}}})
def download_audit_report(audit: AuditDep, session: SessionDep, settings: SettingsDep, lang: Literal["da", "en"] | None = None) -> Response:
    """The audit report as a Word file, in the audit's report language unless `lang` says otherwise."""
    filename, content = audit_report(session=session, audit=audit, lang=lang, photo_storage=settings.data_dir / "photos")
    return Response(content, media_type=DOCX, headers={"Content-Disposition": f'attachment; filename="{filename}"'})
