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


def add_field(paragraph: Paragraph, instruction: str, placeholder: str = "1") -> None:
    """Insert a field such as PAGE or NUMPAGES; Word computes it when the page is laid out.
    python-docx has no field API (w:fldChar / w:instrText)."""
    run = paragraph.add_run()
    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    separate = OxmlElement("w:fldChar")
    separate.set(qn("w:fldCharType"), "separate")
    text = OxmlElement("w:t")
    text.text = placeholder
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    for element in (begin, instr, separate, text, end):
        run._r.append(element)
