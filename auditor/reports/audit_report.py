"""The audit report as a Word file (A4): cover, summary by verdict, findings, responses clause by clause."""

from __future__ import annotations

import io

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Mm, Pt, RGBColor

from auditor.reports.context import AuditReportContext
from auditor.reports.docx_xml import add_field, keep_row_together, repeat_as_header, shade_cell

HEADER_FILL = "#E5E7EB"
TEXT_WIDTH_MM = 170  # A4 less 20 mm margins; every table's widths add up to at most this


def render_audit_report(context: AuditReportContext) -> bytes:
    t = context.t
    document = Document()
    set_up_a4(document, t=t, lang=context.lang, title=context.title, subject=t("Audit report"),
              footer=f"{context.report_id} · {context.organisation}")

    # Cover
    document.add_paragraph(t("Audit report"), style="Title")
    document.add_paragraph(context.title, style="Subtitle")
    facts = [
        (t("Organisation"), context.organisation + (f" (CVR {context.cvr})" if context.cvr else "")),
        (t("Sites / production units"), ", ".join(context.sites) or "–"),
        (t("Audit type"), context.audit_type),
        (t("Dates"), context.dates),
        (t("Lead auditor"), context.lead_auditor or "–"),
        (t("Audit team"), ", ".join(context.team) or "–"),
        (t("Checklists"), "; ".join(context.checklists)),
        (t("Status"), context.status),
        (t("Report id"), context.report_id),
        (t("Generated"), context.generated_at),
    ]
    add_key_value_table(document, facts)
    for heading, text in ((t("Audit objectives"), context.objectives), (t("Audit scope"), context.scope), (t("Audit criteria"), context.criteria)):
        if text:
            document.add_heading(heading, level=2)
            document.add_paragraph(text)

    if context.plan:
        document.add_heading(t("Audit plan"), level=1)
        table = add_table(document, [t("Date"), t("Time"), t("Activity"), t("Auditor"), t("Auditee (role)")], widths=(25, 24, 56, 30, 35))
        for row in context.plan:
            add_row(table, [row.day, row.time, row.activity, row.auditor, row.auditee_role])

    # Summary
    document.add_heading(t("Summary"), level=1)
    document.add_paragraph(t("{answered} of {total} checklist items answered.").format(answered=context.answered, total=context.total))
    table = add_table(document, [t("Verdict"), t("Count")], widths=(120, 30))
    for count in context.verdict_counts:
        cells = add_row(table, [count.label, str(count.count)])
        shade_cell(cells[0], tint(count.colour))

    # Findings
    document.add_heading(t("Findings"), level=1)
    if context.findings:
        table = add_table(document, [t("No."), t("Kind"), t("Clauses"), t("Statement and evidence")], widths=(16, 30, 34, 90))
        for finding in context.findings:
            text = finding.statement
            if finding.requirement:
                text = f"{t('Requirement')}: {finding.requirement}\n{text}"
            if finding.evidence:
                text += f"\n{t('Objective evidence')}: {finding.evidence}"
            cells = add_row(table, [finding.reference, finding.kind_label, finding.clauses + (f"\n({finding.item_code})" if finding.item_code else ""), text])
            shade_cell(cells[1], tint(finding.colour))
    else:
        document.add_paragraph(t("No findings were raised."))

    # Responses clause by clause
    document.add_heading(t("Checklist responses"), level=1)
    for block in context.sections:
        document.add_heading(block.title, level=min(block.level + 1, 4))
        if not block.items:
            continue
        table = add_table(document, [t("Item"), t("Question"), t("Verdict"), t("Note and evidence")], widths=(18, 68, 26, 58))
        for item in block.items:
            notes = "\n".join(x for x in (item.note, *("• " + e for e in item.evidence)) if x)
            cells = add_row(table, [item.code, item.question + (f"\n{item.clauses}" if item.clauses else ""), item.verdict_label, notes])
            for photo in item.photos:
                cells[3].add_paragraph().add_run().add_picture(str(photo.path), width=Mm(52))
                if photo.caption:
                    cells[3].add_paragraph(photo.caption).runs[0].italic = True
            if item.verdict:
                shade_cell(cells[2], tint(item.colour))

    document.add_heading(t("About this report"), level=1)
    document.add_paragraph(t(
        "An audit is based on a sample of the available information, so the findings may not cover everything that "
        "could have been found. Interviewees are recorded by role, never by name."
    ))
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def set_up_a4(document, *, t, lang: str, title: str, subject: str, footer: str) -> None:
    """A4 portrait (python-docx's default template is US Letter), our fonts, the document's properties, and a
    footer that reads "<footer> · Page X of Y"."""
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(20)
    section.top_margin, section.bottom_margin = Mm(20), Mm(18)
    document.styles["Normal"].font.name = "Calibri"
    document.styles["Normal"].font.size = Pt(10)
    core = document.core_properties
    core.title, core.subject, core.language = title, subject, lang
    paragraph = section.footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.add_run(f"{footer} · {t('Page')} ")
    add_field(paragraph, "PAGE")
    paragraph.add_run(f" {t('of')} ")
    add_field(paragraph, "NUMPAGES")
    for run in paragraph.runs:
        run.font.size = Pt(8)
        run.font.color.rgb = RGBColor(0x6B, 0x72, 0x80)


def add_key_value_table(document, rows: list[tuple[str, str]]) -> None:
    table = document.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    table.autofit = False
    table.columns[0].width, table.columns[1].width = Mm(50), Mm(120)
    for key, value in rows:
        cells = table.add_row().cells
        cells[0].text, cells[1].text = key, value
        cells[0].paragraphs[0].runs[0].bold = True
        shade_cell(cells[0], HEADER_FILL)
        cells[0].width, cells[1].width = Mm(50), Mm(120)


def add_table(document, headings: list[str], widths: tuple[int, ...]):
    if sum(widths) > TEXT_WIDTH_MM:
        raise ValueError(f"table columns {widths} are wider than the page's {TEXT_WIDTH_MM} mm")
    table = document.add_table(rows=1, cols=len(headings))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    header = table.rows[0]
    repeat_as_header(header)
    for column, cell, heading, width in zip(table.columns, header.cells, headings, widths, strict=True):
        column.width = Mm(width)  # the table grid, which LibreOffice lays out by
        cell.width = Mm(width)  # the cell, which Word lays out by
        cell.text = heading
        cell.paragraphs[0].runs[0].bold = True
        shade_cell(cell, HEADER_FILL)
    return table


def add_row(table, values: list[str]):
    row = table.add_row()
    keep_row_together(row)
    for cell, value, header in zip(row.cells, values, table.rows[0].cells, strict=True):
        cell.text = value
        cell.width = header.width
    return row.cells


def tint(hex_colour: str, amount: float = 0.75) -> str:
    """A light tint of a vocabulary colour, so black text stays readable on it."""
    r, g, b = (int(hex_colour.lstrip("#")[i:i + 2], 16) for i in (0, 2, 4))
    r, g, b = (round(c + (255 - c) * amount) for c in (r, g, b))
    return f"{r:02X}{g:02X}{b:02X}"
