"""The starter templates we ship, in Danish and English: Word documents with docxtpl tags, written here with
python-docx so that their layout is reviewed as code. A customer downloads one, changes it in Word (logo,
fonts, order of sections) and uploads it again; reports/variables.py documents every variable they can use.

docxtpl's tags used here: `{%p ... %}` replaces its whole paragraph, `{%tr ... %}` its whole table row,
`{% cellbg x %}` shades the cell it stands in.
"""

from __future__ import annotations

import dataclasses
import io
from functools import cache

from docx import Document
from docx.shared import Mm, Pt

from auditor import vocabulary as v
from auditor.i18n import translate
from auditor.reports.context import SectionCount
from auditor.reports.docx_xml import add_field, shade_cell
from auditor.reports.layout import HEADER_FILL, add_key_value_rows, add_key_value_table, add_row, add_table, set_up_a4

FOOTER = "{{ report.id }} v{{ report.version }} · {{ organisation.name }}"
DASH = '"–"'
NOTES_BOX_MM = 32  # a handwritten line is about 8 mm: room for four lines of notes and evidence
QUESTION = "{{ item.question }}{% if item.clauses %}\n{{ item.clauses }}{% endif %}"


def _literal(text: str) -> str:
    """A Jinja string literal of a (translated) text."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


@cache
def starter_template(kind: str, lang: str) -> bytes:
    """The starter .docx of a report kind in a language (built once per process)."""

    def t(message: str) -> str:
        return translate(message, lang)

    document = Document()
    set_up_a4(document, t=t, lang=lang, title="{{ audit.title }}", subject="{{ report.kind }}", footer=FOOTER)
    {"audit_report": _audit_report, "nonconformity_report": _nonconformity_report, "checklist": _checklist}[kind](
        document, t
    )
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _tag(container, text: str) -> None:
    """A paragraph holding only a `{%p ... %}` tag (docxtpl removes it)."""
    container.add_paragraph(text)


def _cover(document, t, title: str) -> None:
    # The certification body's logo; an internal audit names no certification body.
    _tag(document, "{%p if body.has_logo and not audit.is_internal %}")
    document.add_paragraph("{{ body.logo }}")
    _tag(document, "{%p endif %}")
    document.add_paragraph(title, style="Title")
    document.add_paragraph("{{ audit.title }}", style="Subtitle")
    table = add_key_value_table(
        document,
        [
            (
                t("Organisation"),
                "{{ organisation.name }}{% if organisation.cvr %} (CVR {{ organisation.cvr }}){% endif %}"
                "{% if organisation.address %}\n{{ organisation.address }}{% endif %}",
            ),
            (
                t("Sites / production units"),
                "{% for site in organisation.sites %}{{ site.name }}{% if site.p_number %} (P-nr. {{ site.p_number }}){% endif %}"
                "{% if not loop.last %}, {% endif %}{% else %}–{% endfor %}",
            ),
            (t("Audit type"), "{{ audit.type }}"),
            (t("Dates"), "{{ audit.dates }}"),
            (t("Lead auditor"), "{{ team.lead or " + DASH + " }}"),
            (t("Audit team"), "{{ team.auditors|join(', ') or " + DASH + " }}"),
            (
                t("Accompanying persons"),
                "{% for person in audit.accompanying %}{{ person.name }} ({{ person.role }}, {{ person.presence }})"
                "{% if not loop.last %}\n{% endif %}{% else %}–{% endfor %}",
            ),
            (
                t("Checklists"),
                "{% for checklist in checklists %}{{ checklist.title }} (v{{ checklist.version }}){% if not loop.last %}\n{% endif %}{% endfor %}",
            ),
            (t("Report id and version"), "{{ report.id }}, " + t("version") + " {{ report.version }}"),
            (t("Generated"), "{{ report.generated }}"),
        ],
    )
    add_key_value_rows(
        table,
        [
            ("", "{%tr if not audit.is_internal %}"),
            (
                t("Certification body"),
                "{{ body.name or " + DASH + " }}{% if body.address %}\n{{ body.address }}{% endif %}"
                "{% if body.accreditation %}\n" + t("Accreditation") + ": {{ body.accreditation }}{% endif %}",
            ),
            (
                t("Certificate"),
                "{% if audit.certificate_number %}{{ audit.certificate_number }}"
                "{% if audit.certificate_expiry %}, " + t("valid until") + " {{ audit.certificate_expiry }}{% endif %}"
                "{% else %}–{% endif %}",
            ),
            (
                t("Next audit"),
                "{{ audit.next_audit_date or " + DASH + " }}"
                "{% if audit.next_audit_source %} ({{ audit.next_audit_source }}){% endif %}",
            ),
            ("", "{%tr endif %}"),
        ],
    )
    # Who wrote each checklist and what inspired it, so nobody takes an AT-inspired checklist for AT's own guide.
    _tag(document, "{%p for checklist in checklists %}")
    note = document.add_paragraph("{{ checklist.title }}: {{ checklist.attribution }}")
    note.paragraph_format.space_before, note.paragraph_format.space_after = Pt(2), Pt(0)
    note.runs[0].italic = True
    note.runs[0].font.size = Pt(8)
    _tag(document, "{%p endfor %}")


def _heading(document, text: str, level: int = 1, new_page: bool = False):
    heading = document.add_heading(text, level=level)
    heading.paragraph_format.page_break_before = new_page
    return heading


def _text(document, text: str):
    return document.add_paragraph(text)


def _findings_table(document, t, rows: str) -> None:
    table = add_table(
        document, [t("No."), t("Kind"), t("Clauses"), t("Statement and evidence")], widths=(18, 32, 32, 88)
    )
    add_row(table, ["{%tr for finding in " + rows + " %}", "", "", ""])
    add_row(
        table,
        [
            "{{ finding.reference }}",
            "{% cellbg finding.fill %}{{ finding.kind_label }}",
            "{{ finding.clauses }}{% if finding.item_code %} ({{ finding.item_code }}){% endif %}",
            "{% if finding.requirement %}"
            + t("Requirement")
            + ": {{ finding.requirement }}\n{% endif %}{{ finding.statement }}"
            "{% if finding.evidence %}\n" + t("Objective evidence") + ": {{ finding.evidence }}{% endif %}",
        ],
    )
    add_row(table, ["{%tr endfor %}", "", "", ""])


def _section_loop_start(document, top_level: int, items: str = "section.items") -> None:
    """Open the loop over the checklists' sections: a heading per section (top-level sections one level above
    the others), then, if the section has `items`, what follows until the caller closes both tags."""
    _tag(document, "{%p for section in sections %}")
    _tag(document, "{%p if section.level == 1 %}")
    _heading(document, "{{ section.title }}", level=top_level)
    _tag(document, "{%p else %}")
    _heading(document, "{{ section.title }}", level=top_level + 1)
    _tag(document, "{%p endif %}")
    _tag(document, "{%p if " + items + " %}")


def _photos(container, photos: str) -> None:
    """A photo under the other, each with its caption, inside a cell or the body."""
    _tag(container, "{%p for photo in " + photos + " %}")
    container.add_paragraph("{{ photo.image }}")
    caption = container.add_paragraph("{{ photo.caption }}")
    caption.runs[0].italic = True
    _tag(container, "{%p endfor %}")


def _audit_report(document, t) -> None:
    _cover(document, t, t("Audit report"))
    contents = document.add_paragraph(t("Contents"))
    contents.paragraph_format.space_before = Pt(18)
    contents.runs[0].bold = True
    contents.runs[0].font.size = Pt(13)
    add_field(
        document.add_paragraph(),
        'TOC \\o "1-2" \\h \\z \\u',
        t("The table of contents is filled in when the report is made."),
    )

    _heading(document, t("Audit objectives, scope and criteria"), new_page=True)
    for heading, variable in (
        (t("Audit objectives"), "audit.objectives"),
        (t("Audit scope"), "audit.scope"),
        (t("Audit criteria"), "audit.criteria"),
    ):
        _heading(document, heading, level=3)
        _text(document, "{{ " + variable + " or " + DASH + " }}")

    _heading(document, t("Audit plan as carried out"))
    _tag(document, "{%p if plan %}")
    table = add_table(
        document,
        [t("Date"), t("Time"), t("Activity"), t("Auditor"), t("Auditee (role)"), t("On site or remote")],
        widths=(22, 22, 50, 26, 30, 20),
    )
    add_row(table, ["{%tr for row in plan %}", "", "", "", "", ""])
    add_row(
        table,
        [
            "{{ row.day }}",
            "{{ row.time }}",
            "{{ row.activity }}",
            "{{ row.auditor }}",
            "{{ row.auditee_role }}",
            "{{ row.presence }}",
        ],
    )
    add_row(table, ["{%tr endfor %}", "", "", "", "", ""])
    _tag(document, "{%p else %}")
    _text(document, t("No audit plan was recorded."))
    _tag(document, "{%p endif %}")
    _heading(document, t("Deviations from the audit plan"), level=3)
    _text(document, "{{ audit.plan_deviations or " + _literal(t("None.")) + " }}")
    for heading, variable in (
        (t("Significant changes since the last audit"), "audit.significant_changes"),
        (t("Significant issues affecting the audit programme"), "audit.programme_issues"),
        (t("Unresolved issues and diverging opinions"), "audit.unresolved_issues"),
    ):
        _heading(document, heading, level=3)
        _text(document, "{{ " + variable + " or " + _literal(t("None.")) + " }}")
    _tag(document, "{%p if not audit.is_internal %}")
    _heading(document, t("Combined, joint or integrated audit"), level=3)
    _text(document, "{{ audit.combination or " + DASH + " }}")
    _tag(document, "{%p endif %}")
    _tag(document, "{%p if audit_time.stated %}")
    _heading(document, t("Audit time (IAF MD 5)"), level=3)
    add_key_value_table(
        document,
        [
            (t("Effective number of personnel"), "{{ audit_time.personnel or " + DASH + " }}"),
            (t("OH&S risk category"), "{{ audit_time.ohs_risk or " + DASH + " }}"),
            (t("Days in the IAF MD 5 table (stage 1 + stage 2)"), "{{ audit_time.table_days or " + DASH + " }}"),
            (t("Reduction by the audit's type"), "{{ audit_time.reduction or " + _literal(t("None.")) + " }}"),
            (
                t("Adjustments"),
                "{% for line in audit_time.adjustments %}{{ line }}{% if not loop.last %}; {% endif %}"
                "{% else %}" + t("None.") + "{% endfor %}",
            ),
            (t("Audit days required by IAF MD 5"), "{{ audit_time.md5_days or " + DASH + " }}"),
            (
                t("Extra time on the material work environment (Danish recognised certificate)"),
                "{{ audit_time.dk_extra or " + DASH + " }}",
            ),
            (t("Planned audit days"), "{{ audit_time.planned_days or " + DASH + " }}"),
            (t("Audit days spent"), "{{ audit_time.actual_days or " + DASH + " }}"),
            (t("Table"), "{{ audit_time.table }}"),
        ],
    )
    _tag(document, "{%p if audit_time.repeated_reduction %}")
    _text(document, "{{ audit_time.repeated_reduction }}")
    _tag(document, "{%p endif %}")
    _tag(document, "{%p endif %}")
    _tag(document, "{%p if sampling|length > 1 %}")
    _heading(document, t("Production units visited (IAF MD 1)"), level=3)
    table = add_table(document, [t("Production unit"), t("Visited"), t("Why the unit is visited")], widths=(60, 25, 85))
    add_row(table, ["{%tr for unit in sampling %}", "", ""])
    add_row(
        table,
        [
            "{{ unit.name }}{% if unit.p_number %}\nP-nr. {{ unit.p_number }}{% endif %}"
            "{% if unit.central %}\n" + t("Central function") + "{% endif %}",
            "{{ unit.visited }}",
            "{{ unit.reason }}",
        ],
    )
    add_row(table, ["{%tr endfor %}", "", ""])
    _tag(document, "{%p endif %}")
    _heading(document, t("Interviews by role"), level=3)
    table = add_table(document, [t("Interviewee role"), t("Interviews"), t("People")], widths=(110, 30, 30))
    add_row(table, ["{%tr for row in interviews %}", "", ""])
    add_row(
        table,
        [
            "{{ row.role }}",
            "{{ row.interviews or " + _literal(t("not interviewed")) + " }}",
            "{{ row.people or " + DASH + " }}",
        ],
    )
    add_row(table, ["{%tr endfor %}", "", ""])

    _heading(document, t("Summary and conclusion"))
    _text(document, "{{ audit.summary or " + DASH + " }}")
    _heading(document, t("Conclusion"), level=3)
    _text(document, "{{ audit.conclusion or " + DASH + " }}")
    _tag(document, "{%p if not audit.is_internal %}")
    _heading(document, t("Statements on conformity and effectiveness"), level=3)
    table = add_table(document, [t("The team's statement"), t("Answer")], widths=(140, 30))
    add_row(table, ["{%tr for row in audit.statements %}", ""])
    add_row(table, ["{{ row.statement }}", "{{ row.answer }}"])
    add_row(table, ["{%tr endfor %}", ""])
    _tag(document, "{%p endif %}")
    _tag(document, "{%p if audit.is_stage1 %}")
    _heading(document, t("Readiness for stage 2"), level=3)
    _text(document, "{{ audit.stage1_readiness or " + DASH + " }}")
    _heading(document, t("Areas of concern"), level=3)
    _tag(document, "{%p for finding in areas_of_concern %}")
    _text(
        document,
        "{{ finding.reference }}{% if finding.clauses %} ({{ finding.clauses }}){% endif %}: {{ finding.statement }}",
    )
    _tag(document, "{%p else %}")
    _text(document, t("No areas of concern were raised."))
    _tag(document, "{%p endfor %}")
    _tag(document, "{%p endif %}")
    _tag(document, "{%p if audit.is_certification %}")
    _heading(document, t("The audit team's recommendation"), level=3)
    _text(document, "{{ audit.recommendation or " + DASH + " }}")
    _heading(document, t("Control of certificates and marks"), level=3)
    _text(document, "{{ audit.marks_control or " + DASH + " }}")
    _tag(document, "{%p endif %}")

    _heading(document, t("Statistics"))
    _text(
        document,
        t("{answered} of {total} checklist questions answered ({percent} %).").format(
            answered="{{ statistics.answered }}", total="{{ statistics.total }}", percent="{{ statistics.percent }}"
        ),
    )
    table = add_table(document, [t("Verdict"), t("Count")], widths=(120, 30))
    add_row(table, ["{%tr for verdict in statistics.by_verdict %}", ""])
    add_row(table, ["{% cellbg verdict.fill %}{{ verdict.label }}", "{{ verdict.count }}"])
    add_row(table, ["{%tr endfor %}", ""])
    document.add_paragraph("{{ statistics.chart }}")
    _heading(document, t("By section"), level=3)
    _text(
        document,
        t(
            "Items, answered, not audited on this visit and conform count the checklist questions; nonconformities, "
            "observations and OFIs, and good practice count the findings raised on them."
        ),
    )
    columns = [f.name for f in dataclasses.fields(SectionCount)]  # in the order of the headings below
    table = add_table(
        document,
        [
            t("Section"),
            t("Items"),
            t("Answered"),
            t("Not audited on this visit"),
            t("Conform"),
            t("Nonconformities"),
            # the verdicts' short names: eight columns leave no room for "Observationer og forbedringsmuligheder"
            " / ".join(t(v.VERDICTS[kind].short) for kind in (v.Verdict.OBSERVATION, v.Verdict.OFI)),
            t("Good practice"),
        ],
        widths=(40, 14, 19, 21, 18, 22, 20, 16),
    )
    blank = [""] * (len(columns) - 1)
    add_row(table, ["{%tr for section in statistics.by_section %}", *blank])
    add_row(table, [f"{{{{ section.{name} }}}}" for name in columns])
    add_row(table, ["{%tr endfor %}", *blank])
    for cell in add_row(table, [f"{{{{ statistics.section_total.{name} }}}}" for name in columns]):
        cell.paragraphs[0].runs[0].bold = True

    _heading(document, t("Findings"), new_page=True)
    _tag(document, "{%p if findings %}")
    _findings_table(document, t, "findings")
    _tag(document, "{%p else %}")
    _text(document, t("No findings were raised."))
    _tag(document, "{%p endif %}")

    _heading(document, t("Nonconformities"))
    _tag(document, "{%p for nc in nonconformities %}")
    _heading(document, "{{ nc.reference }} {{ nc.kind_label }}", level=2)
    _nonconformity_facts(document, t, "nc")
    _photos(document, "nc.photos")
    _tag(document, "{%p else %}")
    _text(document, t("No nonconformities were raised."))
    _tag(document, "{%p endfor %}")

    _heading(document, t("Verification of earlier nonconformities"))
    _tag(document, "{%p if follow_ups %}")
    table = add_table(
        document,
        [t("Case"), t("Nonconformity and what was verified on site"), t("Result"), t("Verified by")],
        widths=(34, 82, 26, 28),
    )
    add_row(table, ["{%tr for case in follow_ups %}", "", "", ""])
    add_row(
        table,
        [
            "{{ case.reference }}\n{{ case.grade }}",
            "{{ case.statement }}{% if case.raised_in %} ({{ case.raised_in }}){% endif %}"
            "{% if case.checked %}\n" + t("Verified") + ": {{ case.checked }}{% endif %}",
            "{% cellbg case.fill %}{{ case.result }}",
            "{{ case.verified_by or " + DASH + " }}",
        ],
    )
    add_row(table, ["{%tr endfor %}", "", "", ""])
    _tag(document, "{%p else %}")
    _text(document, t("No nonconformities from earlier audits were due for verification in this audit."))
    _tag(document, "{%p endif %}")

    _heading(document, t("Good practice"))
    _tag(document, "{%p for finding in good_practice %}")
    _text(
        document,
        "{{ finding.reference }}{% if finding.clauses %} ({{ finding.clauses }}){% endif %}: {{ finding.statement }}",
    )
    _tag(document, "{%p else %}")
    _text(document, t("No good practice was recorded as a finding."))
    _tag(document, "{%p endfor %}")

    _heading(document, t("Checklist responses"), new_page=True)
    _section_loop_start(document, top_level=2, items="section.audited")
    table = add_table(
        document, [t("Item"), t("Question"), t("Verdict"), t("Note and evidence")], widths=(18, 66, 24, 62)
    )
    add_row(table, ["{%tr for item in section.audited %}", "", "", ""])
    cells = add_row(
        table,
        ["{{ item.code }}", QUESTION, "{% cellbg item.fill %}{{ item.verdict_label }}", "{{ item.note }}"],
        keep_together=False,
    )
    _tag(cells[3], "{%p for line in item.weighing %}")
    cells[3].add_paragraph("{{ line }}")
    _tag(cells[3], "{%p endfor %}")
    _tag(cells[3], "{%p for line in item.evidence %}")
    cells[3].add_paragraph("• {{ line }}")
    _tag(cells[3], "{%p endfor %}")
    _photos(cells[3], "item.photos")
    add_row(table, ["{%tr endfor %}", "", "", ""])
    _tag(document, "{%p endif %}")
    _tag(document, "{%p if section.not_audited_line %}")
    not_audited = _text(document, "{{ section.not_audited_line }}")
    not_audited.runs[0].italic = True
    _tag(document, "{%p endif %}")
    _tag(document, "{%p endfor %}")

    _tag(document, "{%p if certificate.applies %}")
    _heading(document, t("Recognised OH&S certificate (Denmark)"))
    hours = " " + t("hours")
    add_key_value_table(
        document,
        [
            (t("Auditor trained under BEK 1407"), "{{ certificate.bek1407_auditor or " + DASH + " }}"),
            (t("Audit days required by IAF MD 5"), "{{ certificate.md5_days or " + DASH + " }}"),
            (t("Audit days spent"), "{{ certificate.actual_days or " + DASH + " }}"),
            (
                t("Audit time on the psychosocial work environment"),
                "{% if certificate.psychosocial_hours %}{{ certificate.psychosocial_hours }}" + hours + ""
                "{% if certificate.psychosocial_share %} ("
                + t("{share} % of the audit time spent").format(share="{{ certificate.psychosocial_share }}")
                + "){% endif %}{% else %}–{% endif %}",
            ),
            (
                t("Audit time on the material work environment"),
                "{% if certificate.material_hours %}{{ certificate.material_hours }}" + hours + ""
                "{% if certificate.material_share %} ("
                + t("{share} % of the IAF MD 5 audit time").format(share="{{ certificate.material_share }}")
                + "){% endif %}{% else %}–{% endif %}",
            ),
            (
                t("Extra time required"),
                t("at least {share} % of the IAF MD 5 audit time").format(share="{{ certificate.required_share }}")
                + "{% if certificate.required_hours %} ({{ certificate.required_hours }}"
                + hours
                + "){% endif %}{% if certificate.requirement_met %}. "
                + t("Reached")
                + ": {{ certificate.requirement_met }}{% endif %}",
            ),
        ],
    )
    _heading(document, t("Production units"), level=3)
    table = add_table(
        document,
        [t("Production unit"), t("Hours on the material work environment"), t("Significant work-environment problems")],
        widths=(50, 30, 90),
    )
    add_row(table, ["{%tr for unit in certificate.units %}", "", ""])
    add_row(
        table,
        [
            "{{ unit.name }}{% if unit.p_number %}\nP-nr. {{ unit.p_number }}{% endif %}",
            "{{ unit.material_hours or " + DASH + " }}",
            "{{ unit.significant_problems or " + _literal(t("None found.")) + " }}",
        ],
    )
    add_row(table, ["{%tr endfor %}", "", ""])
    _tag(document, "{%p endif %}")

    _heading(document, t("About this report"))
    _text(
        document,
        t(
            "An audit is based on a sample of the available information, so the findings may not cover everything that "
            "could have been found."
        ),
    )
    _tag(document, "{%p if not audit.is_internal %}")
    _text(
        document,
        t(
            "This report is confidential between the audit client, the auditee and the certification body. Interviewees are recorded "
            "by role, never by name, and confidential interview notes are not part of the report."
        ),
    )
    _tag(document, "{%p else %}")
    _text(
        document,
        t(
            "This report is confidential within the organisation audited. Interviewees are recorded by role, never by name, and "
            "confidential interview notes are not part of the report."
        ),
    )
    _tag(document, "{%p endif %}")

    _heading(document, t("Signatures"))
    _signatures(document, t)


def _nonconformity_facts(document, t, nc: str) -> None:
    table = add_table(document, [t("Nonconformity"), "{{ " + nc + ".reference }}"], widths=(50, 120))
    for key, value in (
        (t("Grade"), "{% cellbg " + nc + ".fill %}{{ " + nc + ".kind_label }}"),
        (
            t("Clauses"),
            "{{ "
            + nc
            + ".clauses or "
            + DASH
            + " }}{% if "
            + nc
            + ".item_code %} ("
            + t("item")
            + " {{ "
            + nc
            + ".item_code }}){% endif %}",
        ),
        (t("Requirement"), "{{ " + nc + ".requirement or " + DASH + " }}"),
        (t("Statement of nonconformity"), "{{ " + nc + ".statement }}"),
        (t("Objective evidence"), "{{ " + nc + ".evidence or " + DASH + " }}"),
        (t("Correction due"), "{{ " + nc + ".correction_due or " + DASH + " }}"),
        (t("Response due (root cause and corrective action plan)"), "{{ " + nc + ".response_due or " + DASH + " }}"),
    ):
        cells = add_row(table, [key, value])
        cells[0].paragraphs[0].runs[0].bold = True
        shade_cell(cells[0], HEADER_FILL)


def _signatures(document, t) -> None:
    table = add_table(document, [t("Role"), t("Name"), t("Date"), t("Signature")], widths=(40, 50, 30, 50))
    for role, name in (
        (t("Lead auditor"), "{{ team.lead }}"),
        (t("Auditee representative"), "{{ organisation.representative }}"),
    ):
        cells = add_row(table, [role, name, "", ""])
        cells[0].paragraphs[0].paragraph_format.space_before = Mm(8)


def _nonconformity_report(document, t) -> None:
    _cover(document, t, t("Nonconformity report"))
    _text(
        document,
        t(
            "For each nonconformity below, please state the correction made, the root cause found and the corrective action "
            "planned, with owner and date, and send the report back by the response date."
        ),
    ).paragraph_format.space_before = Pt(12)
    # The receipt is signed on the first page, with the cover: each NC's form keeps its own page to itself.
    _heading(document, t("Received"))
    _signatures(document, t)
    _tag(document, "{%p for nc in nonconformities %}")
    _heading(document, "{{ nc.reference }} {{ nc.kind_label }}", new_page=True)
    _nonconformity_facts(document, t, "nc")
    _photos(document, "nc.photos")
    _heading(document, t("The organisation's response"), level=2)
    table = add_table(document, [t("Step"), t("Response")], widths=(50, 120))
    for step, value in (
        (t("Case and status"), "{% if nc.case %}{{ nc.case.reference }}: {{ nc.case.status }}{% else %}–{% endif %}"),
        (t("Date received"), "{{ nc.case.received if nc.case else '' }}"),
        (t("Correction"), "{{ nc.case.correction if nc.case else '' }}"),
        (t("Root cause"), "{{ nc.case.root_cause if nc.case else '' }}"),
        (
            t("Corrective action (owner, due date)"),
            "{% if nc.case %}{% for action in nc.case.actions %}{{ action.description }} "
            "({{ action.owner }}, {{ action.due }}, {{ action.status }}){% if not loop.last %}\n{% endif %}{% endfor %}{% endif %}",
        ),
        (t("Verification of effectiveness"), "{{ nc.case.verification if nc.case else '' }}"),
    ):
        cells = add_row(table, [step, value])
        cells[0].paragraphs[0].runs[0].bold = True
        table.rows[-1].height = Mm(10 if step in (t("Case and status"), t("Date received")) else 24)
    # The response and its evaluation are one block, on one page: when a photo leaves too little room under the
    # facts, the block moves to the next page whole (each table keeps its own rows together; see layout.finish)
    for cell in table.rows[-1].cells:
        for paragraph in cell.paragraphs:
            paragraph.paragraph_format.keep_with_next = True
    _auditor_evaluation(document, t)
    _tag(document, "{%p else %}")
    _text(document, t("No nonconformities were raised in this audit."))
    _tag(document, "{%p endfor %}")


def _auditor_evaluation(document, t) -> None:
    """Room for the auditor's evaluation of the organisation's response: accepted or returned, why, when, by whom
    (filled in from the case when the plan has been evaluated in the app)."""
    _heading(document, t("The auditor's evaluation of the response"), level=2)
    table = add_table(document, [t("Evaluation"), t("Auditor's entry")], widths=(50, 120))
    for step, value, height in (
        (
            t("Plan accepted or returned"),
            "{% if nc.case and nc.case.evaluation %}{{ nc.case.evaluation }}{% else %}☐\u00a0"
            + t("Accepted")
            + "    ☐\u00a0"
            + t("Returned")
            + "{% endif %}",
            9,
        ),
        (t("Reason (if returned)"), "{{ nc.case.evaluation_reason if nc.case else '' }}", 18),
        (t("Date and auditor"), "{{ nc.case.evaluated_on if nc.case else '' }}", 10),
    ):
        cells = add_row(table, [step, value])
        cells[0].paragraphs[0].runs[0].bold = True
        table.rows[-1].height = Mm(height)


def _checklist(document, t) -> None:
    _cover(document, t, t("Checklist"))
    _text(
        document,
        t(
            "Tick one verdict per item and write notes and evidence by hand; record interviewees by role, never by name."
        ),
    ).paragraph_format.space_before = Pt(12)
    _section_loop_start(document, top_level=1)
    table = add_table(
        document, [t("Item"), t("Question"), t("Verdict"), t("Notes and evidence")], widths=(18, 64, 36, 52)
    )
    add_row(table, ["{%tr for item in section.items %}", "", "", ""])
    add_row(
        table,
        [
            "{{ item.code }}",
            QUESTION,
            "{% for choice in item.choices %}☐\u00a0{{ choice }}{% if not loop.last %}  {% endif %}{% endfor %}",
            "",
        ],
    )
    table.rows[-1].height = Mm(NOTES_BOX_MM)  # room to write notes and evidence by hand
    add_row(table, ["{%tr endfor %}", "", "", ""])
    _tag(document, "{%p endif %}")
    _tag(document, "{%p endfor %}")
