"""File downloads, for the API and the pages alike."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

from fastapi import Response

from auditor import vocabulary as v
from auditor.models import Audit
from auditor.reports.context import ReportSettings
from auditor.services import reports

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
Language = v.Language
Kind = v.ReportKind
# Letters NFKD does not take apart, written the way Danes write them without the letter.
ASCII_SPELLING = str.maketrans(
    {
        "æ": "ae",
        "Æ": "Ae",
        "ø": "oe",
        "Ø": "Oe",
        "å": "aa",
        "Å": "Aa",
        "ß": "ss",
        "đ": "d",
        "Đ": "D",
        "ł": "l",
        "Ł": "L",
    }
)


def content_disposition(filename: str) -> str:
    """An attachment header (RFC 6266) that keeps every letter of `filename` (`filename*`, UTF-8) and gives
    older clients an ASCII spelling of it (`filename`, Overvågning -> Overvaagning)."""
    name = re.sub(r"[\x00-\x1f\x7f/\\]", "", filename).strip() or "download"
    ascii_name = unicodedata.normalize("NFKD", name.translate(ASCII_SPELLING)).encode("ascii", "ignore").decode()
    ascii_name = re.sub(r"[^A-Za-z0-9._()-]+", "-", ascii_name).strip("-") or "download"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


def attachment(content: bytes | str, filename: str, media_type: str = DOCX) -> Response:
    """The file, to be saved under `filename` (any text: content_disposition makes it safe for the header)."""
    return Response(content, media_type=media_type, headers={"Content-Disposition": content_disposition(filename)})


def report_download(kind: str, audit: Audit, session, settings, lang: str | None) -> Response:
    """One report of the audit as a Word file, with the audit's (non-confidential) photos."""
    filename, content = reports.render_report(
        session=session,
        audit=audit,
        kind=kind,
        policy=settings.deadline_policy,
        lang=lang,
        settings=ReportSettings.of(settings),
    )
    return attachment(content, filename)
