"""Word reports of an audit, what the team writes into them, and the templates they are made from."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, Response, UploadFile
from pydantic import BaseModel

from auditor.deps import (
    AuditDep,
    ConductAuditDep,
    CurrentUser,
    PageDep,
    PathId,
    PlanAuditDep,
    SessionDep,
    TemplateAdmin,
    send_page,
)
from auditor.i18n import translate
from auditor.models import Audit, Case, CaseFollowUp, ReportTemplate
from auditor.reports.engine import MAX_TEMPLATE_BYTES
from auditor.reports.starters import starter_template
from auditor.reports.variables import VARIABLES
from auditor.routes.api.refusals import CHANGE_NAMED, NAMED
from auditor.routes.downloads import DOCX, Kind, Language, attachment, report_download
from auditor.schemas import CaseFollowUpIn, ProductionUnitIn, ReportDetails, RowId
from auditor.services import audits, cases, follow_ups, reports
from auditor.vocabulary import AuditType

router = APIRouter(tags=["reports"])


@router.get(
    "/audits/{audit_id}/report.docx", response_class=Response, responses={**NAMED, 200: {"content": {DOCX: {}}}}
)
def download_audit_report(
    request: Request, audit: AuditDep, session: SessionDep, lang: Language | None = None
) -> Response:
    """The audit report, in the audit's report language unless `lang` says otherwise. Never any confidential evidence."""
    return report_download(request, Kind.AUDIT_REPORT, audit, session, lang)


@router.get(
    "/audits/{audit_id}/nonconformity-report.docx",
    response_class=Response,
    responses={**NAMED, 200: {"content": {DOCX: {}}}},
)
def download_nonconformity_report(
    request: Request, audit: AuditDep, session: SessionDep, lang: Language | None = None
) -> Response:
    """The nonconformities with their response deadlines and room for correction, root cause and corrective action."""
    return report_download(request, Kind.NONCONFORMITY_REPORT, audit, session, lang)


@router.get(
    "/audits/{audit_id}/checklist.docx", response_class=Response, responses={**NAMED, 200: {"content": {DOCX: {}}}}
)
def download_checklist(
    request: Request, audit: AuditDep, session: SessionDep, lang: Language | None = None
) -> Response:
    """The audit's checklists, blank, to fill in by hand on site."""
    return report_download(request, Kind.CHECKLIST, audit, session, lang)


@router.patch("/audits/{audit_id}/report-details", responses=CHANGE_NAMED)
def update_report_details(
    audit: PlanAuditDep, data: ReportDetails, session: SessionDep, user: CurrentUser
) -> ReportDetails:
    """Summary, conclusion, recommendation, statements, the other facts of ISO/IEC 17021-1 9.4.8, and the Danish
    certificate's facts per production unit (the lead auditor). Only the fields sent change."""
    audit = audits.update_report_details(session=session, actor=user, audit=audit, data=data)
    return report_details(session, audit)


@router.get("/audits/{audit_id}/report-details", responses=NAMED)
def get_report_details(audit: AuditDep, session: SessionDep) -> ReportDetails:
    return report_details(session, audit)


def report_details(session, audit: Audit) -> ReportDetails:
    return ReportDetails(
        **audit.model_dump(include=set(ReportDetails.model_fields) - {"production_units"}),
        production_units=[
            ProductionUnitIn(
                site_id=site.id, material_hours=link.material_hours, significant_problems=link.significant_problems
            )
            for site, link in audits.production_units(session=session, audit=audit)
        ],
    )


class FollowUpOut(BaseModel):
    case_id: int
    reference: str
    grade: str
    statement: str
    checked: str  # what was verified on site
    result: str | None  # effective, not_effective, not_yet; null: not recorded yet
    verified_by_id: int | None


def follow_up_out(case: Case, row: CaseFollowUp | None) -> FollowUpOut:
    return FollowUpOut(
        case_id=case.id,
        reference=cases.case_reference(case),
        grade=case.grade,
        statement=case.statement,
        checked=row.checked if row else "",
        result=row.result if row else None,
        verified_by_id=row.verified_by_id if row else None,
    )


@router.get("/audits/{audit_id}/follow-ups", responses=NAMED)
def list_follow_ups(
    request: Request, response: Response, audit: AuditDep, session: SessionDep, page: PageDep
) -> list[FollowUpOut]:
    """Verification of earlier nonconformities: each case carried over into the audit and what it verified, by
    case number; paged (Link and X-Total-Count headers)."""
    found = follow_ups.carried_over(session=session, audit=audit, page=page)
    return send_page(found.with_items([follow_up_out(case, row) for case, row in found.items]), request, response)


@router.put("/audits/{audit_id}/follow-ups/{case_id}", responses=CHANGE_NAMED)
def record_follow_up(
    audit: ConductAuditDep, case_id: PathId, data: CaseFollowUpIn, session: SessionDep, user: CurrentUser
) -> FollowUpOut:
    """Record what was verified on site of a carried-over case, the result and who verified it (the audit team)."""
    row = follow_ups.record_follow_up(session=session, actor=user, audit=audit, case_id=case_id, data=data)
    return follow_up_out(session.get_one(Case, case_id), row)


# Templates


class TemplateOut(BaseModel):
    id: int
    organisation_id: int | None
    kind: Kind
    language: Language
    audit_type: AuditType | None
    filename: str
    size: int
    uploaded_at: str
    in_use: bool


class VariableOut(BaseModel):
    name: str
    description: str


def template_out(row: ReportTemplate, in_use: bool) -> TemplateOut:
    return TemplateOut(
        **row.model_dump(include={"id", "organisation_id", "kind", "language", "audit_type", "filename", "size"}),
        uploaded_at=row.uploaded_at.isoformat(),
        in_use=in_use,
    )


@router.get("/report-templates")
def list_templates(
    request: Request, response: Response, session: SessionDep, user: TemplateAdmin, page: PageDep
) -> list[TemplateOut]:
    """Uploaded templates you manage, by report and language, newest first; `in_use` marks the newest of each scope;
    paged (Link and X-Total-Count headers)."""
    found = reports.visible_templates(session=session, actor=user, page=page)
    used = reports.in_use(session=session, actor=user, ids=[row.id for row in found.items])
    return send_page(found.with_items([template_out(row, row.id in used) for row in found.items]), request, response)


@router.post("/report-templates", status_code=201, responses=CHANGE_NAMED)
def upload_template(
    session: SessionDep,
    user: TemplateAdmin,
    file: Annotated[UploadFile, File(description="A .docx with docxtpl tags")],
    kind: Annotated[Kind, Form()],
    language: Annotated[Language, Form()],
    audit_type: Annotated[str | None, Form(description="One audit type, or empty for every type")] = None,
    organisation_id: Annotated[
        RowId | None, Form(description="An organisation, or empty for the provider's own")
    ] = None,
) -> TemplateOut:
    """Upload a template. It is rendered with sample values first; a broken tag or an unknown variable is
    refused (422) with the line and the reason, and the template in use stays as it was."""
    content = file.file.read(MAX_TEMPLATE_BYTES + 1)
    scope = reports.TemplateScope(organisation_id, kind, language, audit_type or None)
    row = reports.upload_template(
        session=session, actor=user, scope=scope, filename=file.filename or "", content=content
    )
    return template_out(row, True)


@router.get(
    "/report-templates/{template_id}.docx", response_class=Response, responses={**NAMED, 200: {"content": {DOCX: {}}}}
)
def download_template(template_id: PathId, session: SessionDep, user: TemplateAdmin) -> Response:
    row = reports.get_template(session=session, actor=user, template_id=template_id)
    return attachment(row.content, row.filename)


@router.delete("/report-templates/{template_id}", status_code=204, responses=CHANGE_NAMED)
def delete_template(template_id: PathId, session: SessionDep, user: TemplateAdmin) -> Response:
    """Remove an upload; the one uploaded before it for the same scope, or the starter, is used again."""
    reports.delete_template(session=session, actor=user, template_id=template_id)
    return Response(status_code=204)


@router.get(
    "/report-templates/starters/{kind}.docx", response_class=Response, responses={**NAMED, 200: {"content": {DOCX: {}}}}
)
def download_starter(kind: Kind, user: CurrentUser, lang: Language = Language.DA) -> Response:
    """Our starter template, to change in Word and upload again."""
    return attachment(starter_template(kind, lang), f"{reports.FILE_STEMS[kind]}-template-{lang}.docx")


@router.get("/report-templates/variables")
def list_variables(user: CurrentUser, lang: Language = Language.EN) -> list[VariableOut]:
    """Every variable a template can use, with what it means."""
    return [VariableOut(name=name, description=translate(text, lang)) for name, text in VARIABLES.items()]
