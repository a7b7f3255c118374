"""Who may see and do what: every authorization rule lives here; loaders, services and pages ask it.

The rules:
- An installation admin (no organisation) sees and does everything.
- An organisation's admin sees and does everything within that organisation (confidential evidence excepted).
- Lead auditors and auditors see the audits whose team they are on; the lead plans, the team conducts and sees
  confidential evidence. A lead auditor plans new audits (provider staff for any organisation, a member only for
  their own); provider admins and lead auditors create organisations.
- Quality managers, action owners and viewers see their own organisation's audits, read only.
- Cases: the organisation's admins and quality managers manage them (and open them by hand); its admins, quality
  managers, viewers and auditors, the source audit's team and the owners of an action see them; the source audit's
  team (for a case without an audit, its managers) reviews the plan and verifies effectiveness, but never someone
  who owns one of the case's actions; an action's owner (or a manager) implements it.
- Management reviews: the organisation's admins and quality managers compile and edit them, its viewers read them.
- Users and report templates: admins, an organisation's admin only its own organisation's (and it reads the
  provider's templates).
- Auditors' competence records: whoever manages the auditor's user account (admins); their impartiality declarations:
  those admins and the auditor themselves. A team that fails the competence or impartiality check (services/staffing.py)
  is set anyway only by an installation admin, with a reason.
- The e-mail reminders' delivery log (who was e-mailed what, and what failed): installation admins only.
- Certification decisions: after a certification audit, the provider's admins and lead auditors who were not on its
  team decide (and review it technically); a team member never decides on their own audit. While the audit waits
  for its decision or has one (reporting or closed), those who may decide see it (never its confidential evidence).
- Audit programmes: whoever sees the organisation sees its programme; whoever may plan its audits sets it.
- Keeping an audit on a device for work without network (its offline copy): only the audit team and installation
  admins, not an organisation's admin who may conduct it from the office.
Someone who may not see a thing gets "not found", so nobody learns that it exists; someone who may see it but
not do this gets "forbidden".

How a rule is written (one definition, two uses, after netbox's RestrictedQuerySet): each kind of record and
action has one condition, `RULES[Model][action](user)`, a SQL condition on the record's table (or True/False
when the answer is the same for every record: an installation admin, a role that never may). A list filters by
it (`where(user, Case)`); one record is checked by running the same condition for that one row (`permissions`,
`allows`, `require`), so the check and the list can never disagree. The answers for every action on one record
come from one query, remembered until the session changes something; a constant answer needs no query.
Doing something in an organisation before a record exists (planning an audit, opening a case, compiling a
review, adding a user or a template) is a rule on the Organisation; the provider's own users and templates
belong to no organisation, and only someone a rule allows in every organisation may manage them.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, and_, bindparam, event, false, not_, or_, select as sql_select, true
from sqlalchemy.orm import Session as OrmSession, load_only
from sqlmodel import Session, select

from auditor import vocabulary as v
from auditor.errors import Forbidden, NotFound
from auditor.i18n import N_
from auditor.models import Audit, AuditMember, Case, CaseAction, ManagementReview, Organisation, ReportTemplate, User


class Can(StrEnum):
    VIEW = "view"
    # audits
    PLAN = "plan"  # change the audit's facts, plan, team and status
    CONDUCT = "conduct"  # answers, evidence, photos, findings
    SEE_CONFIDENTIAL = "see_confidential"  # confidential evidence and photos, in every view
    WORK_OFFLINE = "work_offline"  # keep the audit's offline copy on a tablet (field mode)
    DECIDE = "decide"  # the certification decision after a certification audit (never by its team)
    # cases, reviews, users, templates
    MANAGE = "manage"  # a case: correction, root cause, plan, submission; a review, user or template: change it
    REVIEW = "review"  # accept or return a case's plan
    VERIFY = "verify"  # verify a case's effectiveness (separation of duties: never an action's owner)
    IMPLEMENT = "implement"  # implement a case's actions and attach evidence (a case action: implement it)
    CLOSE = "close"
    # organisations: what may be done in one (before the record exists)
    PLAN_AUDITS = "plan_audits"
    OPEN_CASES = "open_cases"
    COMPILE_REVIEWS = "compile_reviews"
    MANAGE_USERS = "manage_users"
    MANAGE_TEMPLATES = "manage_templates"
    # users who audit
    DECLARE = "declare"  # record and withdraw an auditor's impartiality declarations


# A condition: True or False when it is the same for every record, else SQL on the record's table.
Condition = bool | ColumnElement[bool]

MANAGER_ROLES = frozenset({v.Role.ADMIN, v.Role.QUALITY_MANAGER})
CASE_READER_ROLES = frozenset(
    {v.Role.ADMIN, v.Role.QUALITY_MANAGER, v.Role.VIEWER, v.Role.LEAD_AUDITOR, v.Role.AUDITOR}
)
REVIEW_READER_ROLES = MANAGER_ROLES | {v.Role.VIEWER}
PLANNER_ROLES = frozenset({v.Role.ADMIN, v.Role.LEAD_AUDITOR})


def is_installation_admin(user: User) -> bool:
    return user.role == v.Role.ADMIN and user.organisation_id is None


# The facts rules are made of


def _any(*conditions: Condition) -> Condition:
    if any(c is True for c in conditions):
        return True
    rest = [c for c in conditions if not isinstance(c, bool)]
    return False if not rest else rest[0] if len(rest) == 1 else or_(*rest)


def _all(*conditions: Condition) -> Condition:
    if any(c is False for c in conditions):
        return False
    rest = [c for c in conditions if not isinstance(c, bool)]
    return True if not rest else rest[0] if len(rest) == 1 else and_(*rest)


def _not(condition: Condition) -> Condition:
    return (not condition) if isinstance(condition, bool) else not_(condition)


def _in_organisation(user: User, column, roles: frozenset | None = None) -> Condition:
    """Records of the user's own organisation, if the user has one of `roles` (any role when None); provider staff
    with one of the roles: every organisation's."""
    if roles is not None and user.role not in roles:
        return False
    return True if user.organisation_id is None else column == user.organisation_id


def _own_organisation(user: User, column, roles: frozenset | None = None) -> Condition:
    """Records of the user's own organisation only (none for provider staff), if the user has one of `roles`."""
    if user.organisation_id is None or (roles is not None and user.role not in roles):
        return False
    return column == user.organisation_id


def _on_team(user: User, audit_id, role: v.TeamRole | None = None) -> Condition:
    """On the team of the audit `audit_id` (a column) names, in this team role (any when None)."""
    teams = select(AuditMember.audit_id).where(AuditMember.user_id == user.id)
    if role is not None:
        teams = teams.where(AuditMember.role == role)
    return audit_id.in_(teams)


def _owns_an_action(user: User) -> Condition:
    return Case.id.in_(select(CaseAction.case_id).where(CaseAction.owner_id == user.id))


# Audits


def _audit_view(user: User) -> Condition:
    return is_installation_admin(user) or _any(
        _on_team(user, Audit.id),
        _own_organisation(user, Audit.organisation_id),
        _all(_audit_decide(user), Audit.status.in_(DECISION_STATUSES)),
    )


DECISION_STATUSES = (v.AuditStatus.REPORTING, v.AuditStatus.CLOSED)  # a decision waits for the report, or is taken


def _audit_decide(user: User) -> Condition:
    """The provider's admins and lead auditors decide on a certification audit whose team they were not on."""
    if user.organisation_id is not None or user.role not in PLANNER_ROLES:
        return False
    return _all(Audit.audit_type.in_(v.CERTIFICATION_AUDIT_TYPES), _not(_on_team(user, Audit.id)))


def _audit_plan(user: User) -> Condition:
    return is_installation_admin(user) or _any(
        _own_organisation(user, Audit.organisation_id, frozenset({v.Role.ADMIN})),
        _on_team(user, Audit.id, v.TeamRole.LEAD),
    )


def _audit_conduct(user: User) -> Condition:
    return is_installation_admin(user) or _any(
        _own_organisation(user, Audit.organisation_id, frozenset({v.Role.ADMIN})), _on_team(user, Audit.id)
    )


def _audit_see_confidential(user: User) -> Condition:
    return is_installation_admin(user) or _on_team(user, Audit.id)


_audit_work_offline = _audit_see_confidential  # the same people: the team and installation admins


# Cases


def _case_managers(user: User, organisation_id) -> Condition:
    """The organisation's admins and quality managers (and installation admins) manage its cases and reviews."""
    return is_installation_admin(user) or _own_organisation(user, organisation_id, MANAGER_ROLES)


def _case_view(user: User) -> Condition:
    return is_installation_admin(user) or _any(
        _own_organisation(user, Case.organisation_id, CASE_READER_ROLES),
        _on_team(user, Case.audit_id),
        _owns_an_action(user),
    )


def _case_manage(user: User) -> Condition:
    return _case_managers(user, Case.organisation_id)


def _case_review(user: User) -> Condition:
    return is_installation_admin(user) or _any(
        _on_team(user, Case.audit_id), _all(Case.audit_id.is_(None), _case_manage(user))
    )


def _case_verify(user: User) -> Condition:
    return _all(_case_review(user), _not(_owns_an_action(user)))


def _case_implement(user: User) -> Condition:
    return _any(_case_manage(user), _owns_an_action(user))


def _case_close(user: User) -> Condition:
    return _any(_case_manage(user), _case_review(user))


def _action_implement(user: User) -> Condition:
    managed = _case_manage(user)
    in_managed_case = managed if isinstance(managed, bool) else CaseAction.case_id.in_(select(Case.id).where(managed))
    return _any(CaseAction.owner_id == user.id, in_managed_case)


# Management reviews


def _review_view(user: User) -> Condition:
    return is_installation_admin(user) or _own_organisation(user, ManagementReview.organisation_id, REVIEW_READER_ROLES)


def _review_manage(user: User) -> Condition:
    return _case_managers(user, ManagementReview.organisation_id)


# Users and report templates


def _administrators(user: User, organisation_id) -> Condition:
    """Admins manage users and report templates: an installation admin every organisation's and the provider's,
    an organisation's admin its own."""
    return _in_organisation(user, organisation_id, frozenset({v.Role.ADMIN}))


def _template_view(user: User) -> Condition:
    managed = _administrators(user, ReportTemplate.organisation_id)
    return managed if managed is False else _any(managed, ReportTemplate.organisation_id.is_(None))


# Each rule reads only the user's `role`, `id` and `organisation_id`, and compares `id` and `organisation_id` only in
# SQL or with `is None`: permissions() runs them once per kind of user with a stand-in (_Asker) whose id and
# organisation are SQL parameters. A rule that needs more of the user must change _Asker and _question's key.
RULES: dict[type, dict[Can, Callable[[User], Condition]]] = {
    Audit: {
        Can.VIEW: _audit_view,
        Can.PLAN: _audit_plan,
        Can.CONDUCT: _audit_conduct,
        Can.SEE_CONFIDENTIAL: _audit_see_confidential,
        Can.WORK_OFFLINE: _audit_work_offline,
        Can.DECIDE: _audit_decide,
    },
    Case: {
        Can.VIEW: _case_view,
        Can.MANAGE: _case_manage,
        Can.REVIEW: _case_review,
        Can.VERIFY: _case_verify,
        Can.IMPLEMENT: _case_implement,
        Can.CLOSE: _case_close,
    },
    CaseAction: {Can.IMPLEMENT: _action_implement},
    ManagementReview: {Can.VIEW: _review_view, Can.MANAGE: _review_manage},
    Organisation: {
        Can.VIEW: lambda user: _in_organisation(user, Organisation.id),
        Can.MANAGE: lambda user: (
            user.organisation_id is None and user.role in PLANNER_ROLES
        ),  # create organisations, add sites
        Can.PLAN_AUDITS: lambda user: _in_organisation(user, Organisation.id, PLANNER_ROLES),
        Can.OPEN_CASES: lambda user: _case_managers(user, Organisation.id),
        Can.COMPILE_REVIEWS: lambda user: _case_managers(user, Organisation.id),
        Can.MANAGE_USERS: lambda user: _administrators(user, Organisation.id),
        Can.MANAGE_TEMPLATES: lambda user: _administrators(user, Organisation.id),
    },
    User: {
        Can.VIEW: lambda user: _administrators(user, User.organisation_id),  # admins see only the users they manage
        Can.MANAGE: lambda user: _administrators(user, User.organisation_id),  # and an auditor's competence record
        Can.DECLARE: lambda user: _any(_administrators(user, User.organisation_id), User.id == user.id),
    },
    ReportTemplate: {
        Can.VIEW: _template_view,
        Can.MANAGE: lambda user: _administrators(user, ReportTemplate.organisation_id),
    },
}


# Asking the rules


def _sql(condition: Condition) -> ColumnElement[bool]:
    return (true() if condition else false()) if isinstance(condition, bool) else condition


def where(user: User, model: type, can: Can = Can.VIEW) -> ColumnElement[bool]:
    """The WHERE clause for a list: the records of `model` the user may `can`."""
    return _sql(RULES[model][can](user))


def anywhere(user: User, model: type, can: Can) -> bool:
    """Whether the user may `can` some record of `model` at all (checked before a request's body is read)."""
    return RULES[model][can](user) is not False


Row = TypeVar("Row")

_REMEMBERED = "access.permissions"  # the key in Session.info


@dataclass(frozen=True)
class _Asker:
    """A user as the rules see them, with the user's id and organisation as SQL parameters: every user of the same
    role and kind (provider staff or an organisation's) makes the same statement, so it is built once per process."""

    role: str
    id: object
    organisation_id: object


@dataclass(frozen=True)
class _Question:
    """Every rule of one kind of record for one kind of user: what holds for every record, and one statement that
    asks the rest of one row (None when nothing is left to ask)."""

    granted: frozenset[Can]
    asked: tuple[Can, ...]
    statement: Select | None
    loading: Select  # the row itself with the same answers after it, for a loader (`load`)


_questions: dict[tuple[type[Any], str, bool], _Question] = {}


def _question(model: type[Any], user: User) -> _Question:
    key = (model, user.role, user.organisation_id is None)
    question = _questions.get(key)
    if question is None:
        asker = _Asker(
            role=user.role,
            id=bindparam("access_user_id"),
            organisation_id=None if user.organisation_id is None else bindparam("access_organisation_id"),
        )
        conditions = {can: rule(asker) for can, rule in RULES[model].items()}  # type: ignore[arg-type]  # a user's stand-in
        asked = {can: condition for can, condition in conditions.items() if not isinstance(condition, bool)}
        answers = [condition.label(can.value) for can, condition in asked.items()]
        this_row = model.id == bindparam("access_record_id")
        statement = sql_select(*answers).select_from(model).where(this_row) if asked else None
        granted = frozenset(can for can, condition in conditions.items() if condition is True)
        loading = sql_select(model, *answers).where(this_row)
        question = _questions[key] = _Question(granted, tuple(asked), statement, loading)
    return question


@cache
def _only(loading: Select, columns: tuple) -> Select:
    return loading.options(load_only(*columns))


def _parameters(user: User, record_id: object) -> dict[str, object]:
    return {"access_user_id": user.id, "access_organisation_id": user.organisation_id, "access_record_id": record_id}


def _remember(session: Session, user: User, model: type[Any], record_id: object, granted: frozenset[Can]) -> None:
    session.info.setdefault(_REMEMBERED, {})[(model.__name__, record_id, user.id)] = granted


def permissions(*, session: Session, user: User, record) -> frozenset[Can]:
    """Everything `user` may do with `record`: each rule of its kind run for this one row, in one query. The answer is
    remembered in the session until it flushes or its transaction ends (a request asks it two or three times: its
    loader, its service), and asked afresh while a change is pending, since a rule may read what it changes."""
    model = type(record)
    remembered = session.info.get(_REMEMBERED, {})
    key = (model.__name__, record.id, user.id)
    if key in remembered and not (session.new or session.deleted or session.dirty):
        return remembered[key]
    question = _question(model, user)
    granted = question.granted
    if question.statement is not None:
        row = session.execute(question.statement, _parameters(user, record.id)).first()
        granted |= {can for can, value in zip(question.asked, row or (), strict=False) if value}
    _remember(session, user, model, record.id, granted)
    return granted


def load(
    *, session: Session, user: User, model: type[Row], record_id: int, can: Can, missing: str, columns: tuple = ()
) -> Row:
    """The record of `model` with this id, if `user` may `can` it: NotFound (`missing`) if it does not exist or is
    invisible to them, Forbidden if visible but this is not allowed. The row and everything the user may do with it
    come in one query (a loader's work on every request), and the answer is remembered as `permissions` remembers it.
    `columns`: only these of the record's columns are read now, the others when first used (for the route called
    most, which needs little of a wide record)."""
    question = _question(model, user)
    statement = _only(question.loading, columns) if columns else question.loading
    found = session.execute(statement, _parameters(user, record_id)).first()
    if found is None:
        raise NotFound(missing)
    record, *answers = found
    granted = question.granted | {can for can, value in zip(question.asked, answers, strict=True) if value}
    _remember(session, user, model, record.id, granted)
    require(session=session, user=user, record=record, can=can, missing=missing)
    return record


@event.listens_for(OrmSession, "after_flush")
@event.listens_for(OrmSession, "after_transaction_end")
def _forget_permissions(session: OrmSession, *_args) -> None:
    session.info.pop(_REMEMBERED, None)


def allows(*, session: Session, user: User, record, can: Can) -> bool:
    return can in permissions(session=session, user=user, record=record)


def allows_in(*, session: Session, user: User, can: Can, organisation_id: int | None) -> bool:
    """Whether the user may `can` in this organisation (None: the provider's own, only for those allowed in every
    organisation). Whether the organisation exists is the caller's question."""
    condition = RULES[Organisation][can](user)
    if isinstance(condition, bool) or organisation_id is None:
        return condition is True
    organisation = session.get(Organisation, organisation_id)
    return organisation is not None and allows(session=session, user=user, record=organisation, can=can)


def require(*, session: Session, user: User, record, can: Can, missing: str = N_("Not found")) -> None:
    """NotFound (`missing`) if the record is invisible to the user, Forbidden if visible but this is not allowed."""
    granted = permissions(session=session, user=user, record=record)
    if Can.VIEW in RULES[type(record)] and Can.VIEW not in granted:
        raise NotFound(missing)
    if can not in granted:
        raise Forbidden(N_("Your role does not allow this."))


def require_anywhere(user: User, model: type, can: Can) -> None:
    if not anywhere(user, model, can):
        raise Forbidden(N_("Your role does not allow this."))


# Audits, as the loaders and services ask


def audit_permissions(*, session: Session, user: User, audit: Audit) -> frozenset[Can]:
    """Everything `user` may do with `audit`; empty means the audit is invisible to them."""
    return permissions(session=session, user=user, record=audit)


def sees_confidential(*, session: Session, user: User | None, audit: Audit) -> bool:
    """Whether confidential evidence and photos of this audit, and every field of their history, are shown: never
    without a user (a report or an export), otherwise only to the audit team and installation admins."""
    return user is not None and allows(session=session, user=user, record=audit, can=Can.SEE_CONFIDENTIAL)


def offline_by_default(*, session: Session, user: User, audit: Audit) -> bool:
    """Whether field mode stores the audit on the user's tablet without being asked: for its team while it is in progress."""
    return (
        audit.status == v.AuditStatus.IN_PROGRESS
        and not is_installation_admin(user)
        and Can.WORK_OFFLINE in permissions(session=session, user=user, record=audit)
    )


def require_audit(*, session: Session, user: User, audit: Audit, can: Can) -> None:
    require(session=session, user=user, record=audit, can=can, missing=N_("No audit with this id."))


def require_decider(*, session: Session, user: User, audit: Audit) -> None:
    """Decide on certification after this audit: refused with its reason to a member of its team, whatever their
    role (the decision is independent of the audit, ISO/IEC 17021-1 9.5.1.2)."""
    granted = audit_permissions(session=session, user=user, audit=audit)
    if Can.VIEW not in granted:
        raise NotFound(N_("No audit with this id."))
    if Can.DECIDE in granted:
        return
    on_team = session.get(AuditMember, (audit.id, user.id)) is not None
    if on_team:
        raise Forbidden(
            N_("You were on this audit's team: someone who was not on it must review it and decide on certification.")
        )
    if audit.audit_type not in v.CERTIFICATION_AUDIT_TYPES:
        raise Forbidden(N_("Only a certification audit is followed by a certification decision."))
    raise Forbidden(N_("Only the certification body's administrators and lead auditors decide on certification."))


def require_planner(*, session: Session, user: User, organisation_id: int | None = None) -> None:
    """Plan an audit (of this organisation): admins and lead auditors, members only for their own."""
    require_anywhere(user, Organisation, Can.PLAN_AUDITS)
    if organisation_id is not None and not allows_in(
        session=session, user=user, can=Can.PLAN_AUDITS, organisation_id=organisation_id
    ):
        raise Forbidden(N_("You can only plan audits of your own organisation."))


# Organisations, users and templates


def require_user_manager(*, session: Session, user: User, organisation_id: int | None) -> None:
    """Admins manage users; an organisation's admin only its own organisation's."""
    if not anywhere(user, Organisation, Can.MANAGE_USERS):
        raise Forbidden(N_("Only an administrator can manage users."))
    if not allows_in(session=session, user=user, can=Can.MANAGE_USERS, organisation_id=organisation_id):
        raise Forbidden(N_("You can only manage users of your own organisation."))


def require_template_manager(*, session: Session, user: User, organisation_id: int | None) -> None:
    """Report templates: an installation admin manages the provider's (the certification body's) and any
    organisation's; an organisation's admin only its own."""
    if not anywhere(user, Organisation, Can.MANAGE_TEMPLATES):
        raise Forbidden(N_("Only an administrator can manage report templates."))
    if not allows_in(session=session, user=user, can=Can.MANAGE_TEMPLATES, organisation_id=organisation_id):
        raise Forbidden(N_("You can only manage your own organisation's report templates."))


def manages_body_logo(*, session: Session, user: User) -> bool:
    """The certification body's logo is the provider's: whoever manages the provider's report templates."""
    return allows_in(session=session, user=user, can=Can.MANAGE_TEMPLATES, organisation_id=None)


def require_body_logo_manager(*, session: Session, user: User) -> None:
    if not manages_body_logo(session=session, user=user):
        raise Forbidden(N_("Only an installation administrator can change the certification body's logo."))


# Auditors' competence and impartiality


def require_auditor_record(*, session: Session, user: User, auditor: User) -> frozenset[Can]:
    """What `user` may do with an auditor's competence record and declarations: NotFound unless they manage the
    auditor's account or are the auditor."""
    granted = permissions(session=session, user=user, record=auditor)
    if not has_auditor_record(auditor) or not granted & {Can.VIEW, Can.DECLARE}:
        raise NotFound(N_("No auditor with this id."))
    return granted


def has_auditor_record(user: User) -> bool:
    """Whether the user has a competence record and declarations of their own (lead auditors and auditors)."""
    return user.role in v.AUDITOR_ROLES


def may_override_team_checks(user: User) -> bool:
    """Whether the user may set an audit team that fails the competence or impartiality check (with a reason): the
    installation's admins, never an organisation's own admin, who could otherwise wave through its own auditor."""
    return is_installation_admin(user)


@dataclass(frozen=True)
class Menu:
    """Which parts of the app the top bar offers the user."""

    management_reviews: bool
    users: bool
    report_templates: bool
    reminders: bool


def menu(user: User) -> Menu:
    return Menu(
        anywhere(user, Organisation, Can.COMPILE_REVIEWS),
        anywhere(user, Organisation, Can.MANAGE_USERS),
        anywhere(user, Organisation, Can.MANAGE_TEMPLATES),
        is_installation_admin(user),
    )


def require_reminder_reader(user: User) -> None:
    if not is_installation_admin(user):
        raise Forbidden(N_("Only an installation admin can see the reminders sent."))


def require_metrics_reader(*, address: str | None, allowed: str) -> None:
    """The metrics are for the installation's monitoring, not its users: only the configured addresses
    (comma-separated addresses and networks, `*` for any) may read them, without logging in."""
    try:
        client = ipaddress.ip_address(address or "")
        client = (
            getattr(client, "ipv4_mapped", None) or client
        )  # a dual-stack socket shows IPv4 clients as ::ffff:a.b.c.d
    except ValueError:
        client = None
    for part in (p.strip() for p in allowed.split(",")):
        if part == "*" or (client is not None and part and client in ipaddress.ip_network(part, strict=False)):
            return
    raise Forbidden(N_("The metrics are not served to this address."))
