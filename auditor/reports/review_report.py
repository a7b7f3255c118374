"""The management review (ISO 45001 9.3) as minutes: what it says, gathered and translated once
(build_review_report_context), and laid out for Word (render_review_report). The review page lays out the
same context in HTML, so the page and the Word file never disagree."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date, datetime

from babel.dates import format_date
from babel.numbers import format_decimal
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Mm
from sqlmodel import Session

from auditor import vocabulary as v
from auditor.i18n import N_, REPORT_TIME_ZONE, format_day, format_moment, translate
from auditor.models import ManagementReview, Organisation, User, utcnow
from auditor.reports.charts import BarChart, TimeChart, to_png, to_svg
from auditor.reports.context import tint
from auditor.reports.docx_xml import shade_cell
from auditor.reports.layout import add_key_value_table, add_row, add_table, finish, set_up_a4
from auditor.services import reviews
from auditor.text import scrub

HAZARD_TABLE_TITLES = {
    1: N_("Table 1: how work is organised"),
    2: N_("Table 2: social factors"),
    3: N_("Table 3: work environment, equipment and hazardous tasks"),
}
NOT_WRITTEN = N_("Not written yet.")
CHART_WIDTH_MM = 165


@dataclass
class Table:
    headings: list[str]
    rows: list[list[str]]
    widths: tuple[int, ...]  # mm in Word; the page lets the browser decide
    numeric: tuple[int, ...] = ()  # columns of numbers, aligned right
    colours: list[str | None] = field(default_factory=list)  # a vocabulary colour for the first cell of each row


@dataclass
class Part:
    """A heading and what follows it; any of text, chart, table and hand-written section may be missing."""

    title: str = ""
    paragraphs: list[str] = field(default_factory=list)
    chart: BarChart | TimeChart | None = None
    table: Table | None = None
    manual: str | None = None  # the key of a section management writes itself
    manual_label: str = ""
    manual_text: str = ""
    hint: str = ""  # what a hand-written section is about

    @property
    def svg(self) -> str:
        """The chart as SVG for the page (text escaped by charts.to_svg)."""
        return to_svg(self.chart) if self.chart else ""


@dataclass
class Section:
    letter: str
    title: str
    parts: list[Part]

    @property
    def heading(self) -> str:
        return f"{self.letter}) {self.title}" if self.letter else self.title


@dataclass
class DecisionLine:
    number: int
    text: str
    case_id: int | None
    reference: str
    status: str


@dataclass
class ReviewReportContext:
    lang: str
    organisation: str
    period: str
    facts: list[tuple[str, str]]
    sections: list[Section]
    decisions: list[DecisionLine]
    report_id: str
    participants: list[tuple[str, str]] = field(default_factory=list)  # (role, name)
    record: list[tuple[str, str]] = field(default_factory=list)  # approval and communication, as facts

    def t(self, message: str) -> str:
        return translate(message, self.lang)


# Gathering


class _Words:
    """Labels, dates and numbers in the report's language."""

    def __init__(self, lang: str):
        self.lang = lang

    def t(self, message: str) -> str:
        return translate(message, self.lang)

    def label(self, vocabulary: v.Vocabulary, value: str | None) -> str:
        choice = vocabulary.get(value)
        return self.t(choice.label) if choice else (value or "")

    def short(self, vocabulary: v.Vocabulary, value: str) -> str:
        return self.t(vocabulary[value].short or vocabulary[value].label) if value in vocabulary else value

    def day(self, value: str | date) -> str:
        return format_day(date.fromisoformat(value) if isinstance(value, str) else value, self.lang)

    def span(self, start: str | date, end: str | date) -> str:
        return f"{self.day(start)} – {self.day(end)}"

    def month(self, value: str) -> str:
        return format_date(date.fromisoformat(value + "-01"), "MMM yyyy", locale=self.lang)

    def moment(self, value: datetime) -> str:
        return format_moment(value, self.lang, REPORT_TIME_ZONE)

    def number(self, value: float | None) -> str:
        return "–" if value is None else format_decimal(value, locale=self.lang)

    def signed(self, value: float | None) -> str:
        return "–" if value is None else ("+" if value > 0 else "") + format_decimal(value, locale=self.lang)

    def clause(self, top: str) -> str:
        title = reviews.CLAUSE_TITLES.get(top)
        return f"{top} {self.t(title)}" if title else top


def build_review_report_context(
    *, session: Session, review: ManagementReview, lang: str, now: datetime | None = None
) -> ReviewReportContext:
    w = _Words(lang)
    t = w.t
    inputs = review.inputs
    organisation = session.get_one(Organisation, review.organisation_id)
    author = session.get(User, review.created_by_id) if review.created_by_id else None
    now = now or utcnow()

    def manual(key: str, hint: str, titled: bool = False) -> Part:
        """A section management writes; titled when it shares its heading with other parts."""
        name = t(reviews.MANUAL_SECTIONS[key].label)
        return Part(
            title=name if titled else "",
            manual=key,
            manual_label=name,
            manual_text=review.manual.get(key, ""),
            hint=t(hint),
        )

    sections = [
        Section(
            "a",
            t("Status of actions from previous management reviews"),
            [_earlier_decisions(w, inputs["earlier_decisions"])],
        ),
        Section(
            "b",
            t("Changes in external and internal issues"),
            [
                manual(
                    "changes_in_issues",
                    N_(
                        "Needs and expectations of interested parties, legal and other requirements, risks and opportunities."
                    ),
                )
            ],
        ),
        Section(
            "c",
            t("Extent to which the OH&S policy and objectives have been met"),
            [manual("objectives", N_("The psychosocial objectives set for the period and how far each was met."))],
        ),
        Section(
            "d",
            t("OH&S performance and trends"),
            [
                *_case_parts(w, inputs),
                *_audit_parts(w, inputs["audit_results"]),
                _trends(w, inputs),
                _monitoring(w, review.monitoring),
                _compliance(w, review.compliance),
                manual(
                    "compliance_evaluation",
                    N_("Whether the legal and other requirements are met (BEK 1406, the authorities' decisions)."),
                    titled=True,
                ),
                manual(
                    "consultation",
                    N_("How workers and their representatives were consulted and took part (AMO, MED, SU)."),
                    titled=True,
                ),
                manual(
                    "risks_opportunities",
                    N_("The psychosocial risks and opportunities found, and how they are addressed."),
                    titled=True,
                ),
            ],
        ),
        Section(
            "e",
            t("Adequacy of resources"),
            [manual("resources", N_("People, time, competence and money for the psychosocial work environment."))],
        ),
        Section(
            "f",
            t("Relevant communication with interested parties"),
            [
                manual(
                    "communications",
                    N_("Complaints, inquiries, the authorities (Arbejdstilsynet), the certification body."),
                )
            ],
        ),
        Section(
            "g", t("Opportunities for continual improvement"), [_improvement(w, inputs["improvement_opportunities"])]
        ),
        Section(
            "",
            t("Conclusion on the OH&S management system"),
            [
                manual("suitability", N_("Does the system still fit the organisation, its work and its risks?"), True),
                manual("adequacy", N_("Does the system cover what ISO 45001 and the law require?"), True),
                manual("effectiveness", N_("Does the system achieve its intended outcomes?"), True),
            ],
        ),
    ]
    decisions = [
        DecisionLine(
            index,
            row.decision.text,
            row.decision.case_id,
            row.reference or "",
            w.label(v.CASE_STATUSES, row.case_status) if row.case_status else t("No action needed"),
        )
        for index, row in enumerate(reviews.list_decisions(session=session, review=review), start=1)
    ]
    period = w.span(review.period_start, review.period_end)
    facts = [
        (t("Organisation"), organisation.name + (f" (CVR {organisation.cvr})" if organisation.cvr else "")),
        (t("Period"), period),
        (t("Compared with"), w.span(inputs["previous_period"]["start"], inputs["previous_period"]["end"])),
        (t("Inputs compiled"), w.moment(datetime.fromisoformat(inputs["compiled_at"]))),
        (t("Meeting date"), w.day(review.meeting_date) if review.meeting_date else "–"),
        (t("Status"), t(reviews.REVIEW_STATES[reviews.review_state(review)].label)),
        (t("Prepared by"), author.name if author else "–"),
        (t("Generated"), w.moment(now)),
    ]
    record = [
        (t("Approved by"), review.approved_by or t("Not approved yet.")),
        (t("Approved on"), w.day(review.approved_on) if review.approved_on else "–"),
        (t("Communicated on"), w.day(review.communicated_on) if review.communicated_on else "–"),
        (t("To whom and how"), review.communication or t("Not communicated yet.")),
    ]
    if review.withdrawn_on is not None:  # a draft again: the minutes say why the earlier approval no longer stands
        record += [
            (t("Approval withdrawn on"), w.day(review.withdrawn_on)),
            (t("Why the approval was withdrawn"), review.withdrawal_reason),
        ]
    return ReviewReportContext(
        lang=lang,
        organisation=organisation.name,
        period=period,
        facts=facts,
        sections=sections,
        decisions=decisions,
        report_id=f"MR{review.id:05d}-{now:%Y%m%d}",
        participants=[(p["role"], p["name"]) for p in review.participants],
        record=record,
    )


def _monitoring(w: _Words, rows: list[dict]) -> Part:
    """9.3 d): monitoring and measurement results, entered per period."""
    t = w.t
    part = Part(title=t("Monitoring and measurement results"))
    if not rows:
        part.paragraphs.append(t(NOT_WRITTEN))
        return part
    part.table = Table(
        [t("Period"), t("Sickness absence in per cent"), t("Survey results"), t("Reported injuries")],
        [
            [r["period"], w.number(r.get("absence_percent")), r.get("survey") or "–", w.number(r.get("injuries"))]
            for r in rows
        ],
        widths=(30, 30, 80, 30),
        numeric=(1, 3),
    )
    return part


def _compliance(w: _Words, rows: list[dict]) -> Part:
    """9.3 d): the authorities' decisions and orders (Arbejdstilsynet), with dates and status."""
    t = w.t
    part = Part(title=t("Decisions and orders of the authorities"))
    if not rows:
        part.paragraphs.append(t("No decisions or orders from the authorities were recorded for the period."))
        return part
    part.table = Table(
        [t("Date"), t("Kind"), t("Reference"), t("Decision"), t("Status")],
        [
            [
                w.day(r["date"]),
                w.label(reviews.COMPLIANCE_KINDS, r["kind"]),
                r.get("reference") or "–",
                r["description"],
                w.label(reviews.COMPLIANCE_STATUSES, r["status"]),
            ]
            for r in rows
        ],
        widths=(28, 30, 25, 60, 27),
    )
    return part


def _earlier_decisions(w: _Words, earlier: dict) -> Part:
    """9.3 a): what became of the decisions of earlier reviews."""
    t, part = w.t, Part()
    if earlier["previous_review"] is None:
        part.paragraphs.append(t("There is no earlier management review of the organisation."))
        return part
    previous = earlier["previous_review"]
    part.paragraphs.append(
        t(
            "The last review covered {period}. Of its decisions and older ones still being followed, {with_case} opened a case: "
            "{closed} closed, {open} still open."
        ).format(
            period=w.span(previous["period_start"], previous["period_end"]),
            with_case=earlier["with_case"],
            closed=earlier["closed"],
            open=earlier["open"],
        )
    )
    part.table = Table(
        [t("Review period"), t("Decision"), t("Case"), t("Status")],
        [
            [
                w.span(d["period_start"], d["period_end"]),
                d["text"],
                d["reference"] or "–",
                w.label(v.CASE_STATUSES, d["status"]) if d["status"] else t("No action needed"),
            ]
            for d in earlier["decisions"]
        ],
        widths=(38, 80, 22, 30),
    )
    return part


def _case_parts(w: _Words, inputs: dict) -> list[Part]:
    """9.3 d): nonconformities and corrective actions, today and in the period."""
    t, cases = w.t, inputs["cases"]
    days = cases["days_to_close"]
    key_figures = Part(
        title=t("Nonconformities and corrective actions"),
        table=Table(
            [t("Measure"), t("Number")],
            [
                [t("Open cases today"), w.number(cases["open"])],
                [t("Overdue cases today"), w.number(cases["overdue"])],
                [t("Cases opened in the period"), w.number(cases["opened_in_period"])],
                *[
                    [f"– {w.label(v.CASE_SOURCES, source)}", w.number(n)]
                    for source, n in cases["opened_by_source"].items()
                ],
                [t("Cases closed in the period"), w.number(cases["closed_in_period"])],
                [t("Median days to close"), w.number(days["median"])],
                [t("Mean days to close"), w.number(days["mean"])],
                [t("Verified effective"), w.number(cases["effectiveness"]["effective"])],
                [t("Verified not effective"), w.number(cases["effectiveness"]["ineffective"])],
            ],
            widths=(120, 30),
            numeric=(1,),
        ),
    )

    by_status = Part(title=t("Open cases by status"))
    if cases["open_by_status"]:
        by_status.table = Table(
            [t("Status"), t("Cases")],
            [[w.label(v.CASE_STATUSES, s), w.number(n)] for s, n in cases["open_by_status"].items()],
            widths=(120, 30),
            numeric=(1,),
            colours=[v.CASE_STATUSES[s].colour for s in cases["open_by_status"]],
        )
    else:
        by_status.paragraphs.append(t("No case is open."))

    overdue = Part(title=t("Overdue cases"))
    if cases["overdue_cases"]:
        overdue.table = Table(
            [t("Case"), t("Grade"), t("Status"), t("Due"), t("Statement")],
            [
                [
                    c["reference"],
                    w.short(v.FINDING_KINDS, c["grade"]),
                    w.label(v.CASE_STATUSES, c["status"]),
                    w.day(c["due"]) if c["due"] else t("Action overdue"),
                    c["statement"],
                ]
                for c in cases["overdue_cases"]
            ],
            widths=(20, 28, 30, 26, 66),
        )
        if cases["overdue"] > len(cases["overdue_cases"]):
            overdue.paragraphs.append(
                t("The {shown} most overdue of {total} are listed.").format(
                    shown=len(cases["overdue_cases"]), total=cases["overdue"]
                )
            )
    else:
        overdue.paragraphs.append(t("No case is overdue."))

    legend = (t("Opened"), t("Closed"), t("Open at month end"))
    months = [(w.month(m["month"]), m["opened"], m["closed"], m["open"]) for m in inputs["over_time"]]
    over_time = Part(
        title=t("Cases opened and closed, month by month"),
        chart=TimeChart(t("Cases opened and closed, month by month"), months, legend),
        table=Table(
            [t("Month"), *legend],
            [[m, w.number(o), w.number(c), w.number(n)] for m, o, c, n in months],
            widths=(50, 30, 30, 40),
            numeric=(1, 2, 3),
        ),
    )

    to_close = Part(title=t("Days to close"))
    if days["count"]:
        to_close.paragraphs.append(
            t(
                "Cases closed in the period: {count}. From opening to closing: median {median} days, mean {mean} days."
            ).format(count=days["count"], median=w.number(days["median"]), mean=w.number(days["mean"]))
        )
        bars = [
            (
                t("{low}–{high} days").format(low=b["from"], high=b["to"])
                if b["to"] is not None
                else t("more than {days} days").format(days=b["from"] - 1),
                b["count"],
            )
            for b in days["buckets"]
        ]
        to_close.chart = BarChart(
            t("Cases closed in the period, by days from opening to closing"), bars, colour="#15803d"
        )
    else:
        to_close.paragraphs.append(t("No case was closed in the period."))
    return [key_figures, by_status, overdue, over_time, to_close]


def _audit_parts(w: _Words, audits: dict) -> list[Part]:
    """9.3 d): the results of the audits that ended in the period."""
    t = w.t
    audit_list = Part(title=t("Audits in the period"))
    if audits["audits"]:
        audit_list.table = Table(
            [t("Audit"), t("Audit type"), t("Dates"), t("Status"), t("Findings"), t("NCs")],
            [
                [
                    a["title"],
                    w.label(v.AUDIT_TYPES, a["audit_type"]),
                    w.span(a["start_date"], a["end_date"]),
                    w.label(v.AUDIT_STATUSES, a["status"]),
                    w.number(a["findings"]),
                    w.number(a["nonconformities"]),
                ]
                for a in audits["audits"]
            ],
            widths=(48, 28, 34, 22, 22, 16),
            numeric=(4, 5),
        )
    else:
        audit_list.paragraphs.append(t("No audit ended in the period."))

    by_kind = Part(
        title=t("Findings by kind"),
        table=Table(
            [t("Kind"), t("Findings")],
            [[w.label(v.FINDING_KINDS, k), w.number(n)] for k, n in audits["by_kind"].items()]
            + [[t("Total"), w.number(audits["findings"])]],
            widths=(120, 30),
            numeric=(1,),
            colours=[v.FINDING_KINDS[k].colour for k in audits["by_kind"]] + [None],
        ),
    )

    by_clause = Part(title=t("Findings by clause of ISO 45003"))
    if audits["by_clause"]:
        by_clause.chart = BarChart(
            t("Findings by clause of ISO 45003"), [(w.clause(c["clause"]), c["count"]) for c in audits["by_clause"]]
        )
        by_clause.table = Table(
            [t("Clause"), t("Findings")],
            [[v.clause_label(f"45003:{c['clause']}"), w.number(c["count"])] for c in audits["by_full_clause"]],
            widths=(120, 30),
            numeric=(1,),
        )
    if audits["without_clause"]:
        by_clause.paragraphs.append(
            t("Findings that refer to no clause of ISO 45003: {count}.").format(count=audits["without_clause"])
        )
    if not audits["findings"]:
        by_clause.paragraphs.append(t("No findings in the period."))

    by_bek = Part(title=t("Findings by risk factor of BEK 1406"))
    if any(audits["by_bek1406"].values()):
        by_bek.chart = BarChart(
            t("Findings by risk factor of BEK 1406"),
            [(w.label(v.BEK1406_FACTORS, f), n) for f, n in audits["by_bek1406"].items()],
            colour="#7c3aed",
        )
    else:
        by_bek.paragraphs.append(t("No finding is tagged with a BEK 1406 risk factor."))

    by_hazard = Part(title=t("Findings by psychosocial hazard (ISO 45003 tables 1-3)"))
    if audits["by_hazard"]:
        rows = []
        for per_table in audits["by_hazard_table"]:
            title = HAZARD_TABLE_TITLES[per_table["table"]]
            rows.append([t(title), w.number(per_table["count"])])
            rows += [
                [f"– {w.label(v.HAZARD_FACTORS, h['factor'])}", w.number(h["count"])]
                for h in audits["by_hazard"]
                if h["table"] == per_table["table"]
            ]
        by_hazard.table = Table([t("Hazard"), t("Findings")], rows, widths=(130, 30), numeric=(1,))
        by_hazard.paragraphs.append(t("A finding counts once under each factor it is tagged with, and once per table."))
    else:
        by_hazard.paragraphs.append(t("No finding is tagged with a psychosocial hazard."))

    by_site = Part(title=t("Findings by site"))
    if audits["by_site"]:
        by_site.table = Table(
            [t("Site / production unit"), t("Audits"), t("Findings"), t("NCs")],
            [
                [s["name"], w.number(s["audits"]), w.number(s["findings"]), w.number(s["nonconformities"])]
                for s in audits["by_site"]
            ],
            widths=(80, 24, 24, 22),
            numeric=(1, 2, 3),
        )
    else:
        by_site.paragraphs.append(t("No audit in the period names a site."))
    return [audit_list, by_kind, by_clause, by_bek, by_hazard, by_site]


def _trends(w: _Words, inputs: dict) -> Part:
    t = w.t
    previous = w.span(inputs["previous_period"]["start"], inputs["previous_period"]["end"])
    return Part(
        title=t("Trends against the previous period"),
        paragraphs=[t("Compared with {period}.").format(period=previous)],
        table=Table(
            [t("Measure"), t("Previous period"), t("This period"), t("Change")],
            [
                [
                    w.label(reviews.TREND_MEASURES, row["measure"]),
                    w.number(row["previous"]),
                    w.number(row["current"]),
                    w.signed(row["difference"]),
                ]
                for row in inputs["trends"]
            ],
            widths=(80, 30, 30, 30),
            numeric=(1, 2, 3),
        ),
    )


def _improvement(w: _Words, opportunities: dict) -> Part:
    """9.3 g): the opportunities for improvement the period's audits raised."""
    t = w.t
    part = Part(
        paragraphs=[
            t("Opportunities for improvement raised in the period's audits: {count}.").format(
                count=opportunities["total"]
            )
        ]
    )
    if opportunities["items"]:
        part.table = Table(
            [t("Audit"), t("Finding"), t("Statement")],
            [[o["audit_title"], o["reference"], o["statement"]] for o in opportunities["items"]],
            widths=(50, 20, 100),
        )
    return part


# Laying out in Word


def render_review_report(context: ReviewReportContext) -> bytes:
    context = scrub(context)  # text stored before the rule on the way in may hold characters Word's XML cannot carry
    t = context.t
    document = Document()
    set_up_a4(
        document,
        t=context.t,
        lang=context.lang,
        title=f"{context.t('Management review')}: {context.organisation}, {context.period}",
        subject=context.t("Management review"),
        footer=f"{context.report_id} · {context.organisation}",
    )
    document.add_paragraph(t("Management review"), style="Title")
    document.add_paragraph(f"{context.organisation} · {context.period}", style="Subtitle")
    add_key_value_table(document, [*context.facts, (t("Review id"), context.report_id)])
    document.add_paragraph()
    document.add_paragraph(
        t(
            "Top management's review of the OH&S management system, here of the psychosocial work environment, following "
            "ISO 45001 clause 9.3: the inputs a) to g), then the decisions taken."
        )
    )
    document.add_heading(t("Participants"), level=1)
    if context.participants:
        table = add_table(document, [t("Role"), t("Name")], widths=(70, 100))
        for role, name in context.participants:
            add_row(table, [role, name or "–"])
    else:
        document.add_paragraph().add_run(t(NOT_WRITTEN)).italic = True
    for section in context.sections:
        document.add_heading(section.heading, level=1)
        for part in section.parts:
            _part(document, part, t)
    document.add_heading(t("Decisions"), level=1)
    if context.decisions:
        table = add_table(document, [t("No."), t("Decision"), t("Case"), t("Status")], widths=(12, 100, 24, 34))
        for line in context.decisions:
            add_row(table, [str(line.number), line.text, line.reference or "–", line.status])
    else:
        document.add_paragraph(t("No decisions have been recorded."))
    document.add_heading(t("Approval and communication to workers"), level=1)
    add_key_value_table(document, context.record)
    finish(document)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _part(document, part: Part, t) -> None:
    if part.title:
        document.add_heading(part.title, level=2)
    if part.manual is not None:
        if part.manual_text:
            for paragraph in part.manual_text.split("\n\n"):
                document.add_paragraph(paragraph.strip())
        else:
            run = document.add_paragraph().add_run(t(NOT_WRITTEN))
            run.italic = True
    for text in part.paragraphs:
        document.add_paragraph(text)
    if part.chart is not None:
        document.add_picture(io.BytesIO(to_png(part.chart)), width=Mm(CHART_WIDTH_MM))
    if part.table is not None and part.table.rows:
        table = add_table(document, part.table.headings, widths=part.table.widths)
        for index, values in enumerate(part.table.rows):
            cells = add_row(table, values)
            for column in part.table.numeric:
                cells[column].paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
            colour = part.table.colours[index] if index < len(part.table.colours) else None
            if colour:
                shade_cell(cells[0], tint(colour))
        for column in part.table.numeric:
            table.rows[0].cells[column].paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
        document.add_paragraph()


def review_report_file(*, session: Session, review: ManagementReview, lang: str) -> tuple[str, bytes]:
    """(file name, .docx bytes) of the review's minutes in `lang`."""
    context = build_review_report_context(session=session, review=review, lang=lang)
    return (
        f"{context.report_id}-{review.period_start:%Y%m%d}-{review.period_end:%Y%m%d}-{lang}.docx",
        render_review_report(context),
    )
