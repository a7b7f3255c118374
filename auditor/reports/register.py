"""The nonconformity register as CSV and XLSX: one row per case, in the chosen language."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from auditor import vocabulary as v
from auditor.i18n import N_, translate
from auditor.reports.cells import safe_cell
from auditor.services.cases import CaseRow, case_reference

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
COLUMNS = (
    N_("Case"),
    N_("Organisation"),
    N_("Source"),
    N_("Audit"),
    N_("Grade"),
    N_("Clauses"),
    N_("Statement"),
    N_("Status"),
    N_("Opened"),
    N_("Due"),
    N_("Overdue"),
    N_("Open actions"),
    N_("Root cause"),
    N_("Effectiveness"),
    N_("Closed"),
)
YES = N_("Yes")


def register_rows(rows: list[CaseRow], organisation_names: dict[int, str], lang: str) -> list[list]:
    def label(vocabulary: v.Vocabulary, value: str | None) -> str:
        choice = vocabulary.get(value)
        return translate(choice.label, lang) if choice else ""

    table: list[list] = [[translate(name, lang) for name in COLUMNS]]
    for row in rows:
        case = row.case
        table.append(
            [
                case_reference(case, lang),  # in the register's language, whatever the request's
                organisation_names.get(case.organisation_id, ""),
                label(v.CASE_SOURCES, case.source),
                case.audit_id or "",
                label(v.FINDING_KINDS, case.grade),
                ", ".join(v.clause_label(ref) for ref in case.clauses),
                case.statement,
                label(v.CASE_STATUSES, case.status),
                case.opened_at.date(),
                row.due or "",
                translate(YES, lang) if row.overdue else "",
                sum(a.status == v.ActionStatus.OPEN for a in row.actions),
                case.root_cause,
                label(v.VERIFICATION_RESULTS, case.verification_result),
                case.closed_at.date() if case.closed_at else "",
            ]
        )
    return table


def as_xlsx(table: list[list]) -> bytes:
    workbook = Workbook()
    sheet = workbook.worksheets[0]  # the one empty sheet a new workbook has
    sheet.title = "Register"
    for row in table:
        sheet.append([safe_cell(value) for value in row])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="E5E7EB")
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    for column, width in zip("ABCDEFGHIJKLMNO", (10, 24, 14, 8, 22, 22, 60, 20, 12, 12, 9, 9, 40, 14, 12), strict=True):
        sheet.column_dimensions[column].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
