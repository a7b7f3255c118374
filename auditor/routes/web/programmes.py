"""The audit programme page of an organisation, and the certification decision page of an audit."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from auditor import vocabulary as v
from auditor.deps import AuditDep, CurrentUser, DecideAuditDep, LibraryDep, PathId, Planner, SessionDep
from auditor.errors import Conflict, Invalid
from auditor.models import Audit, Organisation, User
from auditor.routes.web.forms import FormDep, form_fields, invalid_errors, parse
from auditor.schemas import DecisionIn, ProgrammeIn
from auditor.services import access, organisations, programmes
from auditor.templating import render

router = APIRouter()


def _programme_context(session, user: User, library, organisation: Organisation, **extra) -> dict:
    found = programmes.programme(session=session, organisation=organisation, library=library, today=programmes.today())
    settings = found.settings
    return {
        "organisation": organisation,
        "programme": found,
        "sites": {
            site.id: site for site in organisations.sites_of(session=session, organisation_id=organisation.id).items
        },
        "checklists": list(library),
        "titles": {loaded.id: loaded.checklist.title.model_dump() for loaded in library},
        "can_plan": access.allows_in(
            session=session, user=user, can=access.Can.PLAN_AUDITS, organisation_id=organisation.id
        ),
        "values": settings.model_dump() if settings else {"kind": v.ProgrammeKind.CERTIFICATION, "checklists": []},
        "errors": {},
        **extra,
    }


@router.get("/organisations/{organisation_id}/programme")
def show_programme(
    request: Request, organisation_id: PathId, session: SessionDep, user: CurrentUser, library: LibraryDep
):
    """The organisation's audit programme: the cycle's audits, their windows and coverage, what is left uncovered."""
    organisation = organisations.get_organisation(session=session, actor=user, organisation_id=organisation_id)
    return render(request, "organisations/programme.html", _programme_context(session, user, library, organisation))


@router.post("/organisations/{organisation_id}/programme")
def set_programme(
    request: Request,
    organisation_id: PathId,
    session: SessionDep,
    user: Planner,
    library: LibraryDep,
    submitted: FormDep,
):
    """Set the programme's kind and what each cycle must cover."""
    organisation = organisations.get_organisation(session=session, actor=user, organisation_id=organisation_id)
    form = form_fields(submitted, lists=("checklists",))
    form.setdefault("checklists", [])
    data, errors = parse(ProgrammeIn, form)
    if data is not None:
        try:
            programmes.set_programme(session=session, actor=user, organisation=organisation, data=data, library=library)
        except Invalid as error:
            session.rollback()
            errors = invalid_errors(error)
        else:
            return RedirectResponse(f"/organisations/{organisation.id}/programme", status_code=303)
    context = _programme_context(session, user, library, organisation, values=form, errors=errors)
    return render(request, "organisations/programme.html", context, status_code=422)


def _decision_context(session, user: User, audit: Audit, **extra) -> dict:
    decision = programmes.decision_of(session=session, audit=audit)
    may_decide = access.allows(session=session, user=user, record=audit, can=access.Can.DECIDE)
    return {
        "audit": audit,
        "organisation": session.get(Organisation, audit.organisation_id),
        "decision": decision,
        "decided_by": session.get(User, decision.decided_by_id) if decision else None,
        "reviewed_by": session.get(User, decision.reviewed_by_id) if decision else None,
        "deciders": programmes.deciders(session=session, audit=audit),
        "can_decide": may_decide and decision is None and audit.status == v.AuditStatus.REPORTING,
        "waiting": programmes.waiting_for_decision(audit, decision),
        "outcomes": v.outcomes_for(audit.audit_type),
        "sites": organisations.sites_of(session=session, organisation_id=audit.organisation_id).items,
        "values": {
            "decided_on": programmes.today().isoformat(),
            "reviewed_by_id": user.id,
            "certificate_number": audit.certificate_number,
        },
        "errors": {},
        **extra,
    }


@router.get("/audits/{audit_id}/decision")
def show_decision(request: Request, audit: AuditDep, session: SessionDep, user: CurrentUser):
    """The certification decision after the audit, or the form to take it (for those who may decide)."""
    return render(request, "audits/decision.html", _decision_context(session, user, audit))


@router.post("/audits/{audit_id}/decision")
def decide(request: Request, audit: DecideAuditDep, session: SessionDep, user: CurrentUser, submitted: FormDep):
    """Record the technical review and the certification decision."""
    form = form_fields(submitted, lists=("site_ids",))
    data, errors = parse(DecisionIn, form)
    if data is not None:
        try:
            programmes.decide(session=session, actor=user, audit=audit, data=data, today=programmes.today())
        except (Invalid, Conflict) as error:
            session.rollback()
            errors = invalid_errors(error)
        else:
            return RedirectResponse(f"/audits/{audit.id}/decision", status_code=303)
    return render(
        request, "audits/decision.html", _decision_context(session, user, audit, values=form, errors=errors), 422
    )
