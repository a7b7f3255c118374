"""The corrective-action chain (ISO 45001 10.2): a case goes
raised -> corrected -> cause_found -> plan_submitted -> plan_accepted -> implemented -> verified -> closed.
A returned plan goes back to cause_found; an ineffective verification goes back to cause_found too, with the
history kept. Every transition checks the state and the role here, and lands in the audit trail.

Who does what:
- the organisation's quality managers and admins (and installation admins) manage a case: correction, root
  cause, plan, submission, closing;
- an action's owner implements it;
- reviewers accept or return the plan and verify effectiveness: the source audit's team, or for a case with no
  audit the organisation's quality managers and admins. The verifier owns none of the case's actions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from pathlib import Path

from sqlalchemy import ColumnElement, Date, and_, case as sql_case, exists, false, func, null, or_, true, type_coerce
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Session, select

from auditor import vocabulary as v
from auditor.errors import Conflict, Forbidden, Invalid, NotFound
from auditor.i18n import N_, get_locale
from auditor.models import (
    INVESTIGATION_FIELDS,
    Audit,
    AuditSite,
    Case,
    CaseAction,
    CaseAttachment,
    CaseComment,
    Finding,
    PlanEntry,
    User,
    utcnow,
)
from auditor.paging import Page, PageRequest, page_of, whole
from auditor.services import access, blobs, numbering, trail
from auditor.services.filters import clause_condition, tag_condition


def case_reference(case: Case, language: str | None = None) -> str:
    """The number people quote, its prefix by what the case is (vocabulary.case_prefix) in `language` (the current
    locale when not given): NC-0007 for an audit's nonconformity, LE-0008 / MR-0008 for a management review's
    decision."""
    return f"{v.case_prefix(case.source, case.grade, language or get_locale())}-{case.number:04d}"


# Who may do what: the rules are in access.py


def get_case(*, session: Session, actor: User, case_id: int) -> Case:
    return access.load(
        session=session,
        user=actor,
        model=Case,
        record_id=case_id,
        can=access.Can.VIEW,
        missing=N_("No case with this id."),
    )


def _require(session: Session, actor: User, case: Case, can: access.Can) -> None:
    access.require(session=session, user=actor, record=case, can=can, missing=N_("No case with this id."))


def _require_status(case: Case, *statuses: str) -> None:
    if case.status not in statuses:
        raise Conflict(N_("This step is not possible while the case is {status}."), status=case.status)


def next_steps(*, session: Session, actor: User, case: Case) -> frozenset[str]:
    """The steps this user may take on this case now (their role by access.py, the case's status here); the case
    page shows exactly these."""
    can = access.permissions(session=session, user=actor, record=case)
    steps = {"comment"}
    status = case.status
    if access.Can.MANAGE in can and status in {v.CaseStatus.RAISED, v.CaseStatus.CORRECTED}:
        steps.add("correction")
    if access.Can.MANAGE in can and status in {v.CaseStatus.CORRECTED, v.CaseStatus.CAUSE_FOUND}:
        steps.add("root_cause")
    if access.Can.MANAGE in can and status == v.CaseStatus.CAUSE_FOUND:
        steps |= {"add_action", "submit"}
    if access.Can.REVIEW in can and status == v.CaseStatus.PLAN_SUBMITTED:
        steps.add("review")
    if access.Can.IMPLEMENT in can and status == v.CaseStatus.PLAN_ACCEPTED:
        steps.add("implement")
    if access.Can.VERIFY in can and status == v.CaseStatus.IMPLEMENTED:
        steps.add("verify")
    if access.Can.CLOSE in can and status == v.CaseStatus.VERIFIED:
        steps.add("close")
    if access.Can.IMPLEMENT in can and status != v.CaseStatus.CLOSED:
        steps.add("attach")
    if access.Can.MANAGE in can and status != v.CaseStatus.CLOSED:
        steps.add("investigation")
    return frozenset(steps)


def implementable_actions(*, session: Session, actor: User, case: Case) -> frozenset[int]:
    """The ids of the case's open actions this user may implement now (the case page offers exactly these): the
    action rule of access.py as a list filter."""
    if "implement" not in next_steps(session=session, actor=actor, case=case):
        return frozenset()
    return frozenset(
        session.exec(
            select(CaseAction.id).where(
                CaseAction.case_id == case.id,
                CaseAction.status == v.ActionStatus.OPEN,
                access.where(actor, CaseAction, access.Can.IMPLEMENT),
            )
        )
    )


# Opening


def open_case(
    *,
    session: Session,
    actor: User | None,
    organisation_id: int,
    statement: str,
    grade: str,
    source: str = v.CaseSource.OTHER,
    audit_id: int | None = None,
    finding: Finding | None = None,
    requirement: str = "",
    evidence: str = "",
    clauses: list[str] | None = None,
    tags: dict | None = None,
) -> Case:
    """Open a case. From an audit finding, or by hand for an incident, complaint, worker's report or a
    management review decision."""
    if grade not in v.FINDING_KINDS:
        raise Invalid(N_("Unknown grade."), field="grade")
    if source not in v.CASE_SOURCES:
        raise Invalid(N_("Unknown source."), field="source")
    if not statement.strip():
        raise Invalid(N_("This field is required."), field="statement")
    case = Case(
        organisation_id=organisation_id,
        number=numbering.next_case_number(session=session, organisation_id=organisation_id),
        source=v.CaseSource(source),
        audit_id=audit_id,
        finding_id=finding.id if finding else None,
        item_id=finding.item_id if finding else None,
        grade=v.FindingKind(grade),
        clauses=list(clauses if clauses is not None else (finding.clauses if finding else [])),
        requirement=requirement,
        statement=statement.strip(),
        evidence=evidence,
        tags=dict(tags if tags is not None else (finding.tags if finding else {})),
    )
    session.add(case)
    session.flush()
    trail.record(
        session=session,
        actor=actor,
        action="create",
        entity="case",
        entity_id=case.id,
        audit_id=audit_id,
        after=trail.snapshot("case", case),
    )
    return case


def open_case_for_finding(*, session: Session, actor: User, audit: Audit, finding: Finding) -> Case | None:
    """Every nonconformity opens a case (in the caller's transaction); other findings open one only on request."""
    if finding.kind not in v.NONCONFORMITY_KINDS:
        return None
    return _open_finding_case(session=session, actor=actor, audit=audit, finding=finding)


def track_finding(*, session: Session, actor: User, audit: Audit, finding: Finding) -> Case:
    """Follow an observation or OFI the same way as a nonconformity, when someone chooses to."""
    access.require_audit(session=session, user=actor, audit=audit, can=access.Can.CONDUCT)
    existing = case_for_finding(session=session, finding_id=finding.id)
    if existing is not None:
        return existing
    return _open_finding_case(session=session, actor=actor, audit=audit, finding=finding)


def _open_finding_case(*, session: Session, actor: User, audit: Audit, finding: Finding) -> Case:
    """A case of the audit's organisation that follows the finding: its statement, grade, requirement and evidence."""
    return open_case(
        session=session,
        actor=actor,
        organisation_id=audit.organisation_id,
        statement=finding.statement,
        grade=finding.kind,
        source=v.CaseSource.AUDIT,
        audit_id=audit.id,
        finding=finding,
        requirement=finding.requirement,
        evidence=finding.evidence,
    )


def follow_finding_change(*, session: Session, actor: User, audit: Audit, finding: Finding) -> None:
    """Keep a case that has not started in step with its finding; a finding changed into a nonconformity opens one."""
    case = case_for_finding(session=session, finding_id=finding.id)
    if case is None:
        open_case_for_finding(session=session, actor=actor, audit=audit, finding=finding)
    elif case.status == v.CaseStatus.RAISED:
        before = trail.snapshot("case", case)
        case.grade, case.statement, case.requirement, case.evidence = (
            finding.kind,
            finding.statement,
            finding.requirement,
            finding.evidence,
        )
        case.clauses, case.tags = list(finding.clauses), dict(finding.tags)
        session.add(case)
        trail.record(
            session=session,
            actor=actor,
            action="update",
            entity="case",
            entity_id=case.id,
            audit_id=audit.id,
            before=before,
            after=trail.snapshot("case", case),
        )


def release_finding(*, session: Session, actor: User, finding: Finding) -> None:
    """Before a finding is deleted: its case goes too if nothing has happened in it yet; otherwise refuse."""
    case = case_for_finding(session=session, finding_id=finding.id)
    if case is None:
        return
    if case.status != v.CaseStatus.RAISED or case_actions(session=session, case=case):
        raise Conflict(
            N_("This finding's case {reference} is under way; it cannot be deleted."), reference=case_reference(case)
        )
    trail.record(
        session=session,
        actor=actor,
        action="delete",
        entity="case",
        entity_id=case.id,
        audit_id=case.audit_id,
        before=trail.snapshot("case", case),
    )
    for comment in session.exec(select(CaseComment).where(CaseComment.case_id == case.id)):
        session.delete(comment)
    files = list(session.exec(select(CaseAttachment).where(CaseAttachment.case_id == case.id)))
    for attachment in files:
        session.delete(attachment)
    blobs.release(
        session=session, digests=[attachment.sha256 for attachment in files]
    )  # flushes: the attachments go before their case
    session.delete(case)
    session.flush()


def case_for_finding(*, session: Session, finding_id: int) -> Case | None:
    return session.exec(select(Case).where(Case.finding_id == finding_id)).first()


# The chain


def _change(session: Session, actor: User, case: Case, action: str, **values) -> Case:
    before = trail.snapshot("case", case)
    for name, value in values.items():
        setattr(case, name, value)
    case.updated_at = utcnow()
    session.add(case)
    trail.record(
        session=session,
        actor=actor,
        action=action,
        entity="case",
        entity_id=case.id,
        audit_id=case.audit_id,
        before=before,
        after=trail.snapshot("case", case),
    )
    return case


def record_correction(
    *, session: Session, actor: User, case: Case, correction: str, not_applicable: bool = False
) -> Case:
    """What was done about the instance itself; or, when no correction applies (nothing to put right in the instance),
    why not (ISO 45001 10.2 a)."""
    _require(session, actor, case, access.Can.MANAGE)
    _require_status(case, v.CaseStatus.RAISED, v.CaseStatus.CORRECTED)
    if not correction.strip():
        raise Invalid(
            N_("Say why no correction applies.") if not_applicable else N_("Describe the correction."),
            field="correction",
        )
    return _change(
        session,
        actor,
        case,
        "correction",
        correction=correction.strip(),
        correction_not_applicable=not_applicable,
        corrected_at=utcnow(),
        status=v.CaseStatus.CORRECTED,
    )


def record_investigation(*, session: Session, actor: User, case: Case, values: dict) -> Case:
    """Record (or correct) how the nonconformity was investigated and followed up beyond its actions: who took part,
    by role (workers and their OH&S representative, 10.2 b), whether it exists or could occur elsewhere, the APV /
    risk assessment reviewed (c), new or changed hazards assessed before acting (e), changes to the management system
    (g), and when and how the workers and their representatives (AMO / MED) were told. Only the fields given change."""
    _require(session, actor, case, access.Can.MANAGE)
    if case.status == v.CaseStatus.CLOSED:
        raise Conflict(N_("This step is not possible while the case is {status}."), status=case.status)
    unknown = set(values) - set(INVESTIGATION_FIELDS)
    if unknown:
        raise Invalid(N_("Unknown field."), field=sorted(unknown)[0])
    changes = dict(values)
    if "investigation_participants" in changes:
        roles = list(dict.fromkeys(changes["investigation_participants"] or []))
        if any(role not in v.ACTORS for role in roles):
            raise Invalid(N_("Choose the participants' roles from the list."), field="investigation_participants")
        changes["investigation_participants"] = roles
    for name in ("participation_note", "extent", "apv_reference", "new_hazards", "system_changes", "communication"):
        if name in changes:
            changes[name] = (changes[name] or "").strip()
    communicated_on = changes.get("communicated_on")
    if communicated_on is not None and communicated_on > date.today():
        raise Invalid(N_("The date cannot be in the future."), field="communicated_on")
    if communicated_on is not None and not changes.get("communication", case.communication):
        raise Invalid(N_("Say how the workers and their representatives were told."), field="communication")
    if changes.get("apv_reviewed") and not changes.get("apv_reference", case.apv_reference):
        raise Invalid(N_("Say which risk assessment (APV) was reviewed."), field="apv_reference")
    return _change(session, actor, case, "investigation", **changes)


def record_root_cause(*, session: Session, actor: User, case: Case, method: str, cause: str) -> Case:
    _require(session, actor, case, access.Can.MANAGE)
    _require_status(case, v.CaseStatus.CORRECTED, v.CaseStatus.CAUSE_FOUND)
    if method not in v.ROOT_CAUSE_METHODS:
        raise Invalid(N_("Choose a root cause method."), field="root_cause_method")
    if not cause.strip():
        raise Invalid(N_("Record the root cause."), field="root_cause")
    return _change(
        session,
        actor,
        case,
        "root_cause",
        root_cause_method=v.RootCauseMethod(method),
        root_cause=cause.strip(),
        status=v.CaseStatus.CAUSE_FOUND,
    )


def add_action(
    *,
    session: Session,
    actor: User,
    case: Case,
    description: str,
    owner_id: int,
    due_date: date,
    prevention_level: str,
    scope: str,
) -> CaseAction:
    """Add a corrective action to the plan (while the plan is being made)."""
    _require(session, actor, case, access.Can.MANAGE)
    _require_status(case, v.CaseStatus.CAUSE_FOUND)
    if not description.strip():
        raise Invalid(N_("Describe the action."), field="description")
    if prevention_level not in v.PREVENTION_LEVELS:
        raise Invalid(N_("Choose a prevention level."), field="prevention_level")
    if scope not in v.MEASURE_SCOPES:
        raise Invalid(N_("Say whether the action is collective or individual."), field="scope")
    owner = session.get(User, owner_id)
    if owner is None or not owner.is_active or owner.organisation_id != case.organisation_id:
        raise Invalid(N_("The owner must be an active member of the organisation."), field="owner_id")
    action = CaseAction(
        case_id=case.id,
        description=description.strip(),
        owner_id=owner.id,
        due_date=due_date,
        prevention_level=v.PreventionLevel(prevention_level),
        scope=v.MeasureScope(scope),
    )
    session.add(action)
    session.flush()
    trail.record(
        session=session,
        actor=actor,
        action="create",
        entity="case_action",
        entity_id=action.id,
        audit_id=case.audit_id,
        after=trail.snapshot("case_action", action),
    )
    return action


def submit_plan(*, session: Session, actor: User, case: Case) -> Case:
    _require(session, actor, case, access.Can.MANAGE)
    _require_status(case, v.CaseStatus.CAUSE_FOUND)
    if not open_actions(session=session, case=case):
        raise Conflict(N_("A plan needs at least one open corrective action."))
    return _change(
        session,
        actor,
        case,
        "submit_plan",
        status=v.CaseStatus.PLAN_SUBMITTED,
        plan_submitted_at=utcnow(),
        plan_return_reason="",
    )


def review_plan(
    *,
    session: Session,
    actor: User,
    case: Case,
    accept: bool,
    reason: str = "",
    individual_measures_only: bool | None = None,
) -> Case:
    """The auditor accepts the plan, or returns it with a reason; either way they may remark that it holds only
    individual measures for a workplace-level cause."""
    _require(session, actor, case, access.Can.REVIEW)
    _require_status(case, v.CaseStatus.PLAN_SUBMITTED)
    flag = case.individual_measures_only if individual_measures_only is None else individual_measures_only
    if accept:
        return _change(
            session,
            actor,
            case,
            "accept_plan",
            status=v.CaseStatus.PLAN_ACCEPTED,
            plan_accepted_at=utcnow(),
            individual_measures_only=flag,
        )
    if not reason.strip():
        raise Invalid(N_("Say why the plan is returned."), field="reason")
    return _change(
        session,
        actor,
        case,
        "return_plan",
        status=v.CaseStatus.CAUSE_FOUND,
        plan_return_reason=reason.strip(),
        individual_measures_only=flag,
    )


def only_individual_measures(*, session: Session, case: Case) -> bool:
    """True when every open action is an individual measure: a hint for the reviewer."""
    return individual_only(open_actions(session=session, case=case))


def individual_only(actions: list[CaseAction]) -> bool:
    """Every open action reaches one person, whatever its prevention level (a secondary measure can be collective)."""
    scopes = {a.scope for a in actions if a.status == v.ActionStatus.OPEN}
    return scopes == {v.MeasureScope.INDIVIDUAL}


def implement_action(*, session: Session, actor: User, case: Case, action_id: int, note: str) -> CaseAction:
    """The owner (or a case manager) records the action as done, with what shows it."""
    action = session.get(CaseAction, action_id)
    if action is None or action.case_id != case.id:
        raise NotFound(N_("No action with this id in this case."))
    access.require(session=session, user=actor, record=action, can=access.Can.IMPLEMENT)
    _require_status(case, v.CaseStatus.PLAN_ACCEPTED)
    if action.status != v.ActionStatus.OPEN:
        raise Conflict(N_("This action is already implemented."))
    if not note.strip():
        raise Invalid(N_("Say what was done and where the evidence is."), field="note")
    before = trail.snapshot("case_action", action)
    action.status, action.implemented_at, action.implementation_note = (
        v.ActionStatus.IMPLEMENTED,
        utcnow(),
        note.strip(),
    )
    session.add(action)
    trail.record(
        session=session,
        actor=actor,
        action="implement",
        entity="case_action",
        entity_id=action.id,
        audit_id=case.audit_id,
        before=before,
        after=trail.snapshot("case_action", action),
    )
    if not open_actions(session=session, case=case):
        _change(session, actor, case, action="implemented", status=v.CaseStatus.IMPLEMENTED, implemented_at=utcnow())
    return action


def verify_effectiveness(
    *, session: Session, actor: User, case: Case, method: str, verified_on: date, result: str
) -> Case:
    """Someone other than the actions' owners checks that the cause is gone. Ineffective: back to root cause."""
    _require(session, actor, case, access.Can.REVIEW)
    if not access.allows(session=session, user=actor, record=case, can=access.Can.VERIFY):
        raise Forbidden(N_("Effectiveness must be verified by someone other than the action's owner."))
    _require_status(case, v.CaseStatus.IMPLEMENTED)
    if result not in v.VERIFICATION_RESULTS:
        raise Invalid(N_("Choose effective or not effective."), field="result")
    if not method.strip():
        raise Invalid(N_("Say how effectiveness was verified."), field="method")
    if verified_on > date.today():
        raise Invalid(N_("The date cannot be in the future."), field="verified_on")
    status = v.CaseStatus.VERIFIED if result == v.VerificationResult.EFFECTIVE else v.CaseStatus.CAUSE_FOUND
    return _change(
        session,
        actor,
        case,
        "verify",
        status=status,
        verification_method=method.strip(),
        verified_on=verified_on,
        verification_result=v.VerificationResult(result),
        verified_by_id=actor.id,
    )


def close_case(*, session: Session, actor: User, case: Case) -> Case:
    _require(session, actor, case, access.Can.CLOSE)
    if open_actions(session=session, case=case):
        raise Conflict(N_("A case cannot close while an action is open."))
    if case.status != v.CaseStatus.VERIFIED or case.verification_result != v.VerificationResult.EFFECTIVE:
        raise Conflict(N_("A case cannot close before its effectiveness is verified."))
    return _change(session, actor, case, "close", status=v.CaseStatus.CLOSED, closed_at=utcnow())


def open_actions(*, session: Session, case: Case) -> list[CaseAction]:
    return list(
        session.exec(
            select(CaseAction)
            .where(CaseAction.case_id == case.id, CaseAction.status == v.ActionStatus.OPEN)
            .order_by(CaseAction.id)
        )
    )


def case_actions(*, session: Session, case: Case) -> list[CaseAction]:
    return list(session.exec(select(CaseAction).where(CaseAction.case_id == case.id).order_by(CaseAction.id)))


def add_comment(*, session: Session, actor: User, case: Case, text: str) -> CaseComment:
    if not text.strip():
        raise Invalid(N_("Write a comment."), field="text")
    comment = CaseComment(case_id=case.id, author_id=actor.id, text=text.strip())
    session.add(comment)
    session.flush()
    return comment


def comments(*, session: Session, case: Case, page: PageRequest | None = None) -> Page[tuple[CaseComment, str]]:
    """A case's comments with their authors' names, oldest first; one page of them, or all without `page`."""
    query = (
        select(CaseComment, User.name)
        .join(User, User.id == CaseComment.author_id)
        .where(CaseComment.case_id == case.id)
        .order_by(CaseComment.id)
    )
    return page_of(session, query, page)


# Deadlines: computed when read, never stored


@dataclass(frozen=True)
class Deadlines:
    """The days the nonconformity report names: the correction's and the action plan's."""

    correction: date | None = None
    plan: date | None = None


def deadlines(*, case: Case, policy: dict) -> Deadlines:
    rules = policy.get(case.grade, {})
    opened = case.opened_at.date()

    def after(name: str) -> date | None:
        days = rules.get(name)
        return opened + timedelta(days=days) if isinstance(days, int) else None

    return Deadlines(after("correction"), after("plan"))


# The deadline a case is held to in each status: the first of these that its grade's policy sets. This table,
# turned into SQL by due_date(), is the only definition of "due" and "overdue"; a single case is read through it too.
DUE_BY_STATUS = {
    "raised": ("correction", "plan"),
    "corrected": ("plan",),
    "cause_found": ("plan",),
    "plan_submitted": ("verification",),
    "plan_accepted": ("verification",),
    "implemented": ("verification",),
}


class days_after(FunctionElement):
    """The (UTC) day a timestamp falls on, plus a number of days, as a SQL date."""

    type = Date()
    inherit_cache = True


@compiles(days_after, "sqlite")
def _days_after_sqlite(element, compiler, **kw):
    timestamp, days = element.clauses
    return f"date({compiler.process(timestamp, **kw)}, {compiler.process(days, **kw)} || ' days')"


@compiles(days_after, "postgresql")
def _days_after_postgresql(element, compiler, **kw):
    timestamp, days = element.clauses
    return f"(CAST(timezone('UTC', {compiler.process(timestamp, **kw)}) AS DATE) + {compiler.process(days, **kw)})"


def _next_audit(column) -> ColumnElement[date]:
    """A date (`column`: Audit.start_date or Audit.end_date) of the audit that verifies the case: the one chosen for it
    (verify_in_audit_id), else the organisation's first audit after the case was opened (not the one it came from)."""
    chosen = select(column).where(Audit.id == Case.verify_in_audit_id).scalar_subquery()
    # The first by start date (an index's order: ix_audit_org_start), not the smallest `column` among all later audits
    first = (
        select(column)
        .where(
            Audit.organisation_id == Case.organisation_id,
            Audit.start_date > days_after(Case.opened_at, 0),
            or_(Case.audit_id.is_(None), Audit.id != Case.audit_id),
        )
        .order_by(Audit.start_date, column)
        .limit(1)
        .scalar_subquery()
    )
    return type_coerce(func.coalesce(chosen, first), Date())


def next_audit_start() -> ColumnElement[date]:
    """The start of the audit that verifies the case (_next_audit)."""
    return _next_audit(Audit.start_date)


def is_escalated(policy: dict, today: date) -> ColumnElement[bool]:
    """An open case its grade's policy says to escalate (REVIEW 5.4: a minor NC not closed by the next audit): rule
    "escalate" is "next_audit" (still open once the audit that verifies it has ended) or a number of days from
    opening. A flag for the auditor, who decides whether to regrade it; never NULL."""
    whens: list[tuple[ColumnElement[bool], ColumnElement[bool]]] = []
    for grade, rules in policy.items():
        rule = rules.get("escalate")
        if rule == "next_audit":
            whens.append((Case.grade == grade, func.coalesce(_next_audit(Audit.end_date) < today, false())))
        elif isinstance(rule, int):
            whens.append((Case.grade == grade, days_after(Case.opened_at, rule) < today))
    if not whens:
        return false()
    return sql_case((Case.status == v.CaseStatus.CLOSED, false()), *whens, else_=false())


def due_date(policy: dict) -> ColumnElement[date]:
    """The case's next deadline that still applies to its status (NULL when none does), as SQL."""

    def deadline(name: str) -> ColumnElement[date] | None:
        whens: list[tuple[ColumnElement[bool], ColumnElement[date]]] = []
        for grade, rules in policy.items():
            days = rules.get(name)
            if isinstance(days, int):
                whens.append((Case.grade == grade, days_after(Case.opened_at, days)))
            elif days == "next_audit":
                whens.append((Case.grade == grade, next_audit_start()))
        return type_coerce(sql_case(*whens), Date()) if whens else None

    # Statuses held to the same deadlines share one branch, so each deadline (and the next-audit subquery) is
    # written once in the statement.
    statuses_by_names: dict[tuple[str, ...], list[str]] = {}
    for status, names in DUE_BY_STATUS.items():
        statuses_by_names.setdefault(names, []).append(status)
    by_status = []
    for names, statuses in statuses_by_names.items():
        found = [d for d in map(deadline, names) if d is not None]
        if found:
            by_status.append((Case.status.in_(statuses), found[0] if len(found) == 1 else func.coalesce(*found)))
    return type_coerce(sql_case(*by_status), Date()) if by_status else type_coerce(null(), Date())


def is_late(action, today: date):
    """An open action past its due date: the one definition, as SQL given the CaseAction table (the board's
    overdue cases) and as True/False given an action (a case's page, the API, "my actions")."""
    return (action.status == v.ActionStatus.OPEN) & (action.due_date < today)


def is_overdue(due: ColumnElement[date], today: date) -> ColumnElement[bool]:
    """An open case whose deadline has passed, or with an open action past its due date, as SQL (never NULL)."""
    late_action = exists().where(CaseAction.case_id == Case.id, is_late(CaseAction, today))
    return sql_case((and_(Case.status != v.CaseStatus.CLOSED, or_(due < today, late_action)), true()), else_=false())


@dataclass
class CaseRow:
    """A case as the board and the API show it, with its computed due date."""

    case: Case
    reference: str
    due: date | None
    overdue: bool
    actions: list[CaseAction] = field(default_factory=list)
    late: frozenset[int] = frozenset()  # the ids of its late actions (is_late)
    escalated: bool = False  # is_escalated: a minor NC still open after the audit that should have closed it


def _row(
    case: Case, due: date | None, overdue: object, actions: list[CaseAction], today: date, escalated: object = False
) -> CaseRow:
    return CaseRow(
        case,
        case_reference(case),
        due,
        bool(overdue),
        actions,
        frozenset(a.id for a in actions if is_late(a, today)),
        bool(escalated),
    )


def case_row(
    *, session: Session, case: Case, policy: dict, today: date | None = None, with_actions: bool = True
) -> CaseRow:
    due, today = due_date(policy), today or date.today()
    found_due, overdue, escalated = session.exec(
        select(due, is_overdue(due, today), is_escalated(policy, today)).where(Case.id == case.id)
    ).one()
    actions = case_actions(session=session, case=case) if with_actions else []
    return _row(case, found_due, overdue, actions, today, escalated)


# The follow-up board


@dataclass(frozen=True)
class BoardFilters:
    status: str | None = None
    grade: str | None = None
    overdue: bool | None = None
    clause: str | None = None
    bek: str | None = None
    audit_id: int | None = None
    owner_id: int | None = None
    include_closed: bool = True


@dataclass
class Board:
    rows: list[CaseRow]
    counts: dict[str, int]
    page: Page


def board(
    *,
    session: Session,
    actor: User,
    policy: dict,
    filters: BoardFilters = BoardFilters(),
    today: date | None = None,
    page: PageRequest | None = None,
) -> Board:
    """The cases the actor may see, filtered, soonest due first (then by organisation and number), one page of them
    (every one without `page`), with counts over the same filters (before the status and overdue filters, so the
    counts show where the cases stand). Filtering, ordering and paging happen in the database."""
    today = today or date.today()
    due = due_date(policy)
    conditions = [access.where(actor, Case)]
    if filters.grade:
        conditions.append(Case.grade == filters.grade)
    if filters.audit_id:
        conditions.append(Case.audit_id == filters.audit_id)
    if filters.owner_id:
        conditions.append(Case.id.in_(select(CaseAction.case_id).where(CaseAction.owner_id == filters.owner_id)))
    if not filters.include_closed:
        conditions.append(Case.status != v.CaseStatus.CLOSED)
    if filters.clause:
        conditions.append(clause_condition(Case.clauses, filters.clause))
    if filters.bek:
        conditions.append(tag_condition(Case.tags, "bek1406", filters.bek))

    def computed_rows(*where: ColumnElement[bool]):
        return (
            select(
                Case.id.label("id"),
                Case.organisation_id.label("organisation_id"),
                Case.number.label("number"),
                Case.status.label("status"),
                due.label("due"),
                is_overdue(due, today).label("overdue"),
            )
            .where(*conditions, *where)
            .subquery()
        )

    def chosen_rows(computed, page: PageRequest | None) -> list:
        """The page's (id, due, overdue, escalated), chosen on the narrow computed rows, soonest due first. The page is
        chosen on (id, due) alone; whether a case is overdue or escalated (subqueries per case) is asked only of the
        page's cases, after the choice (SQLite would otherwise compute it for every case it sorts)."""
        query = select(computed.c.id, computed.c.due, computed.c.organisation_id, computed.c.number)
        if filters.status:
            query = query.where(computed.c.status == filters.status)
        if filters.overdue is not None:
            query = query.where(computed.c.overdue == filters.overdue)
        # NULLS LAST rather than "due IS NULL, due": the due date is computed once per case, not twice.
        query = query.order_by(computed.c.due.asc().nulls_last(), computed.c.organisation_id, computed.c.number)
        if page is not None:
            query = query.limit(page.limit).offset(page.offset)
        chosen = query.subquery()
        return list(
            session.exec(
                select(chosen.c.id, chosen.c.due, is_overdue(chosen.c.due, today), is_escalated(policy, today))
                .join(Case, Case.id == chosen.c.id)
                .order_by(chosen.c.due.asc().nulls_last(), chosen.c.organisation_id, chosen.c.number)
            )
        )

    computed = computed_rows()
    counts = dict.fromkeys(("total", "open", "overdue", *v.CASE_STATUSES.values), 0)
    shown = 0
    # Grouped by status alone (the overdue ones counted in each group): grouping by the computed flag too would sort
    # every case by it.
    for status, number, overdue in session.exec(
        select(computed.c.status, func.count(), func.count().filter(computed.c.overdue)).group_by(computed.c.status)
    ):
        counts["total"] += number
        counts["open"] += number if status != v.CaseStatus.CLOSED else 0
        counts["overdue"] += overdue
        counts[status] = counts.get(status, 0) + number
        if not filters.status or status == filters.status:
            shown += number if filters.overdue is None else overdue if filters.overdue else number - overdue

    # Only a case in a status with deadlines has a due date, and dated cases come first: a page filled with dated
    # cases of those statuses alone is the page, found without computing a due date for every closed case (most
    # cases of a long-used installation). Otherwise (a late page) the page is chosen among every case.
    chosen = chosen_rows(computed_rows(Case.status.in_(list(DUE_BY_STATUS))), page) if page is not None else []
    if page is None or len(chosen) < page.limit or chosen[-1][1] is None:
        chosen = chosen_rows(computed, page)

    # Only the page's cases are loaded whole.
    ids = [case_id for case_id, _, _, _ in chosen]
    loaded: dict[int, Case] = {}
    actions_by_case: dict[int, list[CaseAction]] = {}
    for start in range(0, len(ids), 5000):  # a whole board (the register) may hold more ids than one statement takes
        part = ids[start : start + 5000]
        loaded.update((c.id, c) for c in session.exec(select(Case).where(Case.id.in_(part))))
        for action in session.exec(select(CaseAction).where(CaseAction.case_id.in_(part)).order_by(CaseAction.id)):
            actions_by_case.setdefault(action.case_id, []).append(action)
    rows = [
        _row(loaded[case_id], found_due, overdue, actions_by_case.get(case_id, []), today, escalated)
        for case_id, found_due, overdue, escalated in chosen
    ]
    return Board(rows, counts, Page(rows, shown, page.limit, page.offset) if page else whole(rows))


def action_owners(*, session: Session, actor: User) -> list[User]:
    """The people who own an action of a case the actor may see (the board's owner filter), by name."""
    owning = select(CaseAction.owner_id).join(Case, Case.id == CaseAction.case_id).where(access.where(actor, Case))
    return list(session.exec(select(User).where(User.id.in_(owning)).order_by(User.name, User.id)))


def my_actions(
    *, session: Session, actor: User, today: date | None = None, page: PageRequest | None = None
) -> Page[tuple[CaseAction, Case, bool]]:
    """(action, its case, overdue) for every open action the actor owns, soonest due first; one page of them, or all
    without `page`."""
    today = today or date.today()
    found = page_of(
        session,
        select(CaseAction, Case)
        .join(Case, Case.id == CaseAction.case_id)
        .where(CaseAction.owner_id == actor.id, CaseAction.status == v.ActionStatus.OPEN)
        .order_by(CaseAction.due_date, CaseAction.id),
        page,
    )
    return found.with_items([(action, case, bool(is_late(action, today))) for action, case in found.items])


# Carry-over into the next audit


def fits_for_verification(*, session: Session, case: Case, audit: Audit) -> bool:
    """Whether `audit` may verify `case`: it starts on or after the day the case opened, is not the audit it came
    from, is of the same kind (a certification body's nonconformity is verified by the certification body, an internal
    audit's by an internal audit; stage 1 verifies nothing), and shares a site with the case's finding when both name
    theirs."""
    if audit.audit_type == v.AuditType.STAGE1 or audit.id == case.audit_id:
        return False
    if audit.start_date < case.opened_at.date() or audit.organisation_id != case.organisation_id:
        return False
    source = session.get(Audit, case.audit_id) if case.audit_id else None
    if source is not None and (source.audit_type == v.AuditType.INTERNAL) != (audit.audit_type == v.AuditType.INTERNAL):
        return False
    finding = session.get(Finding, case.finding_id) if case.finding_id else None
    if finding is not None and finding.site_ids:
        audited = set(session.exec(select(AuditSite.site_id).where(AuditSite.audit_id == audit.id)))
        if audited and not audited & set(finding.site_ids):
            return False
    return True


def carry_over(*, session: Session, actor: User, audit: Audit) -> list[Case]:
    """Open cases of the organisation that no audit verifies yet come into a newly planned audit that fits them
    (fits_for_verification): the auditor verifies them on site. A case already chosen for an audit stays with it;
    only a person moves it (choose_verification_audit)."""
    waiting = session.exec(
        select(Case)
        .where(
            Case.organisation_id == audit.organisation_id,
            Case.status != v.CaseStatus.CLOSED,
            Case.verify_in_audit_id.is_(None),
        )
        .order_by(Case.number)
    )
    carried = [case for case in waiting if fits_for_verification(session=session, case=case, audit=audit)]
    for case in carried:
        _verify_in(session, actor, case, audit, action="carry_over")
    return carried


def choose_verification_audit(*, session: Session, actor: User, case: Case, audit: Audit | None) -> Case:
    """A person moves a case's verification to another audit that fits it (or to none): the follow-up row leaves the
    old audit's plan and joins the new one's, and the trail says who moved it."""
    current = session.get(Audit, case.verify_in_audit_id) if case.verify_in_audit_id else None
    planner = all(
        access.allows(session=session, user=actor, record=chosen, can=access.Can.PLAN)
        for chosen in (audit, current)
        if chosen is not None
    )
    if not (planner and (audit or current)):  # the planner of the audits concerned, else the case's reviewers
        _require(session, actor, case, access.Can.REVIEW)
    if case.status == v.CaseStatus.CLOSED:
        raise Conflict(N_("This step is not possible while the case is {status}."), status=case.status)
    if audit is not None:
        if not access.allows(session=session, user=actor, record=audit, can=access.Can.VIEW):
            raise Invalid(N_("There is no audit with id {id}."), field="audit_id", id=audit.id)
        if not fits_for_verification(session=session, case=case, audit=audit):
            raise Invalid(
                N_("This audit cannot verify the case: choose a later audit of the same kind that covers its site."),
                field="audit_id",
            )
    if case.verify_in_audit_id == (audit.id if audit else None):
        return case
    if case.verify_in_audit_id is not None:
        for entry in session.exec(
            select(PlanEntry).where(
                PlanEntry.audit_id == case.verify_in_audit_id,
                PlanEntry.kind == v.PlanKind.CASE_FOLLOW_UP,
                PlanEntry.activity.startswith(_follow_up_label(case)),
            )
        ):
            session.delete(entry)
    if audit is None:
        return _change(session, actor, case, "verify_in", verify_in_audit_id=None)
    return _verify_in(session, actor, case, audit, action="verify_in")


def _follow_up_label(case: Case) -> str:
    """How a plan row names the case it follows up (in English and Danish alike: the row is shared)."""
    return f"{case_reference(case, v.Language.EN)}: "


def _verify_in(session: Session, actor: User, case: Case, audit: Audit, *, action: str) -> Case:
    _change(session, actor, case, action, verify_in_audit_id=audit.id)
    what = (
        v.FollowUpStep.VERIFY_CORRECTIVE_ACTIONS
        if case.status in {v.CaseStatus.PLAN_ACCEPTED, v.CaseStatus.IMPLEMENTED}
        else v.FollowUpStep.FOLLOW_UP
    )
    session.add(
        PlanEntry(
            audit_id=audit.id,
            day=audit.start_date,
            start_time=time(10, 0),
            kind=v.PlanKind.CASE_FOLLOW_UP,
            activity=f"{_follow_up_label(case)}{case.statement[:200]}",
            auditee_role=what,
        )
    )
    return case


def verification_candidates(*, session: Session, actor: User, case: Case) -> list[Audit]:
    """The audits a person may choose to verify the case in (the case page's list)."""
    audits = session.exec(
        select(Audit)
        .where(Audit.organisation_id == case.organisation_id, Audit.status != v.AuditStatus.CLOSED)
        .order_by(Audit.start_date, Audit.id)
    )
    return [
        audit
        for audit in audits
        if fits_for_verification(session=session, case=case, audit=audit)
        and access.allows(session=session, user=actor, record=audit, can=access.Can.PLAN)
    ]


# Attachments: evidence that an action was implemented

# What a file's first bytes must be for each kind we accept (the name and the browser's claim are not trusted).
ACCEPTED_FILES = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (b"PK\x03\x04",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (b"PK\x03\x04",),
}
EXTENSIONS = {
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024


def add_attachment(
    *, session: Session, actor: User, case: Case, filename: str, content: bytes, action_id: int | None = None
) -> CaseAttachment:
    """Keep a checked file as evidence on the case (the owner of an action, or a case manager)."""
    action = session.get(CaseAction, action_id) if action_id else None
    if action_id and (action is None or action.case_id != case.id):
        raise NotFound(N_("No action with this id in this case."))
    _require(session, actor, case, access.Can.IMPLEMENT)
    if case.status == v.CaseStatus.CLOSED:
        raise Conflict(N_("This step is not possible while the case is {status}."), status=case.status)
    name = re.sub(r"[^\w.()\- ]", "_", Path(filename or "").name)[:200] or "file"
    content_type = EXTENSIONS.get(Path(name).suffix.lower())
    if not content:
        raise Invalid(N_("The file is empty."), field="file")
    if len(content) > MAX_ATTACHMENT_BYTES:
        raise Invalid(N_("The file is larger than {mb} MB."), field="file", mb=MAX_ATTACHMENT_BYTES // (1024 * 1024))
    if content_type is None or not content.startswith(ACCEPTED_FILES[content_type]):
        raise Invalid(
            N_("Only PDF, PNG, JPEG, Word (.docx) and Excel (.xlsx) files, and the file must really be one."),
            field="file",
        )
    digest = blobs.keep(session=session, content=content)
    attachment = CaseAttachment(
        case_id=case.id,
        action_id=action_id,
        filename=name,
        content_type=content_type,
        size=len(content),
        sha256=digest,
        uploaded_by_id=actor.id,
    )
    session.add(attachment)
    session.flush()
    trail.record(
        session=session,
        actor=actor,
        action="attach",
        entity="case",
        entity_id=case.id,
        audit_id=case.audit_id,
        after={"file": name, "size": len(content), "sha256": digest},
    )
    return attachment


def read_attachment(*, session: Session, attachment: CaseAttachment) -> bytes:
    """The bytes of an attachment."""
    content = blobs.read(session=session, sha256=attachment.sha256)
    if content is None:  # only after an upgrade that found the file missing on disk
        raise NotFound(N_("This attachment's file is missing."))
    return content


def attachments(*, session: Session, case: Case) -> list[CaseAttachment]:
    return list(
        session.exec(select(CaseAttachment).where(CaseAttachment.case_id == case.id).order_by(CaseAttachment.id))
    )


def get_attachment(*, session: Session, case: Case, attachment_id: int) -> CaseAttachment:
    attachment = session.get(CaseAttachment, attachment_id)
    if attachment is None or attachment.case_id != case.id:
        raise NotFound(N_("No attachment with this id in this case."))
    return attachment
