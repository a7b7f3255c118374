"""Page layout shared by the Word documents we write with python-docx (the starter templates, the review
minutes): A4, our fonts, a footer with page X of Y, and tables whose widths Word and LibreOffice both respect."""

from __future__ import annotations

from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Mm, Pt, RGBColor

from auditor.reports.docx_xml import add_field, keep_row_together, repeat_as_header, shade_cell

HEADER_FILL = "#E5E7EB"
TEXT_WIDTH_MM = 170  # A4 less 20 mm margins; every table's widths add up to at most this


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
    page, of = t("Page"), t("of")
    paragraph.add_run(f"{footer} · {page} ")
    add_field(paragraph, "PAGE")
    paragraph.add_run(f" {of} ")
    add_field(paragraph, "NUMPAGES")
    for run in paragraph.runs:
        run.font.size = Pt(8)
        run.font.color.rgb = RGBColor(0x6B, 0x72, 0x80)


def add_key_value_table(document, rows: list[tuple[str, str]]):
    table = document.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    table.autofit = False
    table.columns[0].width, table.columns[1].width = Mm(50), Mm(120)
    add_key_value_rows(table, rows)
    return table


def add_key_value_rows(table, rows: list[tuple[str, str]]) -> None:
    """Rows of a key-value table; a row whose key is empty is a tag row (docxtpl's `{%tr ... %}` in its value)."""
    for key, value in rows:
        cells = table.add_row().cells
        cells[0].width, cells[1].width = Mm(50), Mm(120)
        if not key:
            cells[0].text = value
            continue
        cells[0].text, cells[1].text = key, value
        cells[0].paragraphs[0].runs[0].bold = True
        shade_cell(cells[0], HEADER_FILL)


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


def add_row(table, values: list[str], keep_together: bool = True):
    row = table.add_row()
    if keep_together:
        keep_row_together(row)
    for cell, value, header in zip(row.cells, values, table.rows[0].cells, strict=True):
        cell.text = value
        cell.width = header.width
    return row.cells
