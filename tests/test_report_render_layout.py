"""The layout rules as LibreOffice lays the reports out, checked by the PDF's text (pdftotext) in Danish and English:
no word broken across lines (a header, a verdict, a role), no reference wrapped at its hyphen, the signatures never
alone on their page, dates in the language's own format, the table of contents filled in. `.ci/run` installs
LibreOffice and poppler (libreoffice-writer-nogui, poppler-utils)."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from docx import Document

from auditor.demo import create_demo
from auditor.i18n import format_day, translate
from auditor.services.reports import render_report

KINDS = ("audit_report", "nonconformity_report", "checklist")
WORD = re.compile(r"[A-Za-zÆØÅæøåÉéÜüÖö]+")
REFERENCE = re.compile(r"\b[A-Z]{1,4}-\d{3,4}\b")
SHORT_DATE = re.compile(r"\b\d{1,2}/\d{1,2}/\d{2}\b")  # Babel's US "11/27/26" (typed text may say 26/09/2020)


def run(*command: str, cwd: Path) -> str:
    assert shutil.which(command[0]), f"{command[0]} is not installed (see .ci/run)"
    return subprocess.run(command, cwd=cwd, check=True, capture_output=True, text=True, timeout=300).stdout


def docx_text(content: bytes) -> str:
    document = Document(io.BytesIO(content))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    for section in document.sections:
        parts.extend(p.text for p in section.footer.paragraphs)
    return "\n".join(parts)


@pytest.fixture
def rendered(session, library, settings, tmp_path):
    """Each report of the demo audit in a language: {kind: (the .docx's text, the PDF's pages)}."""
    audit = create_demo(session=session, library=library).audit

    def render(lang: str) -> dict[str, tuple[str, list[str]]]:
        folder = tmp_path / lang
        folder.mkdir()
        texts = {}
        for kind in KINDS:
            _, content = render_report(
                session=session, audit=audit, kind=kind, policy=settings.deadline_policy, lang=lang
            )
            (folder / f"{kind}.docx").write_bytes(content)
            texts[kind] = docx_text(content)
        run(
            "soffice",
            "--headless",
            f"-env:UserInstallation=file://{tmp_path}/profile",
            "--convert-to",
            "pdf",
            "--outdir",
            str(folder),
            *(f"{kind}.docx" for kind in KINDS),
            cwd=folder,
        )
        return {
            kind: (
                texts[kind],
                run("pdftotext", "-layout", f"{kind}.pdf", "-", cwd=folder)
                .replace("\u2011", "-")  # the non-breaking hyphen of a reference
                .replace("\u00a0", " ")
                .split("\f"),
            )
            for kind in KINDS
        }

    return audit, render


@pytest.mark.parametrize("lang", ["da", "en"])
def test_the_reports_as_libreoffice_lays_them_out(rendered, lang):
    audit, render = rendered
    reports = render(lang)

    def t(message: str) -> str:
        return translate(message, lang)

    for kind, (written, pages) in reports.items():
        shown = "\n".join(pages)
        # No word broken across lines: every word the PDF shows is a word of the document (a fragment such as
        # "Observatio", "arbejdsmiljørepr" or "Lagermedarbejd" is not)
        fragments = set(WORD.findall(shown)) - set(WORD.findall(written.replace("\u00a0", " ")))
        assert fragments == set(), (kind, sorted(fragments)[:20])
        # No reference wrapped at its hyphen: each is shown whole as often as the document has it
        assert Counter(REFERENCE.findall(shown)) == Counter(REFERENCE.findall(written)), kind
        # Dates in the language's own format, never 11/27/26
        assert not SHORT_DATE.search(shown), (kind, SHORT_DATE.search(shown))

    pages = reports["audit_report"][1]
    assert format_day(audit.start_date, lang) in pages[0]  # the cover
    assert format_day(audit.start_date, lang, short_month=True).replace("\u00a0", " ") in "\n".join(pages)  # the plan

    # The signatures heading shares its page with the section before it
    def page_of_heading(pages: list[str], heading: str) -> str:
        return next(p for p in pages if re.search(rf"^\s*{re.escape(heading)}\s*$", p, re.MULTILINE))

    signatures = page_of_heading(pages, t("Signatures"))
    assert t("About this report") in signatures and t("Lead auditor") in signatures
    # The NC report's receipt is signed on its first page, with the cover
    assert page_of_heading(reports["nonconformity_report"][1], t("Received")) == reports["nonconformity_report"][1][0]

    # The table of contents is filled in, with the page each heading is on
    listed = int(re.search(rf"{re.escape(t('Findings'))}\s*\.+\s*(\d+)", pages[0] + pages[1]).group(1))
    assert re.search(rf"^\s*{re.escape(t('Findings'))}\s*$", pages[listed - 1], re.MULTILINE)

    # Each NC's form in the NC report: its facts, the response and the auditor's evaluation on the same page
    for page in reports["nonconformity_report"][1][1:]:
        if t("The organisation's response") in page:
            assert t("The auditor's evaluation of the response") in page
