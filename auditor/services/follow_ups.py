"""Verification of earlier nonconformities (ISO/IEC 17021-1 9.4.8): what an audit verified on site of each case
carried over into it from an earlier audit, the result and who verified it.

This is the audit's record for its report. The case's own effectiveness check (services/cases.py `verify`) stays the
case's: it has its gates (an independent verifier, a case implemented first) and closes or reopens the case."""

from __future__ import annotations

from sqlalchemy import tuple_
from sqlmodel import Session, or_, select

from auditor import paging
from auditor.errors import Invalid, NotFound
from auditor.i18n import N_
from auditor.models import Audit, Case, CaseFollowUp, User, utcnow
from auditor.paging import Page, PageRequest, page_of
from auditor.schemas import CaseFollowUpIn
from auditor.services import access, audits, trail


def carried_over(
    *, session: Session, audit: Audit, page: PageRequest | None = None, case_id: int | None = None
) -> Page[tuple[Case, CaseFollowUp | None]]:
    """The cases the audit verifies (carried over into it, or verified in it before they moved on), by number, each
    with what the audit recorded of it; one page of them, or all without `page`; only the case `case_id` with it."""
    query = _carried_over_query(audit)
    if case_id is not None:
        query = query.where(Case.id == case_id)
    found = page_of(session, query, page)
    shown = [case.id for case in found.items]
    rows = {
        row.case_id: row
        for row in session.exec(
            select(CaseFollowUp).where(CaseFollowUp.audit_id == audit.id, CaseFollowUp.case_id.in_(shown))
        )
    }
    return found.with_items([(case, rows.get(case.id)) for case in found.items])


def _carried_over_query(audit: Audit):
    recorded = select(CaseFollowUp.case_id).where(CaseFollowUp.audit_id == audit.id)
    return (
        select(Case)
        .where(Case.organisation_id == audit.organisation_id)
        .where(or_(Case.verify_in_audit_id == audit.id, Case.id.in_(recorded)))
        .where(or_(Case.audit_id.is_(None), Case.audit_id != audit.id))
        .order_by(Case.number, Case.id)
    )


def page_holding(*, session: Session, audit: Audit, case: Case) -> PageRequest:
    """The page of the audit's carried-over cases that holds `case`."""
    ahead = tuple_(Case.number, Case.id) < tuple_(case.number, case.id)
    return paging.page_holding(session, _carried_over_query(audit), ahead)


def record_follow_up(
    *, session: Session, actor: User, audit: Audit, case_id: int, data: CaseFollowUpIn
) -> CaseFollowUp:
    """Record (or change) what the audit verified of a carried-over case: whoever may conduct the audit (access.Can.CONDUCT)."""
    access.require_audit(session=session, user=actor, audit=audit, can=access.Can.CONDUCT)
    audits.ensure_open(audit)
    case = next((case for case, _ in carried_over(session=session, audit=audit, case_id=case_id).items), None)
    if case is None:
        raise NotFound(N_("No case carried over into this audit with this id."))
    if data.verified_by_id not in {user.id for user, _ in audits.audit_team(session=session, audit=audit)}:
        raise Invalid(N_("The person who verified must be on the audit team."), field="verified_by_id")
    row = session.exec(
        select(CaseFollowUp).where(CaseFollowUp.audit_id == audit.id, CaseFollowUp.case_id == case.id)
    ).first()
    before = trail.snapshot("case_verification", row)
    if row is None:
        row = CaseFollowUp(audit_id=audit.id, case_id=case.id, result=data.result)
    row.checked = data.checked
    row.result = data.result
    row.verified_by_id = data.verified_by_id
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    trail.record(
        session=session,
        actor=actor,
        action="update" if before else "create",
        entity="case_verification",
        entity_id=case.id,
        audit_id=audit.id,
        before=before,
        after=trail.snapshot("case_verification", row),
    )
    return row
