"""File downloads, for the API and the pages alike."""

from __future__ import annotations

from fastapi import Response

from auditor import vocabulary as v
from auditor.models import Audit
from auditor.services import reports

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
Language = v.Language
Kind = v.ReportKind


def attachment(content: bytes, filename: str, media_type: str = DOCX) -> Response:
    """The file, to be saved under `filename` (which the caller has made safe for a header)."""
    return Response(content, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def report_download(kind: str, audit: Audit, session, settings, lang: str | None) -> Response:
    """One report of the audit as a Word file, with the audit's (non-confidential) photos."""
    filename, content = reports.render_report(session=session, audit=audit, kind=kind, policy=settings.deadline_policy, lang=lang)
    return attachment(content, filename)
