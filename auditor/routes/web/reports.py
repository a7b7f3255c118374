"""Report pages: an audit's Word reports and what the team writes into them; the report templates (admins)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import select
from starlette.datastructures import UploadFile

from auditor import vocabulary as v
from auditor.deps import (
    AuditDep,
    ConductAuditDep,
    CurrentUser,
    OrganisationQuery,
    PageDep,
    PathId,
    PlanAuditDep,
    SessionDep,
    SettingsDep,
    TemplateAdmin,
    is_htmx,
    page_address,
    page_request_of,
)
from auditor.errors import Invalid, NotFound
from auditor.i18n import N_, gettext
from auditor.models import Audit, Organisation, ReportTemplate, User
from auditor.paging import PageRequest
from auditor.reports.engine import MAX_TEMPLATE_BYTES
from auditor.reports.variables import VARIABLES
from auditor.routes.downloads import Kind as ReportKind, Language, report_download
from auditor.routes.web.forms import FormDep, invalid_errors, parse, row_id
from auditor.schemas import CaseFollowUpIn, ReportDetails
from auditor.services import access, audits, body_logo, cases, follow_ups, organisations, programmes, reports
from auditor.templating import render

router = APIRouter()

TEXT_FIELDS = (
    "report_version",
    "summary",
    "conclusion",
    "plan_deviations",
    "auditee_representative",
    "certificate_number",
    "significant_changes",
    "programme_issues",
    "unresolved_issues",
    "marks_control",
    "combination",
)
NUMBER_FIELDS = ("md5_days", "actual_days", "psychosocial_hours")
DATE_FIELDS = ("certificate_expiry", "next_audit_date")
BLANK_ACCOMPANYING_ROWS = 2  # empty rows the form offers for new accompanying persons

# ?notice=... after a redirect: only these fixed messages, never text from the URL.
NOTICES = {
    "saved": N_("The report details are saved. The Word reports you download from now on include them."),
    "verification_saved": N_("The verification of the earlier nonconformity is saved."),
    "uploaded": N_("The template was checked with sample values and is now in use for its scope."),
    "logo_uploaded": N_("The logo is checked and stored. The reports you download from now on show it."),
    "logo_removed": N_(
        "The uploaded logo is removed. The reports show the logo file the settings name, if there is one."
    ),
    "deleted": N_(
        "The template is deleted. Reports use the one uploaded before it for the same scope again; "
        "if there is none, the provider's template or the starter template."
    ),
}


def _notice(request: Request) -> str | None:
    key = request.query_params.get("notice", "")
    return gettext(NOTICES[key]) if key in NOTICES else None


# An audit's report


@dataclass(frozen=True)
class Download:
    """One report in one language: where to get it and the uploaded template it is made from (None: the starter)."""

    language: str
    url: str
    template: ReportTemplate | None


def _downloads(session, audit: Audit) -> list[tuple[str, list[Download]]]:
    return [
        (
            kind.value,
            [
                Download(
                    language.value,
                    f"/audits/{audit.id}/reports/{kind.value}.docx?lang={language.value}",
                    reports.template_in_use(session=session, audit=audit, kind=kind.value, lang=language.value),
                )
                for language in v.LANGUAGES
            ],
        )
        for kind in v.REPORT_KINDS
    ]


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _stored_values(session, audit: Audit) -> dict:
    values = audit.model_dump(include=set(ReportDetails.model_fields) - {"production_units"})
    for name in NUMBER_FIELDS:
        values[name] = _number(getattr(audit, name))
    for name in DATE_FIELDS:
        values[name] = (getattr(audit, name) or "") and getattr(audit, name).isoformat()
    for name, fact in programmes.certificate_facts(session=session, audit=audit).items():
        if not values[name]:  # not written yet: the organisation's certificate as it stands
            values[name] = fact.isoformat() if isinstance(fact, date) else fact
    values["bek1407_auditor_id"] = "" if audit.bek1407_auditor_id is None else str(audit.bek1407_auditor_id)
    values["statements"] = {
        code: "yes" if answer else "no" for code, answer in audit.statements.items() if answer is not None
    }
    values["units"] = {
        site.id: {"material_hours": _number(link.material_hours), "significant_problems": link.significant_problems}
        for site, link in audits.production_units(session=session, audit=audit)
    }
    return values


def _form_values(form, audit: Audit, sites: list) -> tuple[dict, dict]:
    """(what the form shows again, what the schema reads) from a submitted report details form."""
    values: dict = {name: str(form.get(name, "")) for name in TEXT_FIELDS}
    values["dk_certificate"] = form.get("dk_certificate") == "on"
    values["list_not_audited"] = form.get("list_not_audited") == "on"
    values["bek1407_auditor_id"] = str(form.get("bek1407_auditor_id", ""))
    for name in (*NUMBER_FIELDS, *DATE_FIELDS):
        values[name] = str(form.get(name, "")).strip()
    if audit.audit_type in v.CERTIFICATION_AUDIT_TYPES:  # the only audits the form asks for a recommendation
        values["recommendation"] = str(form.get("recommendation", ""))
    if audit.audit_type == v.AuditType.STAGE1:
        values["stage1_readiness"] = str(form.get("stage1_readiness", ""))
    values["statements"] = {
        c.value: str(form.get(f"statement-{c.value}", "")) for c in v.STATEMENTS if form.get(f"statement-{c.value}")
    }
    values["accompanying"] = [
        {
            "name": str(form.get(f"accompanying-{i}-name", "")).strip(),
            "role": str(form.get(f"accompanying-{i}-role", "")),
            "remote": form.get(f"accompanying-{i}-remote") == "on",
        }
        for i in range(_ACCOMPANYING_LIMIT)
        if str(form.get(f"accompanying-{i}-name", "")).strip()
    ]
    values["units"] = {
        site.id: {
            "material_hours": str(form.get(f"unit-{site.id}-material_hours", "")).strip(),
            "significant_problems": str(form.get(f"unit-{site.id}-significant_problems", "")),
        }
        for site in sites
    }
    data = {
        **{name: value for name, value in values.items() if name not in {"units", "statements"}},
        "bek1407_auditor_id": values["bek1407_auditor_id"] or 0,
        "combination": values["combination"] or None,  # not asked of an internal audit: unchanged
        **{name: values[name].replace(",", ".") or None for name in NUMBER_FIELDS},  # Danish decimal comma
        **{name: values[name] or None for name in DATE_FIELDS},
        "statements": {code: answer == "yes" for code, answer in values["statements"].items()},
        "production_units": [
            {
                "site_id": site_id,
                "material_hours": unit["material_hours"].replace(",", ".") or None,
                "significant_problems": unit["significant_problems"],
            }
            for site_id, unit in values["units"].items()
        ],
    }
    return values, data


_ACCOMPANYING_LIMIT = 50  # as the schema's


FollowUpsPage = Annotated[PageRequest, Depends(page_request_of("follow_ups"))]


def follow_up_context(
    session, audit: Audit, can: audits.AuditCan, page: PageRequest = PageRequest(), case_id: int | None = None
) -> dict:
    """What templates/audits/_follow_up.html needs for a page of the cases carried over into the audit (Report and
    conduct pages; only the case `case_id` with it): the cases with what was recorded, their numbers, the team who
    may have verified, and whether the user records the verification."""
    carried = follow_ups.carried_over(session=session, audit=audit, page=page, case_id=case_id)
    team = audits.audit_team(session=session, audit=audit)
    return {
        "follow_ups": carried,
        "case_references": {case.id: cases.case_reference(case) for case, _ in carried.items},
        "team": team,
        "team_names": {person.id: person.name for person, _ in team},
        "can_verify": can.record,
    }


def follow_ups_page_of(session, audit: Audit, case_id: int) -> PageRequest:
    """The page of the audit's carried-over cases that holds the case `case_id` (the first when it is not one)."""
    found = follow_ups.carried_over(session=session, audit=audit, case_id=case_id).items
    return follow_ups.page_holding(session=session, audit=audit, case=found[0][0]) if found else PageRequest()


def _report_context(
    request: Request,
    session,
    user: User,
    audit: Audit,
    values: dict | None = None,
    errors: dict | None = None,
    follow_ups_page: PageRequest = PageRequest(),
) -> dict:
    can = audits.audit_can(session=session, user=user, audit=audit)
    values = values if values is not None else _stored_values(session, audit)
    follow_up = follow_up_context(session, audit, can, follow_ups_page)
    team = follow_up["team"]
    return {
        "audit": audit,
        "sites": audits.audit_sites(session=session, audit=audit),
        **follow_up,
        "is_stage1": audit.audit_type == v.AuditType.STAGE1,
        "accompanying_rows": [*values.get("accompanying", []), *([{}] * BLANK_ACCOMPANYING_ROWS)],
        "downloads": _downloads(session, audit),
        "can_plan": can.plan,
        "can_manage_templates": access.anywhere(user, Organisation, access.Can.MANAGE_TEMPLATES),
        "is_certification": audit.audit_type in v.CERTIFICATION_AUDIT_TYPES,
        "bek1407_auditor": next((person for person, _ in team if person.id == audit.bek1407_auditor_id), None),
        "values": values,
        "errors": errors or {},
        "notice": _notice(request) if not errors else None,
        "conflicts": audits.verdict_conflicts(session=session, audit=audit),
        "next_audit": programmes.next_audit(session=session, audit=audit, today=programmes.today()),
    }


@router.get("/audits/{audit_id}/report")
def show_report(
    request: Request, audit: AuditDep, session: SessionDep, user: CurrentUser, follow_ups_page: FollowUpsPage
):
    """The audit's Word reports in Danish and English, the templates they use, the report details and the cases
    carried over into the audit (a page at a time)."""
    context = _report_context(request, session, user, audit, follow_ups_page=follow_ups_page)
    return render(request, "audits/report.html", context)


@router.get("/audits/{audit_id}/reports/{kind}.docx")
def download_report(
    request: Request, audit: AuditDep, kind: ReportKind, session: SessionDep, lang: Language | None = None
):
    """A report as a Word file; if it cannot be made, the reason is shown as a page (the API's answer is JSON)."""
    return report_download(request, kind, audit, session, lang)


@router.post("/audits/{audit_id}/report")
def save_report_details(request: Request, audit: PlanAuditDep, session: SessionDep, user: CurrentUser, form: FormDep):
    """Save what the team writes into the report; a refusal shows the form again with everything typed."""
    values, submitted = _form_values(form, audit, audits.audit_sites(session=session, audit=audit))
    data, errors = parse(ReportDetails, submitted)
    if data is not None:
        try:
            audits.update_report_details(session=session, actor=user, audit=audit, data=data)
        except Invalid as error:
            session.rollback()
            errors = invalid_errors(error)
        else:
            return RedirectResponse(f"/audits/{audit.id}/report?notice=saved#details", status_code=303)
    return render(
        request, "audits/report.html", _report_context(request, session, user, audit, values, errors), status_code=422
    )


@router.post("/audits/{audit_id}/follow-ups/{case_id}")
def save_follow_up(
    request: Request, audit: ConductAuditDep, case_id: PathId, session: SessionDep, user: CurrentUser, form: FormDep
):
    """Record what the audit verified on site of a carried-over case, from the Report page or the conduct page: htmx
    gets the case's fragment back, saved or with the reason; a browser without JavaScript goes back to its page."""
    values = {name: str(form.get(name, "")) for name in ("checked", "result", "verified_by_id")}
    on_conduct = form.get("back") == "conduct"
    data, errors = parse(CaseFollowUpIn, {**values, "verified_by_id": row_id(values["verified_by_id"]) or 0})
    if data is not None:
        try:
            follow_ups.record_follow_up(session=session, actor=user, audit=audit, case_id=case_id, data=data)
        except Invalid as error:
            session.rollback()
            errors = invalid_errors(error)
        else:
            if not is_htmx(request):
                page = follow_ups_page_of(session, audit, case_id)
                address = (
                    page_address(f"/audits/{audit.id}/conduct", "follow_ups", page, f"follow-up-{case_id}")
                    if on_conduct
                    else page_address(
                        f"/audits/{audit.id}/report", "follow_ups", page, "follow-ups", notice="verification_saved"
                    )
                )
                return RedirectResponse(address, status_code=303)
    can = audits.audit_can(session=session, user=user, audit=audit)
    if is_htmx(request):
        context = follow_up_context(session, audit, can, case_id=case_id)
        row = next(iter(context["follow_ups"].items), None)
        if row is None:  # refused before the case was found: not carried over into this audit
            raise NotFound(N_("No case carried over into this audit with this id."))
        context |= {
            "audit": audit,
            "case": row[0],
            "recorded": row[1],
            "follow_up_back": "conduct" if on_conduct else "report",
            "follow_up_saved": case_id if not errors else None,
            "follow_up_errors": {case_id: errors},
            "follow_up_values": {case_id: values} if errors else {},
        }
        return render(request, "audits/_follow_up.html", context, status_code=422 if errors else 200)
    context = _report_context(
        request, session, user, audit, follow_ups_page=follow_ups_page_of(session, audit, case_id)
    )
    context["follow_up_errors"] = {case_id: errors}
    context["follow_up_values"] = {case_id: values}
    return render(request, "audits/report.html", context, status_code=422)


# Report templates


@dataclass(frozen=True)
class TemplateRow:
    template: ReportTemplate
    organisation: str | None  # None: the provider's, for every organisation
    in_use: bool
    deletable: bool


# How a template marks its variables (docxtpl); the examples are tags, only the explanations are translated.
TAG_HELP = (
    ("{{ audit.title }}", N_("A value: the variable's name between double braces.")),
    (
        "{%p for finding in findings %} … {%p endfor %}",
        N_(
            "Repeat paragraphs: the paragraphs between the two tags are written once for each element of a list. "
            "Each tag stands in a paragraph of its own; use the same for if and endif."
        ),
    ),
    (
        "{%tr for item in section.items %} … {%tr endfor %}",
        N_(
            "Repeat table rows: put each tag in a row of its own; the rows between them are written once for each element."
        ),
    ),
    (
        "{% cellbg finding.fill %}",
        N_("Shade the table cell the tag stands in with a colour, e.g. the colour of a verdict or a finding."),
    ),
    (
        "{{ photo.image }}",
        N_("A picture: a photo (inside a loop over a list of photos) or a chart, written where the tag stands."),
    ),
)


def _templates_context(
    request: Request,
    session,
    user: User,
    settings,
    values: dict | None = None,
    errors: dict | None = None,
    page: PageRequest = PageRequest(),
    organisation_q: str = "",
) -> dict:
    found = reports.visible_templates(session=session, actor=user, page=page)
    ids = [row.id for row in found.items]
    used = reports.in_use(session=session, actor=user, ids=ids)
    owners = {row.organisation_id for row in found.items if row.organisation_id is not None}
    names = dict(session.exec(select(Organisation.id, Organisation.name).where(Organisation.id.in_(owners))).all())
    managed = set(
        session.exec(
            select(ReportTemplate.id).where(
                ReportTemplate.id.in_(ids), access.where(user, ReportTemplate, access.Can.MANAGE)
            )
        )
    )
    return {
        "templates": found.with_items(
            [
                TemplateRow(
                    row,
                    names.get(row.organisation_id) if row.organisation_id else None,
                    row.id in used,
                    row.id in managed,
                )
                for row in found.items
            ]
        ),
        "choice": organisations.organisation_choice(
            session=session,
            actor=user,
            can=access.Can.MANAGE_TEMPLATES,
            query=organisation_q,
            chosen=row_id((values or {}).get("organisation_id")),
        ),
        "variables": [(name, gettext(description)) for name, description in VARIABLES.items()],
        "tag_help": [(example, gettext(explanation)) for example, explanation in TAG_HELP],
        "max_mb": MAX_TEMPLATE_BYTES // (1024 * 1024),
        "logo": body_logo.current(session=session),
        "logo_max_mb": body_logo.MAX_BYTES // (1024 * 1024),
        "logo_setting": settings.cb_logo is not None,
        "manages_logo": access.manages_body_logo(session=session, user=user),
        "values": values or {},
        "errors": errors or {},
        "notice": _notice(request) if not errors else None,
    }


@router.get("/report-templates")
def list_templates(
    request: Request,
    session: SessionDep,
    user: TemplateAdmin,
    settings: SettingsDep,
    page: PageDep,
    organisation_q: OrganisationQuery = "",
):
    """Uploaded templates (a page at a time), the upload form, the certification body's logo, the starter templates
    and every variable a template can use."""
    return render(
        request,
        "report_templates/list.html",
        _templates_context(request, session, user, settings, page=page, organisation_q=organisation_q),
    )


@router.post("/report-templates")
def upload_template(request: Request, session: SessionDep, user: TemplateAdmin, settings: SettingsDep, form: FormDep):
    """Upload a template; a refused one is shown with the line and the reason, and the one in use stays."""
    values = {name: str(form.get(name, "")) for name in ("kind", "language", "audit_type", "organisation_id")}
    upload = form.get("file")
    organisation_id = user.organisation_id
    if organisation_id is None:
        organisation_id = row_id(values["organisation_id"])
    try:
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise Invalid(N_("Choose a Word document (.docx) to upload."), field="file")
        content = upload.file.read(MAX_TEMPLATE_BYTES + 1)
        scope = reports.TemplateScope(organisation_id, values["kind"], values["language"], values["audit_type"] or None)
        reports.upload_template(session=session, actor=user, scope=scope, filename=upload.filename, content=content)
    except Invalid as error:
        session.rollback()
        context = _templates_context(request, session, user, settings, values, invalid_errors(error))
        return render(request, "report_templates/list.html", context, status_code=422)
    return RedirectResponse("/report-templates?notice=uploaded", status_code=303)


@router.get("/report-templates/logo")
def show_logo(session: SessionDep, user: TemplateAdmin):
    """The certification body's uploaded logo, as the reports print it."""
    logo = body_logo.current(session=session)
    content = body_logo.read(session=session, logo=logo) if logo else None
    if logo is None or content is None:
        raise NotFound(N_("No logo of the certification body is uploaded."))
    return Response(content, media_type=logo.content_type, headers={"Cache-Control": "private, no-cache"})


@router.post("/report-templates/logo")
def upload_logo(request: Request, session: SessionDep, user: TemplateAdmin, settings: SettingsDep, form: FormDep):
    """Upload the certification body's logo in place of the one before; a refused file is shown with the reason."""
    upload = form.get("file")
    try:
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise Invalid(N_("Choose a PNG or JPEG image to upload."), field="file")
        body_logo.upload(session=session, actor=user, content=upload.file.read(body_logo.MAX_BYTES + 1))
    except Invalid as error:
        session.rollback()
        errors = {"logo": next(iter(invalid_errors(error).values()))}
        context = _templates_context(request, session, user, settings, errors=errors)
        return render(request, "report_templates/list.html", context, status_code=422)
    return RedirectResponse("/report-templates?notice=logo_uploaded#logo", status_code=303)


@router.post("/report-templates/logo/delete")
def delete_logo(session: SessionDep, user: TemplateAdmin):
    """Remove the uploaded logo; the reports show the settings' logo file again, if there is one."""
    body_logo.remove(session=session, actor=user)
    return RedirectResponse("/report-templates?notice=logo_removed#logo", status_code=303)


@router.post("/report-templates/{template_id}/delete")
def delete_template(template_id: PathId, session: SessionDep, user: TemplateAdmin):
    """Delete an upload; the one before it, or the starter, is used again."""
    reports.delete_template(session=session, actor=user, template_id=template_id)
    return RedirectResponse("/report-templates?notice=deleted", status_code=303)
