"""Render a Word template (docxtpl: Jinja tags inside a .docx) with a report's variables, and check an
uploaded template before it is used.

Templates come from customers, so Jinja runs sandboxed (no access to Python internals), every value is
XML-escaped, and an unknown variable is an error rather than an empty space in a filed report.
"""

from __future__ import annotations

import io
import re
import time
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from types import CodeType

from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docxtpl import DocxTemplate
from jinja2 import BaseLoader, StrictUndefined, Template, TemplateError, TemplateSyntaxError, UndefinedError
from jinja2.sandbox import SandboxedEnvironment, SecurityError, safe_range
from lxml import etree
from markupsafe import Markup

from auditor.i18n import N_
from auditor.reports import layout
from auditor.reports.docx_xml import field_runs, text_run
from auditor.reports.pictures import rendering
from auditor.text import xml_text

MAX_TEMPLATE_BYTES = 10 * 1024 * 1024
MAX_UNPACKED_BYTES = 100 * 1024 * 1024  # a template's parts, unzipped: refuses zip bombs before anything reads them
TOC_LEVELS = 2


# How much work one rendering may do. A report loops over the audit's own lists, so these bound only what a template
# makes up itself: nested range() loops, a string repeated millions of times, a document of hundreds of megabytes.
MAX_RANGE_STEPS = 100_000  # range() steps in one rendering, all loops together
MAX_REPORT_CHARS = 200_000_000  # the rendered XML of a real report: far above what an audit's own lists write
MAX_CHECK_CHARS = 5_000_000  # the same for the check of an upload, with its one-of-everything sample values
MAX_CHECK_SECONDS = 10.0


class ReportEnvironment(SandboxedEnvironment):
    """Jinja for report templates: sandboxed, every value XML-escaped and cleaned of characters XML cannot carry
    (auditor.text: stored before the rule on the way in), no loading of other templates, and a budget of work
    (range steps, characters written, seconds) past which rendering stops with a SecurityError."""

    intercepted_binops = frozenset({"*", "**"})

    def __init__(self, *, max_chars: int = MAX_REPORT_CHARS, max_seconds: float | None = None) -> None:
        super().__init__(undefined=StrictUndefined, autoescape=True, finalize=_xml_value, loader=_NoLoading())
        self.max_chars = max_chars
        self.deadline = time.monotonic() + max_seconds if max_seconds else None
        self.range_steps = 0
        self.written = 0
        self.globals["range"] = self._range

    def spend(self, *, steps: int = 0, chars: int = 0) -> None:
        self.range_steps += steps
        self.written += chars
        if self.range_steps > MAX_RANGE_STEPS:
            raise SecurityError(f"the loops run more than {MAX_RANGE_STEPS:,} times")
        if self.written > self.max_chars:
            raise SecurityError(f"the document would be longer than {self.max_chars:,} characters")
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise SecurityError("rendering takes too long")

    def _range(self, *args: int) -> range:
        steps = safe_range(*args)  # the sandbox's own limit on one range
        self.spend(steps=len(steps))
        return steps

    def call_binop(self, context, operator: str, left, right):
        if operator == "*":
            sequence, times = (left, right) if isinstance(right, int) else (right, left)
            if (
                isinstance(sequence, str | list | tuple)
                and isinstance(times, int)
                and len(sequence) * times > self.max_chars
            ):
                raise SecurityError("a repetition that long is not allowed")
        if operator == "**" and isinstance(right, int | float) and abs(right) > 100:
            raise SecurityError("a power that large is not allowed")
        return super().call_binop(context, operator, left, right)

    def call(__self, __context, __obj, *args, **kwargs):
        __self.spend()
        return super().call(__context, __obj, *args, **kwargs)

    def from_string(self, source, globals=None, template_class=None):
        """A template of `source`, compiled once per process: docxtpl hands each part of the document (its body,
        headers, footers) over as a string on every rendering, and compiling a report's body took a quarter of
        rendering it. Each rendering still gets an environment of its own, so its budget is its own."""
        if not isinstance(source, str) or template_class is not None:
            return super().from_string(source, globals, template_class)
        return self.template_class.from_code(self, _compiled(source), self.make_globals(globals), None)


class _BudgetedTemplate(Template):
    def render(self, *args, **kwargs) -> str:
        """Template.render, written piece by piece so that the budget stops a runaway loop as it writes."""
        parts = []
        for part in self.generate(*args, **kwargs):
            self.environment.spend(chars=len(part))  # type: ignore[attr-defined]  # our Environment subclass
            parts.append(part)
        return "".join(parts)


ReportEnvironment.template_class = _BudgetedTemplate


@lru_cache(maxsize=32)  # the parts of the templates in use (a few per template); a part's XML is its own key
def _compiled(source: str) -> CodeType:
    """Jinja's code for a template part. Every ReportEnvironment compiles alike (the budget is spent at run time)."""
    return ReportEnvironment().compile(source)


def environment(**budget) -> ReportEnvironment:
    return ReportEnvironment(**budget)


class _NoLoading(BaseLoader):
    """{% include %}, {% import %} and {% extends %}: a report template is one document and loads no other."""

    def get_source(self, environment, template):
        raise SecurityError(f"templates cannot load other templates: {template}")


def _xml_value(value: object) -> object:
    return xml_text(value) if isinstance(value, str) and not isinstance(value, Markup) else value


def render(template: bytes, context: Mapping[str, object]) -> bytes:
    """The filled-in document (.docx bytes)."""
    document = _render(DocxTemplate(io.BytesIO(template)), context)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _render(tpl: DocxTemplate, context: Mapping[str, object], **budget) -> DocxTemplate:
    token = rendering.set(tpl)
    try:
        tpl.render(dict(context), environment(**budget), autoescape=True)
    finally:
        rendering.reset(token)
    fill_table_of_contents(tpl.docx)
    layout.finish(tpl.docx)
    return tpl


# Checking an uploaded template


@dataclass(frozen=True)
class TemplateProblem:
    """Why a template cannot be used: `message` is an English msgid, `params` fill it. Where the line is
    known, `params` has `line` (the line docxtpl's Jinja saw: one per paragraph) and `text`, that paragraph's
    text, so the author can find it in Word."""

    message: str
    params: dict = field(default_factory=dict)


def check(template: bytes, sample: Mapping[str, object]) -> TemplateProblem | None:
    """None if the template renders with the sample variables; otherwise the first problem."""
    if len(template) > MAX_TEMPLATE_BYTES:
        return TemplateProblem(N_("The file is larger than {mb} MB."), {"mb": MAX_TEMPLATE_BYTES // (1024 * 1024)})
    not_word = TemplateProblem(N_("This is not a Word document (.docx)."))
    try:
        with zipfile.ZipFile(io.BytesIO(template)) as archive:
            unpacked = sum(entry.file_size for entry in archive.infolist())
    except zipfile.BadZipFile:
        return not_word
    if unpacked > MAX_UNPACKED_BYTES:
        return TemplateProblem(N_("The file is larger than {mb} MB."), {"mb": MAX_UNPACKED_BYTES // (1024 * 1024)})
    try:
        tpl = DocxTemplate(io.BytesIO(template))
        tpl.init_docx()
    except Exception:  # python-docx raises several kinds for a zip that is not a Word document
        return not_word
    try:
        unknown = sorted(tpl.get_undeclared_template_variables(environment()) - set(sample))
    except TemplateSyntaxError:
        unknown = []  # rendering below finds it again, with its line
    if unknown:
        line, text = _find(tpl, unknown[0])
        return _located(UNKNOWN, line, text, name=unknown[0])
    tpl = DocxTemplate(io.BytesIO(template))
    try:
        _render(tpl, sample, max_chars=MAX_CHECK_CHARS, max_seconds=MAX_CHECK_SECONDS)
        tpl.save(io.BytesIO())
    except TemplateSyntaxError as error:
        return _problem(tpl, error, error.lineno)
    except (UndefinedError, SecurityError, TemplateError) as error:
        return _problem(tpl, error, _template_line(error))
    except (etree.XMLSyntaxError, ValueError, KeyError, AttributeError, TypeError):
        return TemplateProblem(BROKEN_STRUCTURE)
    return None


BROKEN_STRUCTURE = N_(
    "The tags break the document's structure. A {% for %} or {% if %} that starts in one paragraph, "
    "table row or cell and ends in another needs {%p ...%}, {%tr ...%} or {%tc ...%}."
)


# (message without a line, message with one): Jinja's lines are docxtpl's, one per paragraph after the part's start
UNKNOWN = (N_("Unknown variable {name}."), N_("Line {line} (“{text}”): unknown variable {name}."))
NOT_ALLOWED = (
    N_("Not allowed in a template ({detail})."),
    N_("Line {line} (“{text}”): not allowed in a template ({detail})."),
)
UNREADABLE = (
    N_("The tags cannot be read ({detail})."),
    N_("Line {line} (“{text}”): the tags cannot be read ({detail})."),
)


def _located(messages: tuple[str, str], line: int | None, text: str, **params) -> TemplateProblem:
    if line is None:
        return TemplateProblem(messages[0], params)
    return TemplateProblem(messages[1], {"line": line, "text": text[:120], **params})


def _problem(tpl: DocxTemplate, error: Exception, jinja_line: int | None) -> TemplateProblem:
    detail = str(error.message if isinstance(error, TemplateError) and error.message else error)
    line, text = None, ""
    if jinja_line is not None:
        lines = _source_lines(tpl)
        line, text = max(jinja_line - 1, 1), (lines[jinja_line - 1] if 0 < jinja_line <= len(lines) else "")
    if match := re.search(r"has no attribute '([^']+)'|'([^']+)' is undefined", detail):
        return _located(UNKNOWN, line, text, name=match.group(1) or match.group(2))
    if isinstance(error, SecurityError):
        return _located(NOT_ALLOWED, line, text, detail=detail)
    return _located(UNREADABLE, line, text, detail=detail)


def _source_lines(tpl: DocxTemplate) -> list[str]:
    """The text of each line Jinja saw while rendering the part that failed (docxtpl starts a line at every
    paragraph), tags and all, Word's markup stripped."""
    part = getattr(tpl, "current_rendering_part", None)
    xml = tpl.get_xml() if part is None or part is tpl.docx._part else tpl.get_part_xml(part)
    xml = re.sub(r"<w:p([ >])", r"\n<w:p\1", tpl.patch_xml(xml))
    return [re.sub(r"<[^>]+>", "", line).strip() for line in xml.splitlines()]


def _template_line(error: Exception) -> int | None:
    """The template line of a runtime error: Jinja puts the template's frames into the traceback."""
    line, tb = None, error.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _find(tpl: DocxTemplate, name: str) -> tuple[int | None, str]:
    for number, text in enumerate(_source_lines(tpl), start=1):
        if re.search(r"[{][{%][^}%]*\b" + re.escape(name) + r"\b", text):
            return max(number - 1, 1), text
    return None, ""


# Table of contents: written from the headings, with page numbers as PAGEREF fields

TOC_TAB_TWIPS = 9638  # right edge of A4 less 20 mm margins
TOC_INDENT_TWIPS = 360
TOC_HALF_POINTS = 18  # 9 pt


def fill_table_of_contents(document) -> None:
    """Replace a TOC field with the document's headings, each with a PAGEREF field to a bookmark on its heading.
    LibreOffice shows a TOC field's stored result as it is (it does not rebuild it), but it does compute
    PAGEREF fields, so the contents read right there and in Word (which is also asked to update fields on opening)."""
    body = document.element.body
    instruction = next(
        (i for i in body.iter(qn("w:instrText")) if i.text and i.text.strip().upper().startswith("TOC")), None
    )
    if instruction is None:
        return
    paragraph = next(a for a in instruction.iterancestors() if a.tag == qn("w:p"))
    anchor = paragraph
    for number, (heading, level) in enumerate(_headings(document), start=1):
        name = f"_Toc{number:05d}"
        _bookmark(heading, name, number)
        entry = OxmlElement("w:p")
        entry.append(
            parse_xml(
                f'<w:pPr {nsdecls("w")}><w:tabs><w:tab w:val="right" w:leader="dot" w:pos="{TOC_TAB_TWIPS}"/></w:tabs>'
                f'<w:spacing w:before="{40 if level == 1 else 0}" w:after="0"/><w:ind w:left="{TOC_INDENT_TWIPS * (level - 1)}"/>'
                f'<w:rPr><w:sz w:val="{TOC_HALF_POINTS}"/></w:rPr></w:pPr>'
            )
        )
        entry.append(_sized(text_run("".join(t.text or "" for t in heading.iter(qn("w:t"))))))
        tab = OxmlElement("w:r")
        tab.append(OxmlElement("w:tab"))
        entry.append(tab)
        for run in field_runs(f"PAGEREF {name} \\h"):
            entry.append(_sized(run))
        anchor.addnext(entry)
        anchor = entry
    paragraph.getparent().remove(paragraph)
    _update_fields_on_open(document)


def _sized(run):
    """A contents entry's run at the contents' size (9 pt, so that a cover and its contents share a page)."""
    run.insert(0, parse_xml(f'<w:rPr {nsdecls("w")}><w:sz w:val="{TOC_HALF_POINTS}"/></w:rPr>'))
    return run


def _headings(document):
    styles = {s.style_id: s for s in document.styles}
    for paragraph in document.element.body.iter(qn("w:p")):
        style = paragraph.find(f"{qn('w:pPr')}/{qn('w:pStyle')}")
        if style is None:
            continue
        name = styles[style.get(qn("w:val"))].name if style.get(qn("w:val")) in styles else ""
        if match := re.fullmatch(r"Heading (\d)", name or ""):
            level = int(match.group(1))
            if level <= TOC_LEVELS and "".join(t.text or "" for t in paragraph.iter(qn("w:t"))).strip():
                yield paragraph, level


def _bookmark(paragraph, name: str, number: int) -> None:
    start = OxmlElement("w:bookmarkStart")
    start.set(qn("w:id"), str(900000 + number))
    start.set(qn("w:name"), name)
    end = OxmlElement("w:bookmarkEnd")
    end.set(qn("w:id"), str(900000 + number))
    properties = paragraph.find(qn("w:pPr"))
    if properties is not None:
        properties.addnext(start)
    else:
        paragraph.insert(0, start)
    paragraph.append(end)


def _update_fields_on_open(document) -> None:
    settings = document.settings.element
    if settings.find(qn("w:updateFields")) is None:
        element = OxmlElement("w:updateFields")
        element.set(qn("w:val"), "true")
        settings.append(element)
