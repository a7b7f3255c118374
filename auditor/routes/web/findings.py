"""Finding pages: the list with filters and photos, and the form prefilled from a checklist item."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from starlette.datastructures import URL

from auditor import vocabulary as v
from auditor.deps import (
    AuditDep,
    ConductAuditDep,
    CurrentUser,
    FindingDep,
    PageDep,
    SessionDep,
    is_htmx,
    page_request_of,
)
from auditor.errors import Invalid, NotFound
from auditor.i18n import get_locale
from auditor.models import Audit
from auditor.paging import PageRequest, page_of, whole
from auditor.routes.web.forms import FormDep, form_fields, invalid_errors, parse
from auditor.schemas import FindingIn
from auditor.services import audits, cases, findings, history, photos
from auditor.services.checklists import audit_structure
from auditor.templating import render

router = APIRouter()


@router.get("/audits/{audit_id}/findings")
def list_findings(
    request: Request,
    audit: AuditDep,
    session: SessionDep,
    user: CurrentUser,
    page: PageDep,
    kind: str | None = None,
    clause: str | None = None,
):
    """The audit's findings, filterable by kind and clause."""
    kind = kind if kind in v.FINDING_KINDS else None
    clause = (clause or "").strip() or None
    shown = page_of(session, findings.findings_query(audit=audit, kind=kind, clause=clause), page)
    found = shown.items
    structure = audit_structure(session=session, audit=audit)
    case_ids = {f.id: c.id for f in found if (c := cases.case_for_finding(session=session, finding_id=f.id))}
    finding_photos = photos.photos_by_finding(session=session, actor=user, audit=audit)
    context = {
        "audit": audit,
        "findings": found,
        "page": shown,
        "kind": kind,
        "clause": clause or "",
        "items": structure.items,
        "case_ids": case_ids,
        "finding_photos": finding_photos,
        "reference": findings.finding_reference,
        "can": audits.audit_can(session=session, user=user, audit=audit),
    }
    return render(request, "findings/_table.html" if is_htmx(request) else "findings/list.html", context)


HistoryPage = Annotated[PageRequest, Depends(page_request_of("history"))]


def _form_context(
    session,
    user,
    audit: Audit,
    values: dict,
    errors: dict,
    finding=None,
    back: str = "",
    history_page: PageRequest = PageRequest(),
) -> dict:
    structure = audit_structure(session=session, audit=audit)
    placed = structure.items.get(values.get("item_id") or "")
    kinds = v.finding_kinds_for(audit.audit_type)
    events = (
        history.audit_history(
            session=session, actor=user, audit=audit, entity="finding", entity_id=str(finding.id), page=history_page
        )
        if finding
        else whole([])
    )
    finding_photos = (
        photos.list_photos(session=session, actor=user, audit=audit, finding_id=finding.id).items if finding else []
    )
    return {
        "audit": audit,
        "values": values,
        "errors": errors,
        "finding": finding,
        "placed": placed,
        "kinds": kinds,
        "back": back,
        "events": history.shown(session=session, events=events.items, locale=get_locale()),
        "history": events,
        # the history's pages, also from the form shown again after a refused POST
        "history_url": URL(f"/audits/{audit.id}/findings/{finding.id}/edit") if finding else None,
        "photos": finding_photos,
        "can": audits.audit_can(session=session, user=user, audit=audit),
        "sites": audits.audit_sites(session=session, audit=audit),
    }


def _safe_back(audit: Audit, back: str | None) -> str:
    """Only a path inside this audit is a place to go back to."""
    return (
        back
        if back and back.startswith(f"/audits/{audit.id}/") and "//" not in back
        else f"/audits/{audit.id}/findings"
    )


@router.get("/audits/{audit_id}/findings/new")
def new_finding(
    request: Request,
    audit: ConductAuditDep,
    session: SessionDep,
    user: CurrentUser,
    item_id: str | None = None,
    kind: str | None = None,
    back: str | None = None,
):
    """The form to raise a finding, prefilled from the item."""
    draft = findings.draft_finding(
        session=session, audit=audit, item_id=item_id, kind=kind if kind in v.FINDING_KINDS else None
    )
    values = {**draft, "clauses": " ".join(draft["clauses"])}
    return render(
        request, "findings/form.html", _form_context(session, user, audit, values, {}, back=_safe_back(audit, back))
    )


def _finding_values(form: dict) -> dict:
    values = {
        k: form.get(k) for k in ("item_id", "kind", "requirement", "statement", "evidence") if form.get(k) is not None
    }
    values["clauses"] = form.get("clauses", "").replace(",", " ").split()
    values["tags"] = {name: form.get(f"tags_{name}", []) for name in ("bek1406", "hazards", "actors")}
    values["site_ids"] = form.get("site_ids", [])
    return values


def _refused_values(session, audit: Audit, form: dict) -> dict:
    """What a refused form shows again: what was typed and ticked, with the item's suggestions."""
    values = _finding_values(form)
    try:
        suggested = findings.draft_finding(session=session, audit=audit, item_id=form.get("item_id") or None)
    except (Invalid, NotFound):
        suggested = {"suggested_tags": {}}
    return {
        **form,
        "tags": values["tags"],
        "site_ids": values["site_ids"],
        "suggested_tags": suggested["suggested_tags"],
    }


@router.post("/audits/{audit_id}/findings")
def create_finding(
    request: Request, audit: ConductAuditDep, session: SessionDep, user: CurrentUser, submitted: FormDep
):
    """Raise a finding from the form."""
    form = form_fields(submitted, lists=("tags_bek1406", "tags_hazards", "tags_actors", "site_ids"))
    back = _safe_back(audit, form.pop("back", None))
    data, errors = parse(FindingIn, _finding_values(form))
    if data is not None:
        try:
            finding = findings.create_finding(session=session, actor=user, audit=audit, data=data)
        except Invalid as error:
            errors = invalid_errors(error)
        else:
            path, _, fragment = back.partition("#")
            target = f"{path}{'&' if '?' in path else '?'}saved={quote(findings.finding_reference(finding))}"
            return RedirectResponse(target + (f"#{fragment}" if fragment else ""), status_code=303)
    return render(
        request,
        "findings/form.html",
        _form_context(session, user, audit, _refused_values(session, audit, form), errors, back=back),
        status_code=422,
    )


@router.get("/audits/{audit_id}/findings/{finding_id}/edit")
def edit_finding(
    request: Request,
    audit: ConductAuditDep,
    finding: FindingDep,
    session: SessionDep,
    user: CurrentUser,
    history_page: HistoryPage,
):
    """The form to change a finding, with its history (a page at a time)."""
    suggested = findings.draft_finding(session=session, audit=audit, item_id=finding.item_id)["suggested_tags"]
    values = {**finding.model_dump(), "clauses": " ".join(finding.clauses), "suggested_tags": suggested}
    back = f"/audits/{audit.id}/findings"
    return render(
        request,
        "findings/form.html",
        _form_context(session, user, audit, values, {}, finding, back=back, history_page=history_page),
    )


@router.post("/audits/{audit_id}/findings/{finding_id}")
def update_finding(
    request: Request,
    audit: ConductAuditDep,
    finding: FindingDep,
    session: SessionDep,
    user: CurrentUser,
    submitted: FormDep,
):
    """Save a changed finding."""
    form = form_fields(submitted, lists=("tags_bek1406", "tags_hazards", "tags_actors", "site_ids"))
    form.pop("back", None)
    data, errors = parse(FindingIn, _finding_values(form))
    if data is not None:
        try:
            findings.update_finding(session=session, actor=user, audit=audit, finding=finding, data=data)
        except Invalid as error:
            errors = invalid_errors(error)
        else:
            return RedirectResponse(f"/audits/{audit.id}/findings", status_code=303)
    return render(
        request,
        "findings/form.html",
        _form_context(session, user, audit, _refused_values(session, audit, form), errors, finding),
        status_code=422,
    )


@router.post("/audits/{audit_id}/findings/{finding_id}/delete")
def delete_finding(audit: ConductAuditDep, finding: FindingDep, session: SessionDep, user: CurrentUser):
    """Delete a finding."""
    findings.delete_finding(session=session, actor=user, audit=audit, finding=finding)
    return RedirectResponse(f"/audits/{audit.id}/findings", status_code=303)


@router.post("/audits/{audit_id}/findings/{finding_id}/track")
def track_finding(audit: ConductAuditDep, finding: FindingDep, session: SessionDep, user: CurrentUser):
    """Follow an observation or OFI through the corrective-action chain; go to its case."""
    case = cases.track_finding(session=session, actor=user, audit=audit, finding=finding)
    return RedirectResponse(f"/cases/{case.id}", status_code=303)
