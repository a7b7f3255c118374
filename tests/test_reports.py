"""The Word report, read back with python-docx, and the raw XML the workarounds write."""

import io

import pytest
from docx import Document
from docx.shared import Mm
from lxml import etree

from auditor.demo import ANSWERS, create_demo
from auditor.reports.docx_xml import add_field, repeat_as_header, shade_cell


def download(client, audit, lang=None):
    response = client.get(f"/api/v1/audits/{audit.id}/report.docx", params={"lang": lang} if lang else None)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    return Document(io.BytesIO(response.content))


def all_text(document) -> str:
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


@pytest.fixture
def demo_audit(session, library):
    return create_demo(session=session, library=library).audit


def test_the_report_is_a4_with_the_audit_facts_on_the_cover(client, demo_audit):
    document = download(client, demo_audit, "en")
    section = document.sections[0]
    assert abs(section.page_width - Mm(210)) < Mm(1) and abs(section.page_height - Mm(297)) < Mm(1)
    cover = {row.cells[0].text: row.cells[1].text for row in document.tables[0].rows}
    assert cover["Organisation"] == "Nordlys Logistik A/S (demo)"
    assert cover["Audit type"] == "Surveillance audit"
    assert cover["Sites / production units"] == "Hovedkontor, Vejle, Lager og distribution, Aarhus"
    assert cover["Lead auditor"] == "Mette Lund"
    assert cover["Audit team"] == "Jonas Krogh"
    assert cover["Report id"].startswith(f"A{demo_audit.id:05d}-")


def test_the_summary_counts_verdicts(client, demo_audit):
    document = download(client, demo_audit, "en")

    counts_table = next(t for t in document.tables if t.rows[0].cells[0].text == "Verdict")
    counts = {row.cells[0].text: int(row.cells[1].text) for row in counts_table.rows[1:]}
    expected_minor = sum(1 for verdict, _ in ANSWERS.values() if verdict == "minor_nc")
    assert counts["Minor nonconformity"] == expected_minor
    assert counts["Conform"] == sum(1 for verdict, _ in ANSWERS.values() if verdict == "conform")
    assert "Nonconformity" not in counts  # ungraded NC is for internal audits only
    assert f"{len(ANSWERS)} of " in all_text(document)


def test_the_findings_table_and_responses_with_notes(client, demo_audit):
    document = download(client, demo_audit, "en")
    text = all_text(document)
    findings_table = next(t for t in document.tables if t.rows[0].cells[0].text == "No.")
    assert [row.cells[0].text for row in findings_table.rows[1:]] == ["F-001", "F-002", "F-003", "F-004"]
    assert findings_table.rows[1].cells[1].text == "Minor nonconformity"
    assert "Vikarer på lageret er ikke omfattet af APV'en" in findings_table.rows[1].cells[3].text
    assert "ISO 45003 4.1.2" in findings_table.rows[1].cells[2].text
    # responses clause by clause, with their notes and evidence summaries (roles, not names)
    assert "Kontekstanalyse fra marts 2026 gennemgået" in text
    assert "Group interview (Employees, 4): Tre af fire kendte ikke politikken" in text
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    after = headings[headings.index("Checklist responses") + 1:]
    assert after[0].startswith("4 ") and any(h.startswith("4.1.1 ") for h in after) and any(h.startswith("10.3 ") for h in after)


def test_the_report_language_changes_the_report_not_the_notes(client, demo_audit):
    danish, english = all_text(download(client, demo_audit, "da")), all_text(download(client, demo_audit, "en"))
    assert "Auditrapport" in danish and "Audit report" in english
    assert "Fund" in danish and "Findings" in english
    for text in (danish, english):
        assert "Kontekstanalyse fra marts 2026 gennemgået" in text


def test_a_report_with_nothing_answered_still_opens(client, make_audit):
    audit = make_audit()
    document = download(client, audit, "en")
    assert "No findings were raised." in all_text(document)
    assert "0 of " in all_text(document)


def test_bad_language_is_422(client, make_audit):
    audit = make_audit()
    assert client.get(f"/api/v1/audits/{audit.id}/report.docx", params={"lang": "de"}).status_code == 422


# The raw-XML workarounds (python-docx has no API for these)

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def test_shade_cell_writes_one_w_shd_with_the_fill():
    table = Document().add_table(rows=1, cols=1)
    cell = table.rows[0].cells[0]
    shade_cell(cell, "#b91c1c")
    shade_cell(cell, "#15803d")  # a second call replaces the first
    shading = cell._tc.tcPr.findall(f"{W}shd")
    assert len(shading) == 1 and shading[0].get(f"{W}fill") == "15803D" and shading[0].get(f"{W}val") == "clear"


def test_repeat_as_header_marks_the_row():
    table = Document().add_table(rows=2, cols=1)
    repeat_as_header(table.rows[0])
    assert table.rows[0]._tr.trPr.find(f"{W}tblHeader").get(f"{W}val") == "true"
    assert table.rows[1]._tr.trPr is None


def test_add_field_writes_a_complete_field():
    paragraph = Document().add_paragraph()
    add_field(paragraph, "NUMPAGES")
    xml = etree.tostring(paragraph._p).decode()
    kinds = [el.get(f"{W}fldCharType") for el in paragraph._p.iter(f"{W}fldChar")]
    assert kinds == ["begin", "separate", "end"]
    assert "NUMPAGES" in xml


def test_the_footer_has_page_x_of_y(client, demo_audit):
    document = download(client, demo_audit, "en")
    footer = document.sections[0].footer.paragraphs[0]
    instructions = [el.text.strip() for el in footer._p.iter(f"{W}instrText")]
    assert instructions == ["PAGE", "NUMPAGES"]
    assert "Page" in footer.text and " of " in footer.text


def test_header_rows_repeat_on_every_table_but_the_cover(client, demo_audit):
    document = download(client, demo_audit)
    assert all(table.rows[0]._tr.trPr is not None and table.rows[0]._tr.trPr.find(f"{W}tblHeader") is not None for table in document.tables[1:])
