"""The reports as their readers see them: rendered by LibreOffice (headless) to PDF, read back by poppler (pdftotext,
pdfinfo, pdftoppm). `.ci/run` installs both (libreoffice-writer-nogui, poppler-utils).

The demo audit's three reports in Danish and English are rendered once for the module, in one LibreOffice run (it
takes most of the time), and each test reads what it checks from them: page size and count, the computed page
numbers, pages as pictures, and the layout rules (no word broken across lines, no reference wrapped at its hyphen,
the signatures never alone on their page, dates in the language's own format, the table of contents filled in)."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
from docx import Document
from PIL import Image, ImageStat
from sqlmodel import Session, select

from auditor.config import Settings
from auditor.demo import create_demo
from auditor.i18n import format_day, translate
from auditor.models import Audit, User
from auditor.reports.layout import add_row, add_table, finish, set_up_a4
from auditor.services import findings, photos
from auditor.services.reports import render_report

KINDS = ("audit_report", "nonconformity_report", "checklist")
LANGUAGES = ("da", "en")
A4_POINTS = (595, 842)
WORD = re.compile(r"[A-Za-zÆØÅæøåÉéÜüÖö]+")
REFERENCE = re.compile(r"\b[A-Z]{1,4}-\d{3,4}\b")
SHORT_DATE = re.compile(r"\b\d{1,2}/\d{1,2}/\d{2}\b")  # Babel's US "11/27/26" (typed text may say 26/09/2020)
PHOTO_CAPTION = "Vagtplan uden vikarer"

# What LibreOffice makes of a .docx cannot differ by database: the same demo's reports, rendered from either database,
# are checked on both by tests/test_report_layout.py (the layout in the .docx) and tests/test_reports.py (what they
# say), so `make test-postgres` leaves this module out (tests/conftest.py, DATABASE_FIXTURES).
pytestmark = pytest.mark.database_independent


def run(*command: str, cwd: Path) -> str:
    assert shutil.which(command[0]), f"{command[0]} is not installed (see .ci/run)"
    return subprocess.run(command, cwd=cwd, check=True, capture_output=True, text=True, timeout=300).stdout


def to_pdf(folder: Path, names: list[str]) -> None:
    """The .docx files `names` in `folder` as PDFs beside them, in one LibreOffice run."""
    run(
        "soffice",
        "--headless",
        f"-env:UserInstallation=file://{folder}/profile",
        "--convert-to",
        "pdf",
        "--outdir",
        str(folder),
        *names,
        cwd=folder,
    )


def pdf_info(pdf: Path) -> tuple[int, tuple[int, int]]:
    info = run("pdfinfo", str(pdf), cwd=pdf.parent)
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    width, height = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info).groups()
    return pages, (round(float(width)), round(float(height)))


def docx_text(content: bytes) -> str:
    document = Document(io.BytesIO(content))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    for section in document.sections:
        parts.extend(p.text for p in section.footer.paragraphs)
    return "\n".join(parts)


@dataclass
class Rendered:
    """One report in one language: the .docx's text, the PDF (its path) and the PDF's text page by page."""

    written: str
    pdf: Path
    pages: list[str]


def add_photos(session: Session, audit: Audit) -> None:
    """A photo on an item and one on the first finding (a nonconformity)."""
    lead = session.exec(select(User).where(User.email == "lead@auditor.example")).one()
    picture = io.BytesIO()
    Image.new("RGB", (1200, 900), (40, 90, 160)).save(picture, "JPEG")
    first = findings.list_findings(session=session, audit=audit)[0]
    photos.add_photo(
        session=session,
        actor=lead,
        audit=audit,
        item_id="iso45003.5.2.communicated",
        content=picture.getvalue(),
        caption="Opslagstavle i kantinen",
    )
    photos.add_photo(
        session=session, actor=lead, audit=audit, finding_id=first.id, content=picture.getvalue(), caption=PHOTO_CAPTION
    )


# The demo audit as it is ("plain") and with photos added ("photos")
Reports = dict[str, dict[str, dict[str, Rendered]]]


@pytest.fixture(scope="module")
def reports(engine, library, tmp_path_factory) -> tuple[Audit, Reports]:
    """The demo audit, and {"plain" | "photos": {lang: {kind: Rendered}}} of its reports: as the demo has it, and with a
    photo on an item and one on a nonconformity. Every PDF from one LibreOffice run."""
    folder = tmp_path_factory.mktemp("reports")
    connection = engine.connect()
    transaction = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    policy = Settings().deadline_policy
    written = {}
    try:
        audit = create_demo(session=session, library=library).audit
        for version in ("plain", "photos"):
            if version == "photos":
                add_photos(session, audit)
            for lang in LANGUAGES:
                for kind in KINDS:
                    _, content = render_report(session=session, audit=audit, kind=kind, policy=policy, lang=lang)
                    (folder / f"{version}-{kind}-{lang}.docx").write_bytes(content)
                    written[version, lang, kind] = docx_text(content)
    finally:
        session.close()
        transaction.rollback()
        connection.close()
    to_pdf(folder, [f"{version}-{kind}-{lang}.docx" for version, lang, kind in written])
    rendered: Reports = {}
    for (version, lang, kind), text in written.items():
        pdf = folder / f"{version}-{kind}-{lang}.pdf"
        pages = run("pdftotext", "-layout", pdf.name, "-", cwd=folder).split("\f")
        rendered.setdefault(version, {}).setdefault(lang, {})[kind] = Rendered(text, pdf, pages)
    return audit, rendered


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_report_opens_in_libreoffice_on_a4_with_a_sane_page_count(reports, lang, tmp_path):
    audit, every = reports
    rendered = every["photos"]
    pages = {}
    for kind, report in rendered[lang].items():
        count, size = pdf_info(report.pdf)
        assert size == A4_POINTS, kind
        pages[kind] = count
    items = audit.item_total  # the ISO checklist's questions
    assert 8 <= pages["audit_report"] <= 40, pages
    assert 2 <= pages["nonconformity_report"] <= 6, pages  # a cover and one page per NC (two in the demo)
    assert 4 <= pages["checklist"] <= items // 4, pages

    # The footer's "page X of Y" and the contents' page numbers are computed, not placeholders
    sheets = rendered[lang]["audit_report"].pages
    of = "af" if lang == "da" else "of"
    assert re.search(rf"\b1 {of} {pages['audit_report']}\b", sheets[0])
    assert re.search(rf"\b{pages['audit_report']} {of} {pages['audit_report']}\b", sheets[pages["audit_report"] - 1])
    heading = "Svar i tjeklisterne" if lang == "da" else "Checklist responses"
    listed = int(re.search(rf"{heading}\s*\.+\s*(\d+)", sheets[0]).group(1))
    assert listed > 2 and heading in sheets[listed - 1] and heading not in sheets[listed - 2]

    # Pages as pictures: the first has ink on it, and a page with a photo is not blank (the cover and the table of
    # contents fill one page or more, as the checklists' sections go, so the photo's page is found by its caption)
    photo_page = next(n for n, sheet in enumerate(sheets, start=1) if PHOTO_CAPTION in sheet)
    for page in (1, photo_page):
        pdf = str(rendered[lang]["audit_report"].pdf)
        run("pdftoppm", "-png", "-r", "40", "-f", str(page), "-l", str(page), pdf, f"page-{page}", cwd=tmp_path)
    assert photo_page > 1 and len(list(tmp_path.glob("page-*.png"))) == 2
    for png in sorted(tmp_path.glob("page-*.png")):
        image = Image.open(png).convert("L")
        assert image.size[1] > image.size[0]  # portrait
        assert ImageStat.Stat(image).mean[0] < 250, f"{png.name} is blank"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_reports_as_libreoffice_lays_them_out(reports, lang):
    audit, every = reports
    rendered = every["plain"]

    def t(message: str) -> str:
        return translate(message, lang)

    def pages_of(kind: str) -> list[str]:
        # the non-breaking hyphen of a reference, and the non-breaking space, as plain ones
        return [page.replace("\u2011", "-").replace("\u00a0", " ") for page in rendered[lang][kind].pages]

    for kind, report in rendered[lang].items():
        shown = "\n".join(pages_of(kind))
        # No word broken across lines: every word the PDF shows is a word of the document (a fragment such as
        # "Observatio", "arbejdsmiljørepr" or "Lagermedarbejd" is not)
        fragments = set(WORD.findall(shown)) - set(WORD.findall(report.written.replace("\u00a0", " ")))
        assert fragments == set(), (kind, sorted(fragments)[:20])
        # No reference wrapped at its hyphen: each is shown whole as often as the document has it
        assert Counter(REFERENCE.findall(shown)) == Counter(REFERENCE.findall(report.written)), kind
        # Dates in the language's own format, never 11/27/26
        assert not SHORT_DATE.search(shown), (kind, SHORT_DATE.search(shown))

    pages = pages_of("audit_report")
    assert format_day(audit.start_date, lang) in pages[0]  # the cover
    assert format_day(audit.start_date, lang, short_month=True).replace("\u00a0", " ") in "\n".join(pages)  # the plan

    # The signatures heading shares its page with the section before it
    def page_of_heading(pages: list[str], heading: str) -> str:
        return next(p for p in pages if re.search(rf"^\s*{re.escape(heading)}\s*$", p, re.MULTILINE))

    signatures = page_of_heading(pages, t("Signatures"))
    assert t("About this report") in signatures and t("Lead auditor") in signatures
    # The NC report's receipt is signed on its first page, with the cover
    nonconformity_report = pages_of("nonconformity_report")
    assert page_of_heading(nonconformity_report, t("Received")) == nonconformity_report[0]

    # The table of contents is filled in, with the page each heading is on
    listed = int(re.search(rf"{re.escape(t('Findings'))}\s*\.+\s*(\d+)", pages[0] + pages[1]).group(1))
    assert re.search(rf"^\s*{re.escape(t('Findings'))}\s*$", pages[listed - 1], re.MULTILINE)


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("version", ("plain", "photos"))
def test_each_nonconformity_keeps_its_response_and_evaluation_on_one_page(reports, version, lang):
    """The room for the organisation's response and the auditor's evaluation of it is one block, on one page, also
    when a photo of the nonconformity pushes it off the page the nonconformity's facts begin on."""
    _, every = reports
    report = every[version][lang]["nonconformity_report"]
    response, evaluation = (
        translate("The organisation's response", lang),
        translate("The auditor's evaluation of the response", lang),
    )
    forms = report.written.count(response)
    assert forms >= 2 and report.written.count(evaluation) == forms
    assert (PHOTO_CAPTION in "".join(report.pages)) == (version == "photos")
    together = [page.count(response) == page.count(evaluation) for page in report.pages]
    assert all(together), [n for n, ok in enumerate(together, start=1) if not ok]


def _long_table(rows: int) -> bytes:
    """A heading and a table of `rows` one-line rows under it, the last a total (as the statistics by section end),
    laid out by layout.finish as every report is."""
    document = Document()
    set_up_a4(document, t=lambda message: message, lang="en", title="", subject="", footer="Rows")
    document.add_heading("By section", level=3)
    table = add_table(document, ["Section", "Items", "Answered"], widths=(110, 30, 30))
    for number in range(1, rows):
        add_row(table, [f"Section {number}", str(number), "0"])
    add_row(table, ["Total", str(rows), "0"])
    finish(document)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_a_long_table_never_leaves_its_last_rows_alone_on_a_page(tmp_path):
    """A table that runs onto a new page takes at least its last three rows there, never a lone row or two (the total
    of the statistics by section, say). How many rows fill a page is measured first, then tables are built whose last
    one and two rows would be left over."""
    (tmp_path / "measure.docx").write_bytes(_long_table(200))
    to_pdf(tmp_path, ["measure.docx"])
    first_page = run("pdftotext", "-layout", "measure.pdf", "-", cwd=tmp_path).split("\f")[0]
    fit = len(re.findall(r"^\s*Section \d+ ", first_page, re.MULTILINE))
    assert fit > 20, first_page
    for left_over in (1, 2):
        (tmp_path / f"over-{left_over}.docx").write_bytes(_long_table(fit + left_over))
    to_pdf(tmp_path, ["over-1.docx", "over-2.docx"])
    for left_over in (1, 2):
        pages = run("pdftotext", "-layout", f"over-{left_over}.pdf", "-", cwd=tmp_path).split("\f")
        counts = [len(re.findall(r"^\s*(?:Section \d+|Total) ", page, re.MULTILINE)) for page in pages if page.strip()]
        assert sum(counts) == fit + left_over and len(counts) == 2, (left_over, counts)
        assert counts[-1] >= 3, (left_over, counts)
