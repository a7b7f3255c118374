"""The audit trail: every change to audits, responses, evidence, findings and users, append-only."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert
from sqlmodel import Session, SQLModel, select
from sqlmodel.sql.expression import SelectOfScalar

from auditor import vocabulary as v
from auditor.models import INVESTIGATION_FIELDS, AuditEvent, User, utcnow

# What the trail keeps of each kind of record (timestamps and ids are in the event itself).
SNAPSHOT_FIELDS = {
    "audit": (
        "title",
        "audit_type",
        "organisation_id",
        "scope",
        "objectives",
        "criteria",
        "start_date",
        "end_date",
        "report_language",
        "status",
        "report_version",
        "summary",
        "conclusion",
        "recommendation",
        "plan_deviations",
        "auditee_representative",
        "dk_certificate",
        "bek1407_auditor_id",
        "team_override_reason",
        "md5_days",
        "actual_days",
        "psychosocial_hours",
        "certificate_number",
        "certificate_expiry",
        "next_audit_date",
        "accompanying",
        "significant_changes",
        "programme_issues",
        "unresolved_issues",
        "combination",
        "marks_control",
        "statements",
        "stage1_readiness",
        "list_not_audited",
        "personnel_full_time",
        "personnel_part_time_fte",
        "personnel_temporary",
        "ohs_risk",
        "time_adjustments",
    ),
    "audit_site": ("site_id", "material_hours", "significant_problems", "central", "visit_reason", "must_visit"),
    "case_verification": ("case_id", "checked", "result", "verified_by_id"),
    "plan_entry": ("day", "start_time", "end_time", "kind", "activity", "auditor", "auditee_role", "remote"),
    "team": ("user_id", "role"),
    "competence": ("bek1407", "bek1407_date", "technical_areas", "languages"),
    "declaration": ("user_id", "organisation_id", "kind", "starts_on", "ends_on", "note"),
    "response": ("item_id", "verdict", "note", "version"),
    "evidence": ("item_id", "method", "summary", "interviewee_role", "interviewee_count", "reference", "confidential"),
    "finding": ("number", "item_id", "kind", "clauses", "requirement", "statement", "evidence", "tags", "site_ids"),
    "user": ("email", "name", "role", "organisation_id", "is_active"),
    "case": (
        "status",
        "grade",
        "statement",
        "correction",
        "root_cause_method",
        "root_cause",
        "plan_return_reason",
        "individual_measures_only",
        "verification_method",
        "verified_on",
        "verification_result",
        "verify_in_audit_id",
        "correction_not_applicable",
        *INVESTIGATION_FIELDS,
    ),
    "photo": ("item_id", "finding_id", "caption", "confidential", "width", "height", "sha256"),
    "case_action": ("description", "owner_id", "due_date", "prevention_level", "status", "implementation_note"),
    "body_logo": ("content_type", "width", "height", "size", "sha256"),
    "report_template": ("organisation_id", "kind", "language", "audit_type", "filename", "size", "sha256"),
    "review": (
        "organisation_id",
        "period_start",
        "period_end",
        "manual",
        "meeting_date",
        "participants",
        "monitoring",
        "compliance",
        "approved_by",
        "approved_on",
        "communicated_on",
        "communication",
        "withdrawn_on",
        "withdrawal_reason",
    ),
    "review_decision": ("review_id", "text", "case_id"),
    "certification_decision": (
        "outcome",
        "decided_on",
        "reasons",
        "decided_by_id",
        "review",
        "reviewed_by_id",
        "reviewed_on",
        "scope",
        "site_ids",
    ),
    "programme": ("organisation_id", "kind", "checklists", "scope", "cycle_start", "cycle_months", "audits_per_cycle"),
}
REDACTED = "[confidential]"


def snapshot(entity: str, row: SQLModel | None) -> dict[str, Any] | None:
    if row is None:
        return None
    fields = SNAPSHOT_FIELDS[entity]
    values = row.model_dump(mode="json", include=set(fields))
    return {name: values.get(name) for name in fields}


def record(
    *,
    session: Session,
    actor: User | None,
    action: str,
    entity: str,
    entity_id: object,
    audit_id: int | None = None,
    before: dict | None = None,
    after: dict | None = None,
    confidential: bool = False,
) -> None:
    """Add one event to the trail, in the caller's transaction (it commits with the change itself). The row is
    written at once with one plain INSERT: the trail is append-only, so nothing reads it back as an object, and the
    ORM's unit of work cost more than the INSERT itself on every save (bench/count_save.py)."""
    if entity not in v.TRAIL_ENTITIES or action not in v.TRAIL_ACTIONS:  # the histories could not name it
        raise ValueError(f"the trail's vocabulary has no {entity!r} or {action!r} (auditor/vocabulary.py)")
    if before == after and action == "update":
        return
    session.connection().execute(  # a Core statement: straight to the connection, past the ORM's execute
        _INSERT_EVENT,
        {
            "at": utcnow(),
            "actor_id": actor.id if actor else None,
            "actor": actor.email if actor else "system",
            "audit_id": audit_id,
            "entity": entity,
            "entity_id": str(entity_id),
            "action": action,
            "confidential": confidential,
            "before": before,
            "after": after,
        },
    )


_INSERT_EVENT = insert(AuditEvent.__table__)


def history_query(
    *, audit_id: int, entity: str | None = None, entity_id: str | None = None, newest_first: bool = False
) -> SelectOfScalar[AuditEvent]:
    """An audit's events, oldest (or newest) first, as stored (services/history.py shows them to a viewer)."""
    query = select(AuditEvent).where(AuditEvent.audit_id == audit_id)
    query = query.order_by(AuditEvent.id.desc() if newest_first else AuditEvent.id)
    if entity:
        query = query.where(AuditEvent.entity == entity)
    if entity_id:
        query = query.where(AuditEvent.entity_id == entity_id)
    return query


def history(*, session: Session, audit_id: int) -> list[AuditEvent]:
    """Every event of an audit, oldest first, as stored."""
    return list(session.exec(history_query(audit_id=audit_id)))


def redacted(event: AuditEvent) -> AuditEvent:
    """A confidential event as those outside the audit team see it: who, when and what kind of change, with every
    field's value blanked (a caption, a summary, a reference, the item, the file's hash alike)."""

    def blank(values: dict | None) -> dict | None:
        return None if values is None else dict.fromkeys(values, REDACTED)

    return AuditEvent(**{**event.model_dump(), "before": blank(event.before), "after": blank(event.after)})


def changes(event: AuditEvent) -> list[tuple[str, Any, Any]]:
    """(field, before, after) for each field the event changed."""
    before, after = event.before or {}, event.after or {}
    return [
        (name, before.get(name), after.get(name))
        for name in dict.fromkeys([*before, *after])
        if before.get(name) != after.get(name)
    ]
