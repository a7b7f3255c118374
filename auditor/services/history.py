"""Histories as their viewers may see them (the trail itself is in services/trail.py).

Every history and export is read here, and each applies the one rule on confidential entries
(access.sees_confidential): for anyone outside the audit team every field of a confidential evidence or photo
entry is blanked, and an export never carries one, whoever asks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlmodel import Session, or_, select

from auditor import vocabulary as v
from auditor.i18n import N_, REPORT_TIME_ZONE, format_day, translate
from auditor.models import Audit, AuditEvent, Case, CaseAction, Organisation, User
from auditor.paging import Page, PageRequest, page_of
from auditor.reports import cells
from auditor.services import access, trail


def _shown(events: list[AuditEvent], see_confidential: bool) -> list[AuditEvent]:
    return events if see_confidential else [trail.redacted(event) if event.confidential else event for event in events]


def audit_history(
    *,
    session: Session,
    actor: User,
    audit: Audit,
    entity: str | None = None,
    entity_id: str | None = None,
    page: PageRequest | None = None,
    newest_first: bool = False,
) -> Page[AuditEvent]:
    """The audit's events, oldest (or newest) first: all of them, or one entity's; one page of them with `page`."""
    access.require_audit(session=session, user=actor, audit=audit, can=access.Can.VIEW)
    query = trail.history_query(audit_id=audit.id, entity=entity, entity_id=entity_id, newest_first=newest_first)
    found = page_of(session, query, page)
    return found.with_items(_shown(found.items, access.sees_confidential(session=session, user=actor, audit=audit)))


def audit_history_csv(*, session: Session, actor: User, audit: Audit, locale: str) -> tuple[str, str]:
    """(file name, CSV text) of the audit's trail, one row per changed field, in `locale`'s words (shown). An export
    never carries confidential content, whoever asks."""
    access.require_audit(session=session, user=actor, audit=audit, can=access.Can.VIEW)
    events = trail.history(session=session, audit_id=audit.id)
    visible = _shown(events, access.sees_confidential(session=session, user=None, audit=audit))
    header = [translate(label, locale) for label in CSV_HEADER]
    rows = [
        [_local(event.at), event.actor, event.record, event.action, change.field, change.before, change.after]
        for event in shown(session=session, events=visible, locale=locale)
        for change in event.changes or [ChangeShown("", "", "")]
    ]
    return f"audit-{audit.id}-history.csv", cells.as_csv([header, *rows])


def _local(moment: datetime) -> str:
    """A moment as Danish clocks showed it, sortable as text (2026-11-27 09:58:20)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(REPORT_TIME_ZONE).strftime("%Y-%m-%d %H:%M:%S")


CSV_HEADER = (N_("When"), N_("Who"), N_("What"), N_("Change"), N_("Field"), N_("Before"), N_("After"))


def case_history(*, session: Session, actor: User, case: Case, page: PageRequest | None = None) -> Page[AuditEvent]:
    """Every change to a case and its actions, oldest first; one page of them with `page` (the caller has checked
    the actor may see the case)."""
    action_ids = [str(i) for i in session.exec(select(CaseAction.id).where(CaseAction.case_id == case.id))]
    query = (
        select(AuditEvent)
        .where(
            or_(
                (AuditEvent.entity == "case") & (AuditEvent.entity_id == str(case.id)),
                (AuditEvent.entity == "case_action") & (AuditEvent.entity_id.in_(action_ids)),
            )
        )
        .order_by(AuditEvent.id)
    )
    audit = session.get(Audit, case.audit_id) if case.audit_id is not None else None
    found = page_of(session, query, page)
    return found.with_items(
        _shown(found.items, audit is not None and access.sees_confidential(session=session, user=actor, audit=audit))
    )


# Histories as people read them: labels and values in the reader's language, never field names or Python values.

FIELD_LABELS = {
    "title": N_("Title"),
    "audit_type": N_("Audit type"),
    "organisation_id": N_("Organisation"),
    "scope": N_("Audit scope"),
    "objectives": N_("Audit objectives"),
    "criteria": N_("Audit criteria"),
    "start_date": N_("Start date"),
    "end_date": N_("End date"),
    "report_language": N_("Report language"),
    "status": N_("Status"),
    "report_version": N_("Report version"),
    "summary": N_("Summary"),
    "conclusion": N_("Conclusion"),
    "recommendation": N_("Recommendation"),
    "plan_deviations": N_("Deviations from the audit plan"),
    "auditee_representative": N_("Auditee representative"),
    "dk_certificate": N_("Danish recognised OH&S certificate"),
    "bek1407_auditor_id": N_("Auditor trained under BEK 1407"),
    "material_hours": N_("Hours on the material work environment"),
    "significant_problems": N_("Significant work environment problems"),
    "day": N_("Date"),
    "start_time": N_("From"),
    "end_time": N_("To"),
    "kind": N_("Kind"),
    "activity": N_("Activity"),
    "auditor": N_("Auditor"),
    "auditee_role": N_("Auditee"),
    "user_id": N_("User"),
    "role": N_("Role"),
    "item_id": N_("Checklist item"),
    "verdict": N_("Verdict"),
    "note": N_("Note"),
    "version": N_("Answer version"),
    "method": N_("Method"),
    "interviewee_role": N_("Interviewee role"),
    "interviewee_count": N_("Number of interviewees"),
    "reference": N_("Source reference"),
    "confidential": N_("Confidential"),
    "number": N_("Finding number"),
    "clauses": N_("Clauses"),
    "requirement": N_("Requirement"),
    "statement": N_("Statement"),
    "evidence": N_("Audit evidence"),
    "tags": N_("Tags"),
    "email": N_("E-mail"),
    "name": N_("Name"),
    "is_active": N_("Active"),
    "grade": N_("Grade"),
    "correction": N_("Correction"),
    "root_cause_method": N_("Root cause method"),
    "root_cause": N_("Root cause"),
    "plan_return_reason": N_("Why the plan was returned"),
    "individual_measures_only": N_("Individual measures only"),
    "verification_method": N_("How effectiveness was verified"),
    "verified_on": N_("Verified on"),
    "verification_result": N_("Verification result"),
    "verify_in_audit_id": N_("Verify in audit"),
    "finding_id": N_("Finding"),
    "caption": N_("Caption"),
    "width": N_("Width (pixels)"),
    "height": N_("Height (pixels)"),
    "sha256": N_("File fingerprint (SHA-256)"),
    "description": N_("Action"),
    "owner_id": N_("Owner"),
    "due_date": N_("Due date"),
    "prevention_level": N_("Prevention level"),
    "implementation_note": N_("How it was implemented"),
    "language": N_("Language"),
    "filename": N_("File name"),
    "file": N_("File name"),
    "size": N_("Size (bytes)"),
    "content_type": N_("File type"),
    "period_start": N_("Period from"),
    "period_end": N_("Period to"),
    "manual": N_("Written by management"),
    "review_id": N_("Management review"),
    "text": N_("Decision"),
    "case_id": N_("Case"),
    # The audit report's facts (ISO/IEC 17021-1 9.4.8) and production units
    "accompanying": N_("Accompanying persons"),
    "combination": N_("Combined, joint or integrated audit"),
    "significant_changes": N_("Significant changes since the last audit"),
    "programme_issues": N_("Significant issues affecting the audit programme"),
    "unresolved_issues": N_("Unresolved issues and diverging opinions"),
    "marks_control": N_("Control of certificates and marks"),
    "certificate_number": N_("Certificate number"),
    "certificate_expiry": N_("Certificate expires"),
    "next_audit_date": N_("Date of the next audit"),
    "statements": N_("The team's statements"),
    "stage1_readiness": N_("Readiness for stage 2"),
    "md5_days": N_("Planned audit days (IAF MD 5)"),
    "actual_days": N_("Actual audit days"),
    "psychosocial_hours": N_("Hours on the psychosocial work environment"),
    "list_not_audited": N_("List the items not audited"),
    "personnel_full_time": N_("Full-time personnel, every shift"),
    "personnel_part_time_fte": N_("Part-time personnel, as full-time equivalents"),
    "personnel_temporary": N_("Temporary, seasonal and contracted personnel"),
    "ohs_risk": N_("OH&S risk category"),
    "time_adjustments": N_("Adjustments of the audit time"),
    # An auditor's competence and declarations, and a team check overridden
    "bek1407": N_("BEK 1407"),
    "bek1407_date": N_("BEK 1407 since"),
    "technical_areas": N_("Technical areas"),
    "languages": N_("Languages"),
    "starts_on": N_("From"),
    "ends_on": N_("Until"),
    "problems": N_("What the check refused"),
    "reason": N_("Reason"),
    "team_override_reason": N_("Why the team check was overridden"),
    "central": N_("Central function"),
    "visit_reason": N_("Why the unit is visited"),
    "must_visit": N_("Must be visited"),
    "seed": N_("Seed"),
    "candidates": N_("Drawn from"),
    "count": N_("Number drawn"),
    "drawn": N_("Drawn at random"),
    "site_id": N_("Production unit"),
    "site_ids": N_("Production units"),
    "remote": N_("Remote"),
    # The certification decision and the audit programme
    "outcome": N_("Decision"),
    "decided_on": N_("Decided on"),
    "reasons": N_("Reasons"),
    "decided_by_id": N_("Decided by"),
    "review": N_("Technical review"),
    "reviewed_by_id": N_("Reviewed by"),
    "reviewed_on": N_("Reviewed on"),
    "checklists": N_("Checklists"),
    "cycle_start": N_("Cycle starts"),
    "cycle_months": N_("Cycle length (months)"),
    "audits_per_cycle": N_("Audits per cycle"),
    # A carried-over case verified on site
    "checked": N_("What was verified on site"),
    "result": N_("Result"),
    "verified_by_id": N_("Verified by"),
    # ISO 45001 10.2 on a case
    "correction_not_applicable": N_("No correction applies"),
    "investigation_participants": N_("Who took part in the investigation"),
    "participation_note": N_("How they took part"),
    "extent": N_("Exists or could occur elsewhere"),
    "apv_reviewed": N_("APV / risk assessment reviewed"),
    "apv_reference": N_("Which APV / risk assessment"),
    "new_hazards_assessed": N_("New hazards assessed before acting"),
    "new_hazards": N_("New hazards"),
    "system_changes": N_("Changes to the management system"),
    "communicated_on": N_("Communicated on"),
    "communication": N_("Communication to workers and their representatives"),
    # The management review's record
    "meeting_date": N_("Meeting date"),
    "participants": N_("Participants"),
    "monitoring": N_("Monitoring and measurement"),
    "compliance": N_("Evaluation of compliance"),
    "approved_by": N_("Approved by"),
    "approved_on": N_("Approved on"),
    "withdrawn_on": N_("Approval withdrawn on"),
    "withdrawal_reason": N_("Why the approval was withdrawn"),
}
# Fields whose values are a vocabulary's: by (record kind, field) where kinds differ, else by field.
CHOICES = {
    (v.TrailEntity.AUDIT, "status"): v.AUDIT_STATUSES,
    (v.TrailEntity.CASE, "status"): v.CASE_STATUSES,
    (v.TrailEntity.CASE_ACTION, "status"): v.ACTION_STATUSES,
    (v.TrailEntity.FINDING, "kind"): v.FINDING_KINDS,
    (v.TrailEntity.PLAN_ENTRY, "kind"): v.PLAN_KINDS,
    (v.TrailEntity.REPORT_TEMPLATE, "kind"): v.REPORT_KINDS,
    (v.TrailEntity.USER, "role"): v.ROLES,
    (v.TrailEntity.TEAM, "role"): v.TEAM_ROLES,
    (v.TrailEntity.PROGRAMME, "kind"): v.PROGRAMME_KINDS,
    "outcome": v.DECISION_OUTCOMES,
    "audit_type": v.AUDIT_TYPES,
    "report_language": v.LANGUAGES,
    "language": v.LANGUAGES,
    "recommendation": v.RECOMMENDATIONS,
    "verdict": v.ANSWERS,
    "method": v.EVIDENCE_METHODS,
    "interviewee_role": v.ACTORS,
    "grade": v.FINDING_KINDS,
    "root_cause_method": v.ROOT_CAUSE_METHODS,
    "verification_result": v.VERIFICATION_RESULTS,
    "prevention_level": v.PREVENTION_LEVELS,
    "combination": v.AUDIT_COMBINATIONS,
    "stage1_readiness": v.STAGE1_READINESS,
    "result": v.FOLLOW_UP_RESULTS,
    "ohs_risk": v.OHS_RISKS,
    "bek1407": v.BEK1407_BASES,
    (v.TrailEntity.DECLARATION, "kind"): v.CONFLICT_KINDS,
}
TAG_GROUPS = {
    "bek1406": (N_("BEK 1406 risk factors"), v.BEK1406_FACTORS),
    "hazards": (N_("ISO 45003 hazard factors"), v.HAZARD_FACTORS),
    "actors": (N_("Actors"), v.ACTORS),
}
USER_FIELDS = frozenset(
    {"user_id", "owner_id", "bek1407_auditor_id", "verified_by_id", "decided_by_id", "reviewed_by_id"}
)
NOTHING = "–"


@dataclass(frozen=True)
class ChangeShown:
    field: str
    before: str
    after: str


@dataclass(frozen=True)
class EventShown:
    """One event of a history as a person reads it: `record` names what changed ("Case 12"), `action` how."""

    at: datetime
    actor: str
    record: str
    action: str
    confidential: bool
    changes: list[ChangeShown]


def shown(*, session: Session, events: list[AuditEvent], locale: str) -> list[EventShown]:
    """Events (as _shown left them for the viewer) in `locale`: labels for record kinds, changes and fields; values
    as words (a status's label, a user's name, a date, Yes/No, tags by their labels)."""

    def say(message: str) -> str:
        return translate(message, locale)

    names = _names(session, events)

    def value(entity: str, field: str, raw: Any) -> str:
        if raw is None or raw == "" or raw == []:
            return NOTHING
        if raw == trail.REDACTED:
            return say(N_("Confidential"))
        if isinstance(raw, bool):
            return say(N_("Yes") if raw else N_("No"))
        choices = CHOICES.get((entity, field)) or CHOICES.get(field)
        if choices is not None and isinstance(raw, str):
            choice = choices.get(raw)
            return say(choice.label) if choice else raw
        if field in USER_FIELDS:
            return names["user"].get(raw, f"#{raw}")
        if field == "organisation_id":
            return names["organisation"].get(raw, f"#{raw}")
        if field == "verify_in_audit_id":
            return names["audit"].get(raw, f"#{raw}")
        if entity == v.TrailEntity.PLAN_ENTRY and field == "auditee_role":
            return v.plan_role(raw, say)
        if field == "clauses" and isinstance(raw, list):
            return ", ".join(v.clause_label(ref) for ref in raw)
        if field == "tags" and isinstance(raw, dict):
            return _tags(raw, say)
        if field in {"start_time", "end_time"} and isinstance(raw, str):
            return raw[:5]  # 08:30:00 -> 08:30
        if field in {
            "start_date",
            "end_date",
            "day",
            "due_date",
            "verified_on",
            "period_start",
            "period_end",
            "certificate_expiry",
            "next_audit_date",
            "communicated_on",
            "meeting_date",
            "approved_on",
        }:
            try:
                return format_day(date.fromisoformat(raw), locale, short_month=True)
            except (TypeError, ValueError):
                return str(raw)
        if isinstance(raw, list):
            return ", ".join(str(part) for part in raw)
        if isinstance(raw, dict):
            return "; ".join(f"{key}: {part}" for key, part in raw.items() if part)
        return str(raw)

    def record(event: AuditEvent) -> str:
        kind = v.TRAIL_ENTITIES.get(event.entity)
        return f"{say(kind.label) if kind else event.entity} {event.entity_id}"

    def action(event: AuditEvent) -> str:
        kind = v.TRAIL_ACTIONS.get(event.action)
        return say(kind.label) if kind else event.action

    return [
        EventShown(
            at=event.at,
            actor=event.actor,
            record=record(event),
            action=action(event),
            confidential=event.confidential,
            changes=[
                change
                for field, before, after in trail.changes(event)
                if (
                    change := _change(field, value(event.entity, field, before), value(event.entity, field, after), say)
                )
            ],
        )
        for event in events
    ]


def _change(field: str, before: str, after: str, say) -> ChangeShown | None:
    """A change as shown; None for one that reads the same before and after (an empty text that became null)."""
    if before == after:
        return None
    return ChangeShown(say(FIELD_LABELS[field]) if field in FIELD_LABELS else field, before, after)


def _tags(tags: dict, say) -> str:
    parts = []
    for group, values in tags.items():
        if not values:
            continue
        label, choices = TAG_GROUPS.get(group, (group, None))
        words = [say(choices[value].label) if choices and value in choices else str(value) for value in values]
        parts.append(f"{say(label)}: {', '.join(words)}")
    return "; ".join(parts) or NOTHING


def _names(session: Session, events: list[AuditEvent]) -> dict[str, dict[Any, str]]:
    """The names of the users, organisations and audits the events refer to, one query each."""
    wanted: dict[str, set[int]] = {"user": set(), "organisation": set(), "audit": set()}
    for event in events:
        for values in (event.before or {}, event.after or {}):
            for field, raw in values.items():
                if not isinstance(raw, int) or isinstance(raw, bool):
                    continue
                if field in USER_FIELDS:
                    wanted["user"].add(raw)
                elif field == "organisation_id":
                    wanted["organisation"].add(raw)
                elif field == "verify_in_audit_id":
                    wanted["audit"].add(raw)
    names: dict[str, dict[Any, str]] = {"user": {}, "organisation": {}, "audit": {}}
    if wanted["user"]:
        names["user"] = {u.id: u.name for u in session.exec(select(User).where(User.id.in_(wanted["user"])))}
    if wanted["organisation"]:
        names["organisation"] = {
            o.id: o.name for o in session.exec(select(Organisation).where(Organisation.id.in_(wanted["organisation"])))
        }
    if wanted["audit"]:
        names["audit"] = {a.id: a.title for a in session.exec(select(Audit).where(Audit.id.in_(wanted["audit"])))}
    return names
