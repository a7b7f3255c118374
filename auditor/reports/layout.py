"""Page layout shared by the Word documents we write with python-docx (the starter templates, the review
minutes): A4, our fonts, a footer with page X of Y, and tables whose widths Word and LibreOffice both respect."""

from __future__ import annotations

import re
from functools import cache, lru_cache

from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from PIL import ImageFont

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


# The rules a rendered report keeps, whatever template wrote it (ours or a customer's upload): applied by
# reports.engine after docxtpl has filled the template in, and by the review minutes before they are saved.

TWIPS_PER_POINT = 20
CELL_MARGINS_TWIPS = 2 * 108 + 30  # Word's default left and right cell margins (0.08"), and a little air
WORD_BREAKS = re.compile(r"[ \t\n\u2002\u2003\u2009]+")  # where a line may break (not at a no-break space)
SMALLEST_POINTS = 7.0  # a word that fits no column even so is set this small, never smaller
HEADER_POINTS = 8.0  # a column heading is set this small before its column takes width from the others
SHORT_CELL_CHARS = 18  # a cell of one run this short is not wrapped (a heading may wrap between its words)
SMALL_TABLE_ROWS = 15  # a table of at most this many rows is kept on one page
TAIL_ROWS = 3  # a longer table's last rows kept together: a page never holds only its last row or two
LONG_ROW_CHARS = 1200  # a row with more text than this may be taller than a page: it may split
REFERENCE = re.compile(r"(?<![\w-])([A-ZÆØÅ]{1,4})-(\d{1,6})(?!\w)")  # NC-0002, F-001, SAG-0003: one unit


def finish(document) -> None:
    """Tables whose columns fit their longest words (no header or verdict broken mid-word), references that never
    wrap at their hyphen, rows that do not split across pages, small tables kept on one page, and the closing
    block (signatures) kept with what comes before it."""
    body = document.element.body
    for table in body.iterchildren(qn("w:tbl")):
        _fit_columns(table, _default_points(document))
        _keep_rows(table)
    for text in list(body.iter(qn("w:t"))):
        _unbreakable_references(text)
    _keep_closing_block(document)


def _default_points(document) -> float:
    size = document.styles["Normal"].font.size
    return size.pt if size else 10.0


@cache
def _font(bold: bool):
    try:
        return ImageFont.truetype("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf", 100)
    except OSError:  # no DejaVu on this machine: estimate from the average letter
        return None


def text_width_points(text: str, points: float, bold: bool = False) -> float:
    """How wide `text` is set at `points`, measured with DejaVu Sans (what LibreOffice sets Calibri in when Calibri
    is missing, and wider than Calibri, so a word that fits here fits in Word too)."""
    return _width_at_100(text, bold) * points / 100


@lru_cache(maxsize=65_536)  # a report's words repeat (verdicts, clause numbers, the language's own words)
def _width_at_100(text: str, bold: bool) -> float:
    """Measuring a word was a third of rendering a report, most of it the same words again."""
    font = _font(bold)
    return font.getlength(text) if font is not None else 62 * len(text)


def _run_format(run, default_points: float, bold_row: bool) -> tuple[float, bool]:
    properties = run.find(qn("w:rPr"))
    points, bold = default_points, bold_row
    if properties is not None:
        size = properties.find(qn("w:sz"))
        if size is not None and size.get(qn("w:val"), "").isdigit():
            points = int(size.get(qn("w:val"))) / 2
        weight = properties.find(qn("w:b"))
        if weight is not None:
            bold = weight.get(qn("w:val"), "true") not in ("0", "false")
    return points, bold


def _runs_and_words(cell, default_points: float):
    """(run, points, bold, longest word, text) of each run in a table cell (not in tables
    nested in it), and None at the end of each paragraph."""
    for paragraph in cell.iterchildren(qn("w:p")):
        for run in paragraph.iter(qn("w:r")):
            text = "".join(t.text or "" for t in run.iterchildren(qn("w:t")))
            words = WORD_BREAKS.split(text.strip())
            if words and words[0]:
                points, bold = _run_format(run, default_points, False)
                longest = max(words, key=lambda w: text_width_points(w, points, bold))
                yield run, points, bold, longest, text.strip()
        yield None


def _twips(points: float) -> int:
    return round(points * TWIPS_PER_POINT) + CELL_MARGINS_TWIPS


def _share(amount: int, weights: list[float]) -> list[int]:
    total = sum(weights)
    return [round(amount * w / total) if total else 0 for w in weights]


def _fit_columns(table, default_points: float) -> None:
    """Widen the columns whose longest word does not fit. The width comes first from columns wider than their
    longest line, then from columns of running text (which wrap anyway); where the table as a whole has no room,
    the words that still do not fit are set smaller."""
    grid = [col for col in table.iterchildren(qn("w:tblGrid")) for col in col.iterchildren(qn("w:gridCol"))]
    if not grid or any(not (col.get(qn("w:w")) or "").isdigit() for col in grid):
        return
    rows = [list(row.iterchildren(qn("w:tc"))) for row in table.iterchildren(qn("w:tr"))]
    if any(
        len(cells) != len(grid) or any(tc.find(f"{qn('w:tcPr')}/{qn('w:gridSpan')}") is not None for tc in cells)
        for cells in rows
    ):
        return  # merged cells: leave the author's layout alone
    widths = [int(col.get(qn("w:w"))) for col in grid]
    need, natural, least = [0] * len(grid), [0] * len(grid), [0] * len(grid)
    words: list[list] = [[] for _ in grid]
    header = table.find(f"{qn('w:tr')}/{qn('w:trPr')}/{qn('w:tblHeader')}") is not None
    for index, cells in enumerate(rows):
        heading = header and index == 0  # a heading may be set smaller first, and may wrap between its words
        for column, tc in enumerate(cells):
            line, chars = 0.0, 0
            for found in _runs_and_words(tc, default_points):
                if found is None:
                    natural[column] = max(natural[column], _twips(line))
                    if chars <= SHORT_CELL_CHARS and not heading:  # a date, a name, a verdict: kept on one line
                        need[column] = max(need[column], _twips(line))
                    line, chars = 0.0, 0
                    continue
                run, points, bold, word, text = found
                line += text_width_points(text, points, bold)
                chars += len(text) if chars == 0 else SHORT_CELL_CHARS + 1  # two runs: not a short cell
                at = min(points, HEADER_POINTS) if heading else points
                need[column] = max(need[column], _twips(text_width_points(word, at, bold)))
                least[column] = max(least[column], _twips(text_width_points(word, min(at, SMALLEST_POINTS), bold)))
                words[column].append((run, points, bold, word))
    if all(n <= w for n, w in zip(need, widths, strict=True)):
        _shrink_to_fit(words, widths)
        return
    total = sum(widths)
    if sum(need) > total:  # even at their narrowest the columns do not fit: share out, and shrink what must
        if sum(least) <= total:  # every column keeps room for its longest word at the smallest size
            extra = _share(total - sum(least), [float(n - m) for n, m in zip(need, least, strict=True)])
            need = [min(n, m + e) for n, m, e in zip(need, least, extra, strict=True)]
        else:
            need = [min(n, round(total * n / sum(need))) for n in need]
    blank = [not any(_text_of(cells[column]).strip() for cells in rows[1:]) for column in range(len(grid))]
    natural = [w if empty else m for m, w, empty in zip(natural, widths, blank, strict=True)]  # room to write by hand
    new = [max(n, w) for n, w in zip(need, widths, strict=True)]
    short = sum(new) - total
    free = [max(0, w - max(n, m)) for n, m, w in zip(need, natural, widths, strict=True)]
    taken = _share(min(short, sum(free)), [float(f) for f in free])
    short -= sum(taken)
    if short > 0:
        room = [0 if empty else max(0, w - t - n) for n, w, t, empty in zip(need, widths, taken, blank, strict=True)]
        weights = [r * (m / w if m > w else 0.1) for r, m, w in zip(room, natural, widths, strict=True)]
        more = _share(min(short, sum(room)), weights)
        more = [min(m, r) for m, r in zip(more, room, strict=True)]
        taken = [a + b for a, b in zip(taken, more, strict=True)]
    new = [n - t for n, t in zip(new, taken, strict=True)]
    if sum(new) > total:  # the donors had too little: every column gives up its share, and words shrink to fit
        new = [w * total // sum(new) for w in new]
    for col, width in zip(grid, new, strict=True):
        col.set(qn("w:w"), str(width))
    for cells in rows:
        for tc, width in zip(cells, new, strict=True):
            properties = tc.find(qn("w:tcPr"))
            if properties is None:
                properties = OxmlElement("w:tcPr")
                tc.insert(0, properties)
            cell_width = properties.find(qn("w:tcW"))
            if cell_width is None:
                cell_width = OxmlElement("w:tcW")
                properties.insert(0, cell_width)
            cell_width.set(qn("w:w"), str(width))
            cell_width.set(qn("w:type"), "dxa")
    _shrink_to_fit(words, new)


def _shrink_to_fit(words: list[list], widths: list[int]) -> None:
    """Set each word that is wider than its column smaller, so that it fits (down to SMALLEST_POINTS)."""
    for column, width in enumerate(widths):
        fits = (width - CELL_MARGINS_TWIPS) / TWIPS_PER_POINT
        for run, points, bold, word in words[column]:
            if text_width_points(word, points, bold) > fits:
                _set_points(run, max(SMALLEST_POINTS, points * fits / text_width_points(word, points, bold)))


def _set_points(run, points: float) -> None:
    properties = run.find(qn("w:rPr"))
    if properties is None:
        properties = OxmlElement("w:rPr")
        run.insert(0, properties)
    for tag in ("w:sz", "w:szCs"):
        for old in properties.findall(qn(tag)):
            properties.remove(old)
        size = OxmlElement(tag)
        size.set(qn("w:val"), str(int(points * 2)))  # half-points, rounded down so that it fits
        properties.append(size)


def _text_of(element) -> str:
    return "".join(t.text or "" for t in element.iter(qn("w:t")))


def _keep_rows(table) -> None:
    """No row splits across pages (unless it holds a picture or so much text that it may be taller than a page);
    the header row stays with the first row under it, a small table stays on one page, and a long one takes at
    least its last TAIL_ROWS rows onto its last page (never a total alone)."""
    rows = list(table.iterchildren(qn("w:tr")))
    small = len(rows) <= SMALL_TABLE_ROWS and not any(True for _ in table.iter(qn("w:drawing")))
    short = [next(row.iter(qn("w:drawing")), None) is None and len(_text_of(row)) <= LONG_ROW_CHARS for row in rows]
    tail = len(rows) - TAIL_ROWS if all(short[-TAIL_ROWS:]) else len(rows)
    for index, row in enumerate(rows):
        if short[index]:
            _row_property(row, "w:cantSplit")
        if index < len(rows) - 1 and (
            small or index == 0 or index >= tail or row.find(f"{qn('w:trPr')}/{qn('w:tblHeader')}") is not None
        ):
            for paragraph in row.iter(qn("w:p")):
                _keep_with_next(paragraph)


def _row_property(row, tag: str) -> None:
    properties = row.find(qn("w:trPr"))
    if properties is None:
        properties = OxmlElement("w:trPr")
        row.insert(0 if row.find(qn("w:tblPrEx")) is None else 1, properties)
    if properties.find(qn(tag)) is None:
        element = OxmlElement(tag)
        element.set(qn("w:val"), "true")
        properties.append(element)


def _keep_with_next(paragraph) -> None:
    properties = paragraph.find(qn("w:pPr"))
    if properties is None:
        properties = OxmlElement("w:pPr")
        paragraph.insert(0, properties)
    if properties.find(qn("w:keepNext")) is None:
        properties.insert(_after_style(properties), OxmlElement("w:keepNext"))


def _after_style(properties) -> int:
    """Where w:keepNext goes in a w:pPr: after w:pStyle (the schema's order)."""
    return 1 if properties.find(qn("w:pStyle")) is not None else 0


def _unbreakable_references(text) -> None:
    """Write the hyphen of a reference such as NC-0002 as Word's non-breaking hyphen, so that "NC-" never ends a
    line with "0002" on the next (python-docx reads it back as "-")."""
    value = text.text or ""
    if not REFERENCE.search(value):
        return
    parts = REFERENCE.split(value)  # text, letters, digits, text, letters, digits, ..., text
    anchor = text
    pieces = []
    for index in range(0, len(parts), 3):
        pieces.append(("t", parts[index]))
        if index + 2 < len(parts):
            pieces += [("t", parts[index + 1]), ("hyphen", ""), ("t", parts[index + 2])]
    first = True
    for kind, value in pieces:
        if kind == "t" and not value:
            continue
        if first and kind == "t":
            text.text, first = value, False
            text.set(qn("xml:space"), "preserve")
            continue
        element = OxmlElement("w:noBreakHyphen" if kind == "hyphen" else "w:t")
        if kind == "t":
            element.text = value
            element.set(qn("xml:space"), "preserve")
        anchor.addnext(element)
        anchor = element
        first = False
    if first:  # the text was nothing but references' parts and started with a hyphen: keep the element valid
        text.text = ""


def _headings(body):
    for child in body.iterchildren():
        if child.tag == qn("w:p"):
            style = child.find(f"{qn('w:pPr')}/{qn('w:pStyle')}")
            if style is not None and (style.get(qn("w:val")) or "").startswith("Heading"):
                yield child


def _keep_closing_block(document) -> None:
    """The last section (signatures, "received") is never alone on its page: the section before it, or the end of
    the table before it, keeps with it."""
    body = document.element.body
    headings = [h for h in _headings(body) if _text_of(h).strip()]
    if len(headings) < 2:
        return
    last = headings[-1]
    _keep_with_next(last)
    element = last.getprevious()
    while element is not None and element is not headings[-2]:
        if element.tag == qn("w:p"):
            _keep_with_next(element)
        elif element.tag == qn("w:tbl"):
            rows = list(element.iterchildren(qn("w:tr")))
            for paragraph in rows[-1].iter(qn("w:p")) if rows else ():
                _keep_with_next(paragraph)
            break  # the end of a table is enough: its rows keep themselves together
        element = element.getprevious()
    else:
        if element is not None:
            _keep_with_next(element)
