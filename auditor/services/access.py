"""Who may see and do what: every authorization rule lives here, and the services call it.

- An installation admin (no organisation) sees and does everything.
- An organisation's admin sees and does everything within that organisation.
- Lead auditors and auditors see the audits whose team they are on; a lead auditor plans audits
  (provider staff for any organisation, a member only for their own organisation).
- Quality managers, action owners and viewers see their own organisation's audits, read only.
- Confidential evidence: only the audit team and installation admins.
- Keeping an audit on a device for work without network (its offline copy): only the audit team and installation
  admins, not an organisation's admin who may conduct it from the office.
Someone who may not see a thing gets "not found", so nobody learns that it exists.
"""

from __future__ import annotations

import ipaddress
from enum import StrEnum

from sqlalchemy import ColumnElement, event, false, or_, true
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import select
from sqlmodel import Session

from auditor import vocabulary as v
from auditor.errors import Forbidden, NotFound
from auditor.i18n import N_
from auditor.models import Audit, AuditMember, Organisation, User


class Can(StrEnum):
    VIEW = "view"
    PLAN = "plan"  # change the audit's facts, plan, team and status
    CONDUCT = "conduct"  # answers, evidence, findings
    SEE_CONFIDENTIAL = "see_confidential"
    WORK_OFFLINE = "work_offline"  # keep the audit's offline copy on a tablet (field mode)


def is_installation_admin(user: User) -> bool:
    return user.role == v.Role.ADMIN and user.organisation_id is None


_TEAM_ROLES = "access.team_roles"  # the key in Session.info


def team_role(*, session: Session, user: User, audit: Audit) -> str | None:
    """The user's role on the audit's team, read once per transaction: a request checks access in its loader and
    again in the service. Any pending or flushed change may touch the team, so then it is read afresh."""
    remembered = session.info.setdefault(_TEAM_ROLES, {})
    key = (audit.id, user.id)
    if key not in remembered or session.new or session.deleted or session.dirty:
        remembered[key] = session.exec(select(AuditMember.role).where(AuditMember.audit_id == audit.id, AuditMember.user_id == user.id)).first()
    return remembered[key]


@event.listens_for(OrmSession, "after_flush")
@event.listens_for(OrmSession, "after_transaction_end")
def _forget_team_roles(session: OrmSession, *_args) -> None:
    session.info.pop(_TEAM_ROLES, None)


def audit_permissions(*, session: Session, user: User, audit: Audit) -> frozenset[Can]:
    """Everything `user` may do with `audit`; empty means the audit is invisible to them."""
    if is_installation_admin(user):
        return frozenset(Can)
    own_organisation = user.organisation_id == audit.organisation_id
    if user.role == v.Role.ADMIN and own_organisation:
        return frozenset({Can.VIEW, Can.PLAN, Can.CONDUCT})
    role = team_role(session=session, user=user, audit=audit)
    if role == v.TeamRole.LEAD:
        return frozenset(Can)
    if role == v.TeamRole.AUDITOR:
        return frozenset({Can.VIEW, Can.CONDUCT, Can.SEE_CONFIDENTIAL, Can.WORK_OFFLINE})
    if own_organisation:
        return frozenset({Can.VIEW})
    return frozenset()


def sees_confidential(*, session: Session, user: User | None, audit: Audit) -> bool:
    """Whether confidential evidence and photos of this audit are shown: never without a user (a report or an
    export), otherwise only to the audit team and installation admins."""
    return user is not None and Can.SEE_CONFIDENTIAL in audit_permissions(session=session, user=user, audit=audit)


def offline_by_default(*, session: Session, user: User, audit: Audit) -> bool:
    """Whether field mode stores the audit on the user's tablet without being asked: for its team while it is in progress."""
    return audit.status == v.AuditStatus.IN_PROGRESS and team_role(session=session, user=user, audit=audit) is not None


def require(*, session: Session, user: User, audit: Audit, can: Can) -> None:
    """NotFound if the audit is invisible to the user, Forbidden if visible but this is not allowed."""
    permissions = audit_permissions(session=session, user=user, audit=audit)
    if Can.VIEW not in permissions:
        raise NotFound(N_("No audit with this id."))
    if can not in permissions:
        raise Forbidden(N_("Your role does not allow this."))


def visible_audits(user: User) -> ColumnElement[bool]:
    """A WHERE clause for the audits a user may see (the same rules as audit_permissions)."""
    if is_installation_admin(user):
        return true()
    on_team = Audit.id.in_(select(AuditMember.audit_id).where(AuditMember.user_id == user.id))
    own = Audit.organisation_id == user.organisation_id if user.organisation_id is not None else false()
    return or_(on_team, own)


def visible_organisations(user: User) -> ColumnElement[bool]:
    """Provider staff see every organisation (to plan audits); members see their own."""
    if user.organisation_id is None:
        return true()
    return Organisation.id == user.organisation_id


def require_organisation(*, user: User, organisation: Organisation) -> None:
    if user.organisation_id is not None and user.organisation_id != organisation.id:
        raise NotFound(N_("No organisation with this id."))


def can_plan_audits(user: User) -> bool:
    return user.role in {v.Role.ADMIN, v.Role.LEAD_AUDITOR}


def require_planner(*, user: User, organisation_id: int | None = None) -> None:
    """Plan an audit (for this organisation): admins and lead auditors, members only for their own."""
    if not can_plan_audits(user):
        raise Forbidden(N_("Your role does not allow this."))
    if organisation_id is not None and user.organisation_id is not None and user.organisation_id != organisation_id:
        raise Forbidden(N_("You can only plan audits of your own organisation."))


def can_manage_organisations(user: User) -> bool:
    return user.organisation_id is None and user.role in {v.Role.ADMIN, v.Role.LEAD_AUDITOR}


def require_organisation_manager(user: User) -> None:
    if not can_manage_organisations(user):
        raise Forbidden(N_("Your role does not allow this."))


def require_user_manager(*, user: User, organisation_id: int | None) -> None:
    """Admins manage users; an organisation's admin only its own organisation's users."""
    if user.role != v.Role.ADMIN:
        raise Forbidden(N_("Only an administrator can manage users."))
    if user.organisation_id is not None and user.organisation_id != organisation_id:
        raise Forbidden(N_("You can only manage users of your own organisation."))


def require_template_manager(*, user: User, organisation_id: int | None) -> None:
    """Report templates: an installation admin manages the provider's (the certification body's) and any
    organisation's; an organisation's admin only its own."""
    if user.role != v.Role.ADMIN:
        raise Forbidden(N_("Only an administrator can manage report templates."))
    if user.organisation_id is not None and user.organisation_id != organisation_id:
        raise Forbidden(N_("You can only manage your own organisation's report templates."))


def require_metrics_reader(*, address: str | None, allowed: str) -> None:
    """The metrics are for the installation's monitoring, not its users: only the configured addresses
    (comma-separated addresses and networks, `*` for any) may read them, without logging in."""
    try:
        client = ipaddress.ip_address(address or "")
        client = getattr(client, "ipv4_mapped", None) or client  # a dual-stack socket shows IPv4 clients as ::ffff:a.b.c.d
    except ValueError:
        client = None
    for part in (p.strip() for p in allowed.split(",")):
        if part == "*" or (client is not None and part and client in ipaddress.ip_network(part, strict=False)):
            return
    raise Forbidden(N_("The metrics are not served to this address."))
