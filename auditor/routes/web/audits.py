"""Audit pages: the list, planning forms, the overview with the audit plan."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from auditor import vocabulary as v
from auditor.deps import AuditDep, LibraryDep, SessionDep, is_htmx
from auditor.errors import Invalid
from auditor.models import Audit, Organisation
from auditor.routes.web.forms import invalid_errors, parse, read_form
from auditor.schemas import AuditIn, AuditUpdate, PlanEntryIn
from auditor.services import audits, organisations
from auditor.templating import render

router = APIRouter()


@router.get("/")
def list_audits(request: Request, session: SessionDep, status: str | None = None):
    """The audit list, newest first."""
    status = status if status in v.AUDIT_STATUSES else None
    return render(request, "audits/list.html", {"summaries": audits.list_audits(session=session, status=status), "status": status})


def _form_context(session, library, values: dict, errors: dict, audit: Audit | None = None) -> dict:
    organisation_list = organisations.list_organisations(session=session)
    return {
        "values": values,
        "errors": errors,
        "audit": audit,
        "organisations": organisation_list,
        "sites": {o.id: organisations.sites_of(session=session, organisation_id=o.id) for o in organisation_list},
        "checklists": list(library),
    }


@router.get("/audits/new")
def new_audit(request: Request, session: SessionDep, library: LibraryDep, organisation_id: int | None = None):
    """The form to plan an audit."""
    values = {"report_language": request.state.locale, "organisation_id": organisation_id, "checklists": ["iso45003-clauses"]}
    return render(request, "audits/form.html", _form_context(session, library, values, {}))


def _audit_form_values(form: dict) -> dict:
    values = dict(form)
    values["team"] = [line.strip() for line in form.get("team", "").splitlines() if line.strip()]
    return values


@router.post("/audits")
async def create_audit(request: Request, session: SessionDep, library: LibraryDep):
    """Plan an audit from the form."""
    form = await read_form(request, lists=("checklists", "site_ids"))
    values = _audit_form_values(form)
    data, errors = parse(AuditIn, values)
    if data is not None:
        try:
            audit = audits.create_audit(session=session, data=data, library=library)
        except Invalid as error:
            session.rollback()
            errors = invalid_errors(error)
        else:
            return RedirectResponse(f"/audits/{audit.id}", status_code=303)
    return render(request, "audits/form.html", _form_context(session, library, form, errors), status_code=422)


@router.get("/audits/{audit_id}")
def show_audit(request: Request, audit: AuditDep, session: SessionDep):
    """The audit's overview: facts, plan, progress, next steps."""
    return render(request, "audits/show.html", _show_context(session, audit))


def _show_context(session, audit: Audit, **extra) -> dict:
    return {
        "audit": audit,
        "organisation": session.get(Organisation, audit.organisation_id),
        "sites": audits.audit_sites(session=session, audit=audit),
        "snapshots": audits.audit_snapshots(session=session, audit=audit),
        "progress": audits.audit_progress(session=session, audit=audit),
        "plan": audits.plan_entries(session=session, audit=audit),
        "next_statuses": v.STATUS_FLOW[audit.status],
        "plan_values": {"day": audit.start_date.isoformat()},
        "plan_errors": {},
        **extra,
    }


@router.get("/audits/{audit_id}/edit")
def edit_audit(request: Request, audit: AuditDep, session: SessionDep, library: LibraryDep):
    """The form to change an audit's facts."""
    values = audit.model_dump()
    values["team"] = "\n".join(audit.team)
    values["site_ids"] = [s.id for s in audits.audit_sites(session=session, audit=audit)]
    return render(request, "audits/form.html", _form_context(session, library, values, {}, audit))


@router.post("/audits/{audit_id}")
async def update_audit(request: Request, audit: AuditDep, session: SessionDep, library: LibraryDep):
    """Save the audit's changed facts."""
    form = await read_form(request, lists=("site_ids",))
    values = _audit_form_values(form)
    values.setdefault("site_ids", [])
    values = {k: val for k, val in values.items() if k in AuditUpdate.model_fields}
    data, errors = parse(AuditUpdate, values)
    if data is not None:
        try:
            audits.update_audit(session=session, audit=audit, data=data)
        except Invalid as error:
            session.rollback()
            errors = invalid_errors(error)
        else:
            return RedirectResponse(f"/audits/{audit.id}", status_code=303)
    return render(request, "audits/form.html", _form_context(session, library, form, errors, audit), status_code=422)


@router.post("/audits/{audit_id}/status")
async def change_status(request: Request, audit: AuditDep, session: SessionDep):
    """Move the audit to another status."""
    form = await read_form(request)
    audits.change_status(session=session, audit=audit, status=str(form.get("status", "")))
    return RedirectResponse(f"/audits/{audit.id}", status_code=303)


@router.post("/audits/{audit_id}/plan")
async def create_plan_entry(request: Request, audit: AuditDep, session: SessionDep):
    """Add a line to the audit plan; htmx gets the plan fragment back."""
    form = await read_form(request)
    data, errors = parse(PlanEntryIn, form)
    if data is not None:
        try:
            audits.add_plan_entry(session=session, audit=audit, data=data)
        except Invalid as error:
            errors = invalid_errors(error)
    context = _show_context(session, audit, plan_values=form if errors else {"day": form.get("day", "")}, plan_errors=errors)
    status = 422 if errors else 200
    if is_htmx(request):
        return render(request, "audits/_plan.html", context, status_code=status)
    if errors:
        return render(request, "audits/show.html", context, status_code=status)
    return RedirectResponse(f"/audits/{audit.id}#plan", status_code=303)


@router.post("/audits/{audit_id}/plan/{entry_id}/delete")
def delete_plan_entry(request: Request, audit: AuditDep, entry_id: int, session: SessionDep):
    """Remove a line from the audit plan."""
    audits.delete_plan_entry(session=session, audit=audit, entry_id=entry_id)
    if is_htmx(request):
        return render(request, "audits/_plan.html", _show_context(session, audit))
    return RedirectResponse(f"/audits/{audit.id}#plan", status_code=303)
