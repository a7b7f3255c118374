"""Audit pages: the list, planning forms, the overview with the audit plan."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse
from starlette.datastructures import URL

from auditor import vocabulary as v
from auditor.deps import (
    AuditDep,
    CurrentUser,
    LibraryDep,
    OrganisationQuery,
    PageDep,
    PathId,
    PlanAuditDep,
    Planner,
    SessionDep,
    SettingsDep,
    is_htmx,
    page_address,
    page_request_of,
)
from auditor.errors import Conflict, Invalid
from auditor.i18n import gettext
from auditor.models import Audit, Organisation
from auditor.paging import PageRequest
from auditor.routes.web.forms import FormDep, form_fields, invalid_errors, parse, row_id
from auditor.schemas import AuditIn, AuditTimeIn, AuditUpdate, PlanEntryIn, RowId
from auditor.services import access, audit_time, audits, organisations, programmes, sampling
from auditor.templating import render

router = APIRouter()


@router.get("/")
def list_audits(request: Request, session: SessionDep, user: CurrentUser, page: PageDep, status: str | None = None):
    """The audits you may see, newest first."""
    status = status if status in v.AUDIT_STATUSES else None
    found = audits.list_audits(session=session, actor=user, status=status, page=page)
    return render(
        request,
        "audits/list.html",
        {
            "summaries": found.items,
            "page": found,
            "status": status,
            "can_plan": access.anywhere(user, Organisation, access.Can.PLAN_AUDITS),
        },
    )


def _form_context(
    session, user, library, values: dict, errors: dict, audit: Audit | None = None, organisation_q: str = ""
) -> dict:
    """A new audit's form chooses the organisation (and its sites among those of the organisations listed); an
    audit's form keeps its organisation."""
    choice = None
    if audit is None:
        choice = organisations.organisation_choice(
            session=session,
            actor=user,
            can=access.Can.PLAN_AUDITS,
            query=organisation_q,
            chosen=row_id(values.get("organisation_id")),
        )
        listed = choice.organisations
    else:
        listed = [session.get(Organisation, audit.organisation_id)]
    auditors = audits.eligible_auditors(
        session=session, organisation_id=audit.organisation_id if audit else user.organisation_id
    )
    sites = organisations.sites_of_each(session=session, organisation_ids=[o.id for o in listed])
    return {
        "values": values,
        "errors": errors,
        "audit": audit,
        "choice": choice,
        "sites": [(organisation, sites[organisation.id].items) for organisation in listed],
        "auditors": auditors,
        "leads": [person for person in auditors if audits.may_lead(person)],
        "checklists": list(library),
        "can_override": access.may_override_team_checks(user),
    }


@router.get("/audits/new")
def new_audit(
    request: Request,
    session: SessionDep,
    library: LibraryDep,
    user: Planner,
    organisation_id: RowId | None = None,
    slot: Annotated[str | None, Query(max_length=40)] = None,
    organisation_q: OrganisationQuery = "",
):
    """The form to plan an audit; from the programme (`slot`), prefilled with the audit's type, window, scope and the
    checklists still to cover."""
    values = {
        "report_language": request.state.locale,
        "organisation_id": organisation_id,
        "checklists": ["iso45003-clauses"],
        "lead_auditor_id": user.id if user.role == v.Role.LEAD_AUDITOR else None,
    }
    window = None
    if slot and organisation_id is not None:
        organisation = organisations.get_organisation(session=session, actor=user, organisation_id=organisation_id)
        found = programmes.programme(
            session=session, organisation=organisation, library=library, today=programmes.today()
        )
        entry = found.slot(slot)
        window = entry.window if entry else None
        title = gettext(v.AUDIT_TYPES[window.audit_type].label) if window else ""
        values |= programmes.planning_values(found=found, slot=slot, today=programmes.today(), title=title)
    context = _form_context(session, user, library, values, {}, organisation_q=organisation_q) | {"window": window}
    return render(request, "audits/form.html", context)


@router.get("/audits/new/sites")
def new_audit_sites(
    request: Request,
    session: SessionDep,
    user: Planner,
    organisation_id: RowId,
    site_ids: Annotated[list[RowId] | None, Query()] = None,
    site: Annotated[str, Query(max_length=300)] = "",
):
    """The planning form's sites, of the organisation chosen in it (templates/audits/_sites.html: htmx asks when the
    choice changes); the sites ticked and the new site typed are kept."""
    organisation = organisations.get_organisation(
        session=session, actor=user, organisation_id=organisation_id, can=access.Can.PLAN_AUDITS
    )
    sites = organisations.sites_of_each(session=session, organisation_ids=[organisation.id])[organisation.id]
    return render(
        request,
        "audits/_sites.html",
        {
            "sites": [(organisation, sites.items)],
            "values": {"site_ids": site_ids or [], "site": site},
            "errors": {},
            "choice": True,
            "audit": None,
        },
    )


def _audit_form_values(form: dict) -> dict:
    values = dict(form)
    if values.get("lead_auditor_id") == "":
        values.pop("lead_auditor_id")
    return values


@router.post("/audits")
def create_audit(request: Request, session: SessionDep, library: LibraryDep, user: Planner, submitted: FormDep):
    """Plan an audit from the form."""
    form = form_fields(submitted, lists=("checklists", "site_ids", "team_ids"))
    data, errors = parse(AuditIn, _audit_form_values(form))
    if data is not None:
        try:
            audit = audits.create_audit(session=session, actor=user, data=data, library=library)
        except Invalid as error:
            session.rollback()
            errors = invalid_errors(error)
        else:
            return RedirectResponse(f"/audits/{audit.id}", status_code=303)
    return render(request, "audits/form.html", _form_context(session, user, library, form, errors), status_code=422)


PlanPage = Annotated[PageRequest, Depends(page_request_of("plan"))]


@router.get("/audits/{audit_id}")
def show_audit(request: Request, audit: AuditDep, session: SessionDep, user: CurrentUser, plan_page: PlanPage):
    """The audit's overview: facts, team, plan (a page at a time), progress, next steps."""
    return render(request, "audits/show.html", _show_context(session, user, audit, plan_page))


def _show_context(session, user, audit: Audit, plan_page: PageRequest, **extra) -> dict:
    return {
        "audit": audit,
        "can": audits.audit_can(session=session, user=user, audit=audit),
        "offline_default": access.offline_by_default(session=session, user=user, audit=audit),
        "organisation": session.get(Organisation, audit.organisation_id),
        "sites": audits.audit_sites(session=session, audit=audit),
        "team": audits.audit_team(session=session, audit=audit),
        "snapshots": audits.audit_snapshots(session=session, audit=audit),
        "progress": audits.audit_progress(session=session, audit=audit),
        "plan": audits.plan_entries(session=session, audit=audit, page=plan_page),
        "plan_url": URL(f"/audits/{audit.id}"),  # the plan's pages, also from the fragment answered to a POST
        "next_statuses": v.STATUS_FLOW[audit.status],
        "plan_values": {"day": audit.start_date.isoformat()},
        "plan_errors": {},
        **extra,
    }


@router.get("/audits/{audit_id}/edit")
def edit_audit(request: Request, audit: PlanAuditDep, session: SessionDep, library: LibraryDep, user: CurrentUser):
    """The form to change an audit's facts and team."""
    values = audit.model_dump()
    values["site_ids"] = [s.id for s in audits.audit_sites(session=session, audit=audit)]
    team = audits.audit_team(session=session, audit=audit)
    values["lead_auditor_id"] = next((u.id for u, role in team if role == v.TeamRole.LEAD), None)
    values["team_ids"] = [u.id for u, role in team if role == v.TeamRole.AUDITOR]
    return render(request, "audits/form.html", _form_context(session, user, library, values, {}, audit))


@router.post("/audits/{audit_id}")
def update_audit(
    request: Request,
    audit: PlanAuditDep,
    session: SessionDep,
    library: LibraryDep,
    user: CurrentUser,
    submitted: FormDep,
):
    """Save the audit's changed facts and team."""
    form = form_fields(submitted, lists=("site_ids", "team_ids"))
    values = _audit_form_values(form)
    values.setdefault("site_ids", [])
    values.setdefault("team_ids", [])
    values = {k: val for k, val in values.items() if k in AuditUpdate.model_fields}
    data, errors = parse(AuditUpdate, values)
    if data is not None:
        try:
            audits.update_audit(session=session, actor=user, audit=audit, data=data)
        except Invalid as error:
            session.rollback()
            errors = invalid_errors(error)
        else:
            return RedirectResponse(f"/audits/{audit.id}", status_code=303)
    return render(
        request, "audits/form.html", _form_context(session, user, library, form, errors, audit), status_code=422
    )


@router.post("/audits/{audit_id}/status")
def change_status(request: Request, audit: PlanAuditDep, session: SessionDep, user: CurrentUser, submitted: FormDep):
    """Move the audit to another status."""
    form = form_fields(submitted)
    try:
        audits.change_status(session=session, actor=user, audit=audit, status=str(form.get("status", "")))
    except Conflict:
        if not audits.verdict_conflicts(session=session, audit=audit):
            raise
        return RedirectResponse(f"/audits/{audit.id}/report#conflicts", status_code=303)  # it lists what to resolve
    return RedirectResponse(f"/audits/{audit.id}", status_code=303)


@router.post("/audits/{audit_id}/plan")
def create_plan_entry(
    request: Request, audit: PlanAuditDep, session: SessionDep, user: CurrentUser, submitted: FormDep
):
    """Add a line to the audit plan, shown on the plan's page that holds it; htmx gets the plan fragment back."""
    form = form_fields(submitted)
    data, errors = parse(PlanEntryIn, form)
    page = PageRequest()
    if data is not None:
        try:
            entry = audits.add_plan_entry(session=session, actor=user, audit=audit, data=data)
        except Invalid as error:
            errors = invalid_errors(error)
        else:
            page = audits.plan_page_holding(session=session, audit=audit, entry=entry)
    context = _show_context(
        session, user, audit, page, plan_values=form if errors else {"day": form.get("day", "")}, plan_errors=errors
    )
    status = 422 if errors else 200
    if is_htmx(request):
        return render(request, "audits/_plan.html", context, status_code=status)
    if errors:
        return render(request, "audits/show.html", context, status_code=status)
    return RedirectResponse(page_address(f"/audits/{audit.id}", "plan", page, "plan"), status_code=303)


@router.post("/audits/{audit_id}/plan/{entry_id}/delete")
def delete_plan_entry(request: Request, audit: PlanAuditDep, entry_id: PathId, session: SessionDep, user: CurrentUser):
    """Remove a line from the audit plan; the plan's page it was on is shown again."""
    removed = audits.delete_plan_entry(session=session, actor=user, audit=audit, entry_id=entry_id)
    page = audits.plan_page_holding(session=session, audit=audit, entry=removed)
    if is_htmx(request):
        return render(request, "audits/_plan.html", _show_context(session, user, audit, page))
    return RedirectResponse(page_address(f"/audits/{audit.id}", "plan", page, "plan"), status_code=303)


def _time_context(session, user, audit: Audit, settings, **extra) -> dict:
    adjustments = list(audit.time_adjustments)
    return {
        "audit": audit,
        "can": audits.audit_can(session=session, user=user, audit=audit),
        "time": audit_time.audit_time(audit=audit, dk_extra_percent=settings.dk_extra_time_percent),
        "table": audit_time.md5_table(),
        "reduction_reason": audit_time.REDUCTION_REASON,
        "repeated_reduction": audit_time.REPEATED_REDUCTION,
        "values": {
            "personnel_full_time": audit.personnel_full_time,
            "personnel_part_time_fte": audit.personnel_part_time_fte,
            "personnel_temporary": audit.personnel_temporary,
            "ohs_risk": audit.ohs_risk,
            "actual_days": audit.actual_days,
            "adjustments": adjustments + [{"days": "", "reason": ""}] * 2,
        },
        "errors": {},
        **extra,
    }


TIME_NUMBERS = ("personnel_full_time", "personnel_part_time_fte", "personnel_temporary", "actual_days")  # "4,5" is 4.5


@router.get("/audits/{audit_id}/time")
def show_audit_time(request: Request, audit: AuditDep, session: SessionDep, user: CurrentUser, settings: SettingsDep):
    """The audit's time by IAF MD 5: what it is computed from, the planned and the actual days."""
    return render(request, "audits/time.html", _time_context(session, user, audit, settings))


@router.post("/audits/{audit_id}/time")
def update_audit_time(
    request: Request,
    audit: PlanAuditDep,
    session: SessionDep,
    user: CurrentUser,
    settings: SettingsDep,
    submitted: FormDep,
):
    """Save what the audit's time is computed from, and the days spent."""
    form = {
        name: str(value).replace(",", ".") if name in TIME_NUMBERS else value
        for name, value in form_fields(submitted).items()
    }
    rows = [
        {"days": str(days).strip().replace(",", "."), "reason": str(reason).strip()}
        for days, reason in zip(
            submitted.getlist("adjustment_days"), submitted.getlist("adjustment_reason"), strict=False
        )
        if str(days).strip() or str(reason).strip()
    ]
    values = {k: val for k, val in form.items() if k in AuditTimeIn.model_fields} | {"adjustments": rows}
    data, errors = parse(AuditTimeIn, values)
    if data is not None:
        try:
            audit_time.update_audit_time(session=session, actor=user, audit=audit, data=data)
        except Invalid as error:
            session.rollback()
            errors = invalid_errors(error)
        else:
            return RedirectResponse(f"/audits/{audit.id}/time", status_code=303)
    shown = {**values, "adjustments": rows + [{"days": "", "reason": ""}] * 2}
    context = _time_context(session, user, audit, settings, values=shown, errors=errors)
    return render(request, "audits/time.html", context, status_code=422)


def _sampling_context(session, user, audit: Audit, **extra) -> dict:
    return {
        "audit": audit,
        "can": audits.audit_can(session=session, user=user, audit=audit),
        "plan": sampling.sampling_plan(session=session, audit=audit),
        "drawn_reason": sampling.DRAWN_REASON,
        "errors": {},
        **extra,
    }


@router.get("/audits/{audit_id}/sampling")
def show_sampling(request: Request, audit: AuditDep, session: SessionDep, user: CurrentUser):
    """The audit's sampling plan: which production units it visits, and why (IAF MD 1)."""
    return render(request, "audits/sampling.html", _sampling_context(session, user, audit))


@router.post("/audits/{audit_id}/sampling")
def update_sampling(
    request: Request,
    audit: PlanAuditDep,
    session: SessionDep,
    user: CurrentUser,
    settings: SettingsDep,
    submitted: FormDep,
):
    """Save which production units the audit visits, the central function, the units that must be visited and the
    reasons; the sample's random part is drawn as it is saved."""
    visited = [site_id for value in submitted.getlist("visit") if (site_id := row_id(value)) is not None]
    visits = {site_id: str(submitted.get(f"reason-{site_id}", "")) for site_id in visited}
    must_visit = {site_id for value in submitted.getlist("must_visit") if (site_id := row_id(value)) is not None}
    try:
        sampling.save_sampling_plan(
            session=session,
            actor=user,
            audit=audit,
            central_id=row_id(submitted.get("central")),
            visits=visits,
            must_visit=must_visit,
            secret=settings.secret_key,
        )
    except Invalid as error:
        session.rollback()
        return render(
            request, "audits/sampling.html", _sampling_context(session, user, audit, errors=invalid_errors(error)), 422
        )
    return RedirectResponse(f"/audits/{audit.id}/sampling", status_code=303)
