"""Raw WordprocessingML for what python-docx has no API for. Every workaround lives here, and
tests/test_reports.py checks the XML each one writes."""

from __future__ import annotations

from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.table import _Cell, _Row
from docx.text.paragraph import Paragraph


def shade_cell(cell: _Cell, hex_colour: str) -> None:
    """Fill a table cell with a colour. python-docx lacks cell shading (w:shd)."""
    properties = cell._tc.get_or_add_tcPr()
    for old in properties.findall(qn("w:shd")):
        properties.remove(old)
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), hex_colour.lstrip("#").upper())
    properties.append(shading)


def repeat_as_header(row: _Row) -> None:
    """Repeat this row at the top of each page the table runs onto. python-docx lacks w:tblHeader."""
    properties = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    properties.append(header)


def keep_row_together(row: _Row) -> None:
    """Do not split this row across pages. python-docx lacks w:cantSplit."""
    properties = row._tr.get_or_add_trPr()
    cant_split = OxmlElement("w:cantSplit")
    cant_split.set(qn("w:val"), "true")
    properties.append(cant_split)


def field_runs(instruction: str, placeholder: str = "1") -> list:
    """The runs of a field such as PAGE, NUMPAGES, PAGEREF or TOC: begin, instruction, separate, the shown
    result, end (each its own run, as Word writes them). python-docx has no field API (w:fldChar / w:instrText)."""

    def char(kind: str):
        run = OxmlElement("w:r")
        element = OxmlElement("w:fldChar")
        element.set(qn("w:fldCharType"), kind)
        run.append(element)
        return run

    code = OxmlElement("w:r")
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    code.append(instr)
    return [char("begin"), code, char("separate"), text_run(placeholder), char("end")]


def text_run(text: str):
    run = OxmlElement("w:r")
    element = OxmlElement("w:t")
    element.set(qn("xml:space"), "preserve")
    element.text = text
    run.append(element)
    return run


def add_field(paragraph: Paragraph, instruction: str, placeholder: str = "1") -> None:
    """Insert a field; Word (and LibreOffice) compute it when the page is laid out."""
    for run in field_runs(instruction, placeholder):
        paragraph._p.append(run)
