"""The conduct page: the tablet screen for walking through the checklist, and evidence on its items (photos on findings too)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.datastructures import UploadFile

from auditor import vocabulary as v
from auditor.deps import AuditDep, ConductAuditDep, CurrentUser, PathId, SessionDep, SettingsDep, is_htmx
from auditor.errors import Invalid
from auditor.i18n import gettext, ngettext
from auditor.models import Organisation
from auditor.routes.web.forms import FormDep, check_fields, form_fields, invalid_errors, parse, row_id
from auditor.routes.web.reports import FollowUpsPage, follow_up_context
from auditor.schemas import EvidenceIn, PhotoIn
from auditor.services import access, audits, evidence, photos, responses
from auditor.templating import render

router = APIRouter()


@router.get("/audits/{audit_id}/conduct")
def conduct_audit(
    request: Request, audit: AuditDep, session: SessionDep, user: CurrentUser, follow_ups_page: FollowUpsPage
):
    """Walk the checklist clause by clause: verdicts, notes, evidence, findings; and verify the cases carried over
    into the audit (a page at a time)."""
    view = responses.conduct_view(session=session, actor=user, audit=audit)
    can = audits.audit_can(session=session, user=user, audit=audit)
    organisation = session.get(Organisation, audit.organisation_id)
    return render(
        request,
        "conduct/page.html",
        {
            "audit": audit,
            "organisation": organisation,
            "view": view,
            "can": can,
            **_labels(),
            **follow_up_context(session, audit, can, follow_ups_page),
            "follow_up_back": "conduct",
            "offline_default": access.offline_by_default(session=session, user=user, audit=audit),
        },
    )


def _labels() -> dict:
    """The vocabulary's labels, translated, for the cards and for what conduct.mjs shows itself (queued evidence,
    conflicts); plural forms with a %(num)s placeholder."""
    return {
        "verdict_labels": {c.value: gettext(c.short or c.label) for c in v.ANSWERS},
        "method_labels": {c.value: gettext(c.label) for c in v.EVIDENCE_METHODS},
        "role_labels": {c.value: gettext(c.label) for c in v.ACTORS},
        "people_labels": {
            form: ngettext("%(num)d person", "%(num)d people", n).replace("%(num)d", "%(num)s")
            for form, n in {"one": 1, "other": 2}.items()  # plural categories, keys as in the templates
        },
    }


@router.post("/audits/{audit_id}/evidence")
def create_evidence(
    request: Request, audit: ConductAuditDep, session: SessionDep, user: CurrentUser, submitted: FormDep
):
    """Record evidence on an item, from a browser without JavaScript (the page's script sends it through the outbox
    to the API): back to the item, or the form again with what was wrong."""
    form = form_fields(submitted)
    item_id = str(form.pop("item_id", ""))
    data, errors = parse(EvidenceIn, form)
    if data is not None:
        try:
            evidence.add_evidence(session=session, actor=user, audit=audit, item_id=item_id, data=data)
        except Invalid as error:
            errors = invalid_errors(error)
    if errors:
        return render(
            request,
            "conduct/_evidence_form.html",
            {"audit": audit, "values": {**form, "item_id": item_id}, "errors": errors},
            status_code=422,
        )
    return RedirectResponse(f"/audits/{audit.id}/conduct#item-{item_id}", status_code=303)


@router.post("/audits/{audit_id}/evidence/{evidence_id}/delete")
def delete_evidence(audit: ConductAuditDep, evidence_id: PathId, session: SessionDep, user: CurrentUser):
    """Remove an evidence entry, from a browser without JavaScript; back to its item."""
    entry = evidence.delete_evidence(session=session, actor=user, audit=audit, evidence_id=evidence_id)
    return RedirectResponse(f"/audits/{audit.id}/conduct#item-{entry.item_id}", status_code=303)


@router.post("/audits/{audit_id}/photos")
def create_photo(
    request: Request,
    audit: ConductAuditDep,
    session: SessionDep,
    user: CurrentUser,
    settings: SettingsDep,
    form: FormDep,
):
    """Add a photo to a finding (the findings page's htmx form gets the finding's photos back) or, from a browser without
    JavaScript, to an item (the conduct page's script uses the API); a refused photo shows why in the form."""
    item_id = str(form.get("item_id", "")) or None
    raw_finding_id = str(form.get("finding_id", ""))
    finding_id = row_id(raw_finding_id)
    upload = form.get("file")
    max_bytes = int(settings.photo_max_mb * 1024 * 1024)
    content = upload.file.read(max_bytes + 1) if isinstance(upload, UploadFile) else b""
    try:
        check_fields(PhotoIn, {"caption": form.get("caption", "")})  # the API's limit
        photos.add_photo(
            session=session,
            actor=user,
            audit=audit,
            item_id=item_id,
            finding_id=finding_id,
            content=content,
            caption=str(form.get("caption", "")),
            confidential=form.get("confidential") == "true",
            keep_original=settings.keep_photo_originals,
            max_bytes=max_bytes,
        )
    except Invalid as error:
        values = {"item_id": item_id or "", "finding_id": finding_id, "caption": form.get("caption", "")}
        return render(
            request,
            "conduct/_photo_form.html",
            {"audit": audit, "values": values, "errors": invalid_errors(error)},
            status_code=422,
        )
    if finding_id is not None and is_htmx(request):  # the findings page's photo form
        entries = photos.list_photos(session=session, actor=user, audit=audit, finding_id=finding_id).items
        return render(
            request,
            "findings/_photos.html",
            {
                "audit": audit,
                "finding_id": finding_id,
                "photos": entries,
                "can": audits.audit_can(session=session, user=user, audit=audit),
            },
            headers={"HX-Retarget": f"[id='photos-finding-{finding_id}']", "HX-Reswap": "innerHTML"},
        )
    return _back_to_photo(audit, item_id=item_id, finding_id=finding_id)


@router.post("/audits/{audit_id}/photos/{photo_id}/delete")
def delete_photo(audit: ConductAuditDep, photo_id: PathId, session: SessionDep, user: CurrentUser):
    """Remove a photo, from a browser without JavaScript (the conduct page's script uses the API); back to where it was."""
    photo = photos.delete_photo(session=session, actor=user, audit=audit, photo_id=photo_id)
    return _back_to_photo(audit, item_id=photo.item_id, finding_id=photo.finding_id)


def _back_to_photo(audit, *, item_id: str | None, finding_id: int | None) -> RedirectResponse:
    """A browser goes back to the finding or the item the photo belongs to."""
    if finding_id is not None:
        return RedirectResponse(f"/audits/{audit.id}/findings#finding-{finding_id}", status_code=303)
    return RedirectResponse(f"/audits/{audit.id}/conduct#item-{item_id}", status_code=303)
