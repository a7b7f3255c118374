"""Auditors' competence and impartiality: their records, and the check when an audit's team is set.

The check (ISO/IEC 17021-1 5.2 and 7.1; BRIEF 3.5): the lead auditor of an audit for a Danish recognised certificate
has passed the BEK 1407 course or is exempted from it; no one on the team has declared a tie to the audited
organisation that lasted into the two years before the audit (the two years 17021-1 asks after consultancy, applied
to every tie). A team that fails is refused with the reason, unless an installation admin sets it with a reason of
their own (access.may_override_team_checks), which the audit keeps and the trail records; it stands until the team
changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from auditor import vocabulary as v
from auditor.errors import Forbidden, Invalid, NotFound
from auditor.i18n import N_
from auditor.models import Audit, AuditorCompetence, ImpartialityDeclaration, Organisation, User, utcnow
from auditor.paging import Page, PageRequest, page_of
from auditor.schemas import CompetenceIn, DeclarationIn
from auditor.services import access, trail

LOOKBACK_YEARS = 2  # a tie that ended longer ago than this before the audit no longer blocks


@dataclass(frozen=True)
class Problem:
    """One reason the check refuses a team: an English msgid with its parameters, and the form field it concerns."""

    message: str
    field: str
    params: dict

    def english(self) -> str:
        return self.message.format(**{k: ", ".join(x) if isinstance(x, list) else x for k, x in self.params.items()})


# Records


def get_auditor(
    *, session: Session, actor: User, auditor_id: int, can: access.Can | None = None
) -> tuple[User, frozenset[access.Can]]:
    """The auditor, and what the actor may do with their record; NotFound for anyone else, Forbidden for one who sees
    the record but may not `can` with it."""
    auditor = session.get(User, auditor_id)
    if auditor is None:
        raise NotFound(N_("No auditor with this id."))
    granted = access.require_auditor_record(session=session, user=actor, auditor=auditor)
    if can is not None and can not in granted:
        raise Forbidden(N_("Your role does not allow this."))
    return auditor, granted


def _require(*, session: Session, actor: User, auditor: User, can: access.Can) -> None:
    """NotFound unless the actor may see the auditor's record, Forbidden unless they may also do this with it."""
    get_auditor(session=session, actor=actor, auditor_id=auditor.id, can=can)


def auditors_query(*, actor: User) -> Select:
    """The active auditors whose accounts the actor manages, by name, each with their competence record (or None)."""
    return (
        select(User, AuditorCompetence)
        .join(AuditorCompetence, col(AuditorCompetence.user_id) == User.id, isouter=True)
        .where(User.is_active, col(User.role).in_(v.AUDITOR_ROLES), access.where(actor, User))
        .order_by(User.name, User.id)
    )


def list_auditors(
    *, session: Session, actor: User, page: PageRequest | None = None
) -> Page[tuple[User, AuditorCompetence | None]]:
    """The active auditors whose accounts the actor manages, each with their competence record; one page of them, or
    all without `page`."""
    return page_of(session, auditors_query(actor=actor), page)


def competence_of(*, session: Session, auditor_id: int) -> AuditorCompetence | None:
    return session.get(AuditorCompetence, auditor_id)


def update_competence(*, session: Session, actor: User, auditor: User, data: CompetenceIn) -> AuditorCompetence:
    """Replace the auditor's competence record (admins who manage the auditor's account)."""
    _require(session=session, actor=actor, auditor=auditor, can=access.Can.MANAGE)
    record = session.get(AuditorCompetence, auditor.id) or AuditorCompetence(user_id=auditor.id)
    before = (
        trail.snapshot("competence", record) if record.bek1407 or record.technical_areas or record.languages else None
    )
    record.bek1407 = data.bek1407 or ""
    record.bek1407_date = data.bek1407_date if data.bek1407 else None
    record.technical_areas = list(dict.fromkeys(data.technical_areas))
    record.languages = list(dict.fromkeys(data.languages))
    record.updated_at = utcnow()
    session.add(record)
    trail.record(
        session=session,
        actor=actor,
        action="update",
        entity="competence",
        entity_id=auditor.id,
        before=before,
        after=trail.snapshot("competence", record),
    )
    return record


def declarations_query(*, auditor_id: int) -> Select:
    """The auditor's declarations with the organisation's name: those that still hold first, then by end, the most
    recent first."""
    return (
        select(ImpartialityDeclaration, Organisation.name)
        .join(Organisation, col(Organisation.id) == ImpartialityDeclaration.organisation_id)
        .where(ImpartialityDeclaration.user_id == auditor_id)
        .order_by(
            col(ImpartialityDeclaration.ends_on).is_not(None),
            col(ImpartialityDeclaration.ends_on).desc(),
            col(ImpartialityDeclaration.id).desc(),
        )
    )


def declarations_of(*, session: Session, auditor_id: int) -> list[tuple[ImpartialityDeclaration, str]]:
    return list(session.exec(declarations_query(auditor_id=auditor_id)).all())


def add_declaration(*, session: Session, actor: User, auditor: User, data: DeclarationIn) -> ImpartialityDeclaration:
    """Record a tie the auditor declares (the auditor, or an admin who manages their account)."""
    _require(session=session, actor=actor, auditor=auditor, can=access.Can.DECLARE)
    if session.get(Organisation, data.organisation_id) is None:
        raise Invalid("There is no organisation with id {id}.", field="organisation_id", id=data.organisation_id)
    declaration = ImpartialityDeclaration(user_id=auditor.id, **data.model_dump())
    session.add(declaration)
    session.flush()
    trail.record(
        session=session,
        actor=actor,
        action="create",
        entity="declaration",
        entity_id=declaration.id,
        after=trail.snapshot("declaration", declaration),
    )
    return declaration


def delete_declaration(*, session: Session, actor: User, auditor: User, declaration_id: int) -> None:
    """Withdraw a declaration made in error (the trail keeps it)."""
    _require(session=session, actor=actor, auditor=auditor, can=access.Can.DECLARE)
    declaration = session.get(ImpartialityDeclaration, declaration_id)
    if declaration is None or declaration.user_id != auditor.id:
        raise NotFound(N_("No declaration with this id."))
    trail.record(
        session=session,
        actor=actor,
        action="delete",
        entity="declaration",
        entity_id=declaration.id,
        before=trail.snapshot("declaration", declaration),
    )
    session.delete(declaration)


# The check


def _lookback(day: date) -> date:
    try:
        return day.replace(year=day.year - LOOKBACK_YEARS)
    except ValueError:  # 29 February
        return day.replace(year=day.year - LOOKBACK_YEARS, day=28)


def team_problems(*, session: Session, audit: Audit, team: list[tuple[User, str]]) -> list[Problem]:
    """Why this team may not audit `audit` (its organisation, dates and certificate as they are now); [] if it may."""
    problems = []
    lead = next((user for user, role in team if role == v.TeamRole.LEAD), None)
    if audit.dk_certificate and lead is not None:
        competence = session.get(AuditorCompetence, lead.id)
        if competence is None or not competence.bek1407:
            problems.append(
                Problem(
                    N_(
                        "{name} has neither passed the BEK 1407 course nor been exempted from it, so cannot lead an "
                        "audit for a Danish recognised certificate."
                    ),
                    "lead_auditor_id",
                    {"name": lead.name},
                )
            )
    members = {user.id: (user, role) for user, role in team}
    if members:
        ties = session.exec(
            select(ImpartialityDeclaration, Organisation.name)
            .join(Organisation, col(Organisation.id) == ImpartialityDeclaration.organisation_id)
            .where(
                ImpartialityDeclaration.organisation_id == audit.organisation_id,
                col(ImpartialityDeclaration.user_id).in_(members),
                col(ImpartialityDeclaration.ends_on).is_(None)
                | (col(ImpartialityDeclaration.ends_on) >= _lookback(audit.start_date)),
                col(ImpartialityDeclaration.starts_on).is_(None)
                | (col(ImpartialityDeclaration.starts_on) <= audit.end_date),
            )
            .order_by(ImpartialityDeclaration.id)
        ).all()
        for tie, organisation in ties:
            user, role = members[tie.user_id]
            problems.append(
                Problem(
                    N_("{name} declared a tie to {organisation}: {kind} ({period})."),
                    "lead_auditor_id" if role == v.TeamRole.LEAD else "team_ids",
                    {
                        "name": user.name,
                        "organisation": organisation,
                        "kind": [v.CONFLICT_KINDS[tie.kind].label],
                        "period": f"{tie.starts_on or '…'} – {tie.ends_on or '…'}",
                    },
                )
            )
    return problems


def check_team(
    *,
    session: Session,
    actor: User,
    audit: Audit,
    team: list[tuple[User, str]],
    override_reason: str,
    team_changed: bool,
) -> list[Problem]:
    """Refuse a team that fails the check (Invalid, with the first reason), unless an installation admin gives a reason
    to set it anyway, or an earlier override stands (the team has not changed). Returns the problems overridden now
    (the caller records them with `record_override` once the audit has an id)."""
    problems = team_problems(session=session, audit=audit, team=team)
    if not problems:
        audit.team_override_reason = ""
        return []
    if override_reason:
        if not access.may_override_team_checks(actor):
            raise Forbidden(N_("Only an installation admin can override the team check."))
        audit.team_override_reason = override_reason
        return problems
    if audit.team_override_reason and not team_changed:
        return []
    first = problems[0]
    raise Invalid(first.message, field=first.field, **first.params)


def record_override(*, session: Session, actor: User, audit: Audit, problems: list[Problem]) -> None:
    if problems:
        trail.record(
            session=session,
            actor=actor,
            action="override",
            entity="team",
            entity_id=audit.id,
            audit_id=audit.id,
            after={"problems": [p.english() for p in problems], "reason": audit.team_override_reason},
        )
