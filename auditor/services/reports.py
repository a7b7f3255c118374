"""Reports of an audit, ready to download."""

from __future__ import annotations

import re
from pathlib import Path

from sqlmodel import Session

from auditor.models import Audit
from auditor.reports.audit_report import render_audit_report
from auditor.reports.context import build_audit_report_context


def audit_report(*, session: Session, audit: Audit, lang: str | None = None, photo_storage: Path | None = None) -> tuple[str, bytes]:
    """(file name, .docx bytes) of the audit report in `lang`, or the audit's report language, with the
    (non-confidential) photos kept in `photo_storage`."""
    lang = lang or audit.report_language
    context = build_audit_report_context(session=session, audit=audit, lang=lang, photo_storage=photo_storage)
    slug = re.sub(r"[^A-Za-z0-9]+", "-", audit.title).strip("-")[:60] or "audit"
    return f"{context.report_id}-{slug}-{lang}.docx", render_audit_report(context)
