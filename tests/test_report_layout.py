"""The layout rules every report keeps, read back from the .docx with python-docx in Danish and English: dates in
the language's own format, columns wide enough for their longest word, references that cannot wrap, rows that do not
split, small tables and the signatures kept together, the NC report's photos and the room for the client's answer and
the auditor's evaluation, the blank checklist's notes box. tests/test_report_render.py checks the same as LibreOffice
lays it out."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date

import pytest
from docx import Document
from docx.shared import Mm
from PIL import Image
from sqlmodel import Session, select

from auditor.config import Settings
from auditor.demo import create_demo
from auditor.i18n import format_day, translate
from auditor.models import User
from auditor.reports.layout import CELL_MARGINS_TWIPS, text_width_points
from auditor.services import findings, photos
from auditor.services.reports import render_report
from auditor.vocabulary import NONCONFORMITY_KINDS

KINDS = ("audit_report", "nonconformity_report", "checklist")
LANGUAGES = ("da", "en")
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


@dataclass
class Demo:
    """The demo audit with a photo on each of its first two findings, its reports rendered once for the module."""

    start_date: date
    nonconformities: int  # the nonconformities it raises
    contents: dict[tuple[str, str], bytes]  # (kind, lang): the .docx


@pytest.fixture(scope="module")
def demo(engine, library) -> Demo:
    """Built and rendered once for the module (rendering reads, never writes), then rolled back."""
    connection = engine.connect()
    transaction = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        made = create_demo(session=session, library=library)
        lead = session.exec(select(User).where(User.email == "lead@auditor.example")).one()
        picture = io.BytesIO()
        Image.new("RGB", (800, 600), (40, 90, 160)).save(picture, "JPEG")
        for finding in findings.list_findings(session=session, audit=made.audit)[:2]:
            photos.add_photo(
                session=session,
                actor=lead,
                audit=made.audit,
                finding_id=finding.id,
                content=picture.getvalue(),
                caption=f"Foto af {finding.number}",
            )
        raised = [f for f in findings.list_findings(session=session, audit=made.audit) if f.kind in NONCONFORMITY_KINDS]
        policy = Settings().deadline_policy
        contents = {
            (kind, lang): render_report(session=session, audit=made.audit, kind=kind, policy=policy, lang=lang)[1]
            for kind in KINDS
            for lang in LANGUAGES
        }
        return Demo(made.audit.start_date, len(raised), contents)
    finally:
        session.close()
        transaction.rollback()
        connection.close()


def report(demo: Demo, kind: str, lang: str):
    """A document of its own for each test."""
    return Document(io.BytesIO(demo.contents[kind, lang]))


def texts(document) -> list[str]:
    found = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            found.extend(cell.text for cell in row.cells)
    return found


@pytest.mark.parametrize("lang", ["da", "en"])
def test_dates_are_written_in_the_language_s_own_format(demo, lang):
    document = report(demo, "audit_report", lang)
    cover = {row.cells[0].text: row.cells[1].text for row in document.tables[0].rows}
    start = demo.start_date
    assert cover[translate("Dates", lang)].startswith(format_day(start, lang))
    assert format_day(start, lang) == (
        f"{start.day}. {['januar', 'februar', 'marts', 'april', 'maj', 'juni', 'juli', 'august', 'september', 'oktober', 'november', 'december'][start.month - 1]} {start.year}"
        if lang == "da"
        else start.strftime(f"{start.day} %B %Y")
    )
    everything = "\n".join(texts(document))
    assert not re.search(r"\b\d{1,2}/\d{1,2}/\d{2}\b", everything)  # never "11/26/26"
    plan = next(t for t in document.tables if t.rows[0].cells[0].text == translate("Date", lang))
    assert plan.rows[1].cells[0].text == format_day(start, lang, short_month=True)
    assert str(start.year) in plan.rows[1].cells[0].text


def test_the_date_helper_writes_danish_and_british_english():
    assert format_day(date(2026, 11, 26), "da") == "26. november 2026"
    assert format_day(date(2026, 11, 26), "en") == "26 November 2026"
    assert format_day(date(2026, 11, 26), "en", short_month=True) == "26\u00a0Nov\u00a02026"  # never split
    assert format_day(date(2026, 11, 26), "da", short_month=True) == "26.\u00a0nov.\u00a02026"


def column_widths_fit(table) -> list[str]:
    """The words that do not fit their column, measured as layout.finish measures them (at the run's size)."""
    grid = [int(c.get(f"{W}w")) for c in table._tbl.tblGrid.iterchildren(f"{W}gridCol")]
    too_wide = []
    for row in table.rows:
        cells = row._tr.findall(f"{W}tc")
        if len(cells) != len(grid):
            continue
        for tc, width in zip(cells, grid, strict=True):
            for run in tc.iter(f"{W}r"):
                text = "".join(t.text or "" for t in run.iter(f"{W}t"))
                size = run.find(f"{W}rPr/{W}sz")
                points = int(size.get(f"{W}val")) / 2 if size is not None else 10
                bold = run.find(f"{W}rPr/{W}b") is not None
                for word in re.split(r"[ \n]+", text.strip()):
                    if word and text_width_points(word, points, bold) * 20 + CELL_MARGINS_TWIPS > width + 1:
                        too_wide.append(word)
    return too_wide


@pytest.mark.parametrize("lang", ["da", "en"])
@pytest.mark.parametrize("kind", ["audit_report", "nonconformity_report", "checklist"])
def test_every_word_fits_its_column_and_the_table_fits_the_page(demo, kind, lang):
    document = report(demo, kind, lang)
    for table in document.tables:
        assert column_widths_fit(table) == [], [c.text for c in table.rows[0].cells]
        grid = [int(c.get(f"{W}w")) for c in table._tbl.tblGrid.iterchildren(f"{W}gridCol")]
        assert sum(grid) <= Mm(170).twips + len(grid)  # rounding


@pytest.mark.parametrize("lang", ["da", "en"])
def test_references_cannot_wrap_at_their_hyphen(demo, lang):
    document = report(demo, "audit_report", lang)
    body = document.element.body
    hyphens = body.findall(f".//{W}noBreakHyphen")
    assert len(hyphens) >= 4  # F-001 .. in the findings table and the NC headings
    assert "F-001" in texts(document)[0:] or any("F-001" in t for t in texts(document))  # python-docx reads "-"
    for t in body.iter(f"{W}t"):
        assert not re.search(r"\b[A-Z]{1,4}-\d", t.text or ""), t.text  # no breakable hyphen left in a reference


@pytest.mark.parametrize("lang", ["da", "en"])
def test_rows_do_not_split_and_small_tables_stay_together(demo, lang):
    document = report(demo, "audit_report", lang)
    for table in document.tables:
        rows = table._tbl.findall(f"{W}tr")
        for row in rows:
            if row.find(f".//{W}drawing") is None and len("".join(t.text or "" for t in row.iter(f"{W}t"))) < 1200:
                assert row.find(f"{W}trPr/{W}cantSplit") is not None
        if len(rows) <= 15 and table._tbl.find(f".//{W}drawing") is None:
            for row in rows[:-1]:
                for paragraph in row.iter(f"{W}p"):
                    assert paragraph.find(f"{W}pPr/{W}keepNext") is not None


@pytest.mark.parametrize("lang", ["da", "en"])
@pytest.mark.parametrize(
    ("kind", "closing"),
    [("audit_report", "Signatures"), ("nonconformity_report", "The auditor's evaluation of the response")],
)
def test_the_signatures_keep_with_what_comes_before(demo, kind, closing, lang):
    document = report(demo, kind, lang)
    body = list(document.element.body.iterchildren())
    heading = max(  # the last section
        i
        for i, e in enumerate(body)
        if e.tag == f"{W}p" and "".join(t.text or "" for t in e.iter(f"{W}t")) == translate(closing, lang)
    )
    before = body[heading - 1]
    paragraphs = [before] if before.tag == f"{W}p" else before.findall(f"{W}tr")[-1].findall(f".//{W}p")
    assert all(p.find(f"{W}pPr/{W}keepNext") is not None for p in paragraphs)


@pytest.mark.parametrize("lang", ["da", "en"])
def test_the_table_of_contents_is_filled_in_and_updated_on_opening(demo, lang):
    document = report(demo, "audit_report", lang)
    settings_xml = document.settings.element
    assert settings_xml.find(f"{W}updateFields").get(f"{W}val") == "true"
    contents = [p.text for p in document.paragraphs]
    assert any(t.startswith(translate("Findings", lang)) and t != translate("Findings", lang) for t in contents)


@pytest.mark.parametrize("lang", ["da", "en"])
def test_the_nc_report_shows_photos_and_has_room_for_the_answer_and_the_evaluation(demo, lang):
    document = report(demo, "nonconformity_report", lang)

    def t(message):
        return translate(message, lang)

    captions = [p.text for p in document.paragraphs if p.text.startswith("Foto af")]
    assert captions == ["Foto af 1", "Foto af 2"]  # each NC's own photo, under its facts
    assert len(document.inline_shapes) == 2
    responses = [tb for tb in document.tables if tb.rows[0].cells[0].text == t("Step")]
    evaluations = [tb for tb in document.tables if tb.rows[0].cells[0].text == t("Evaluation")]
    assert demo.nonconformities >= 2
    assert len(responses) == len(evaluations) == demo.nonconformities  # one form per nonconformity the demo raises
    steps = [row.cells[0].text for row in responses[0].rows]
    assert t("Date received") in steps
    evaluation = {row.cells[0].text: row for row in evaluations[0].rows[1:]}
    assert set(evaluation) == {t("Plan accepted or returned"), t("Reason (if returned)"), t("Date and auditor")}
    # The demo's first case had its plan accepted by the lead auditor today; the second has no plan yet
    assert evaluation[t("Plan accepted or returned")].cells[1].text == t("Accepted")
    second = {row.cells[0].text: row.cells[1].text for row in evaluations[1].rows[1:]}
    assert second[t("Plan accepted or returned")] == f"☐\u00a0{t('Accepted')}    ☐\u00a0{t('Returned')}"
    for row in evaluations[1].rows[1:]:
        assert row.height is not None and row.height >= Mm(8.9)  # room to write (Word stores twips)


@pytest.mark.parametrize("lang", ["da", "en"])
def test_the_blank_checklist_has_a_notes_box_a_hand_fits_in(demo, lang):
    document = report(demo, "checklist", lang)
    items = [tb for tb in document.tables if tb.rows[0].cells[0].text == translate("Item", lang)]
    assert items
    for table in items:
        notes = [c.width for c in table.rows[0].cells][-1]
        assert notes >= Mm(45)  # as wide as a hand needs
        for row in table.rows[1:]:
            assert row.height is not None and row.height >= Mm(30)
            assert row.cells[-1].text == ""
