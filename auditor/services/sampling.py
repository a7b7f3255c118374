"""Multi-site sampling (IAF MD 1): which of an organisation's production units an audit visits.

The central function is visited in every audit. Of the other units, at least the square root of their number,
rounded up, at an initial audit (stage 1 and stage 2); 0.6 times it at a surveillance audit; 0.8 times it at a
recertification audit (IAF MD 1:2018 6.1.3; the factors and the rounding as the EA FAQ 46.5 of March 2023 applies
them: https://european-accreditation.org/sp_accordion_faqs/question-46-5-iaf-md1-sampling-size/). Internal and
special audits have no minimum. Each unit visited has a recorded reason, and the plan shows which units no audit of
the cycle has visited yet, so the cycle covers them all.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlmodel import Session, col, select

from auditor import vocabulary as v
from auditor.errors import Invalid
from auditor.i18n import N_
from auditor.models import Audit, AuditSite, Site, User, utcnow
from auditor.services import access, trail
from auditor.services.audits import ensure_open

# The factor of the square root of the number of units (the central function not counted), by audit type.
SAMPLE_FACTORS = {
    v.AuditType.STAGE1: 1.0,
    v.AuditType.STAGE2: 1.0,
    v.AuditType.SURVEILLANCE: 0.6,
    v.AuditType.RECERTIFICATION: 0.8,
}
# The audits a certification cycle is counted from: units visited before the latest of them belong to an earlier cycle.
CYCLE_STARTS = (v.AuditType.STAGE1, v.AuditType.STAGE2, v.AuditType.RECERTIFICATION)


def sample_size(units: int, audit_type: str) -> int | None:
    """How many units besides the central function the audit must at least visit; None: no minimum."""
    factor = SAMPLE_FACTORS.get(v.AuditType(audit_type))
    if factor is None:
        return None
    return min(units, math.ceil(factor * math.sqrt(units) - 1e-9))


@dataclass(frozen=True)
class UnitRow:
    site: Site
    visited: bool
    central: bool
    reason: str
    last_visit: str  # the title of the cycle's last earlier audit that visited it; "" none


@dataclass(frozen=True)
class SamplingPlan:
    units: list[UnitRow]
    required: int | None  # the minimum of units besides the central function; None: no minimum
    visited: int  # units besides the central function visited
    not_yet_in_cycle: list[Site]  # units no audit of the cycle has visited, this one included


def _cycle_visits(*, session: Session, audit: Audit) -> dict[int, str]:
    """site id -> title of the latest earlier audit of this cycle that visited it."""
    if audit.audit_type == v.AuditType.STAGE1:  # a new client's first audit: nothing before it counts
        return {}
    start = session.exec(
        select(Audit)
        .where(
            Audit.organisation_id == audit.organisation_id,
            Audit.start_date < audit.start_date,
            col(Audit.audit_type).in_(CYCLE_STARTS),
        )
        .order_by(col(Audit.start_date).desc())
    ).first()
    rows = session.exec(
        select(AuditSite.site_id, Audit.title)
        .join(Audit, col(Audit.id) == AuditSite.audit_id)
        .where(
            Audit.organisation_id == audit.organisation_id,
            Audit.start_date < audit.start_date,
            Audit.start_date >= (start.start_date if start else audit.start_date.min),
        )
        .order_by(Audit.start_date)
    ).all()
    return dict(rows)


def sampling_plan(*, session: Session, audit: Audit) -> SamplingPlan:
    """Every unit of the organisation: visited in this audit or not, why, and when the cycle last visited it."""
    sites = session.exec(select(Site).where(Site.organisation_id == audit.organisation_id).order_by(Site.name)).all()
    links = {link.site_id: link for link in session.exec(select(AuditSite).where(AuditSite.audit_id == audit.id))}
    visits = _cycle_visits(session=session, audit=audit)
    rows = [
        UnitRow(
            site,
            site.id in links,
            bool(links.get(site.id) and links[site.id].central),
            links[site.id].visit_reason if site.id in links else "",
            visits.get(site.id, ""),
        )
        for site in sites
    ]
    units = len(rows) - (1 if any(row.central for row in rows) else 0)
    return SamplingPlan(
        rows,
        sample_size(units, audit.audit_type) if units else None,
        sum(row.visited and not row.central for row in rows),
        [row.site for row in rows if not row.visited and not row.last_visit],
    )


def save_sampling_plan(
    *, session: Session, actor: User, audit: Audit, central_id: int | None, visits: dict[int, str]
) -> SamplingPlan:
    """Visit the units in `visits` (site id -> the reason), the central function among them. Refused: a unit visited
    without a reason, a central function not visited, or fewer units than IAF MD 1's minimum."""
    access.require_audit(session=session, user=actor, audit=audit, can=access.Can.PLAN)
    ensure_open(audit)
    sites = {s.id: s for s in session.exec(select(Site).where(Site.organisation_id == audit.organisation_id))}
    if any(site_id not in sites for site_id in [*visits, *([central_id] if central_id else [])]):
        raise Invalid(N_("The site is not part of this organisation."), field="_form")
    if central_id is not None and central_id not in visits:
        raise Invalid(N_("The central function is visited in every audit."), field="central")
    if missing := [sites[i].name for i, reason in visits.items() if not reason.strip()]:
        raise Invalid(N_("Say why each unit is visited: {units}."), field="_form", units=", ".join(missing))
    others = len(sites) - (1 if central_id else 0)
    required = sample_size(others, audit.audit_type) if others else None
    visited = len(visits) - (1 if central_id else 0)
    if len(sites) > 1 and audit.audit_type in SAMPLE_FACTORS and central_id is None:
        raise Invalid(N_("Choose the central function: it is visited in every audit."), field="central")
    if required is not None and visited < required:
        raise Invalid(
            N_(
                "IAF MD 1 asks this audit to visit at least {required} of the {units} units besides the central function."
            ),
            field="_form",
            required=required,
            units=others,
        )
    links = {link.site_id: link for link in session.exec(select(AuditSite).where(AuditSite.audit_id == audit.id))}
    for site_id, link in links.items():
        if site_id not in visits:
            trail.record(
                session=session,
                actor=actor,
                action="delete",
                entity="audit_site",
                entity_id=site_id,
                audit_id=audit.id,
                before=trail.snapshot("audit_site", link),
            )
            session.delete(link)
    session.flush()
    for site_id, reason in visits.items():
        link = links.get(site_id) or AuditSite(audit_id=audit.id, site_id=site_id)
        before = trail.snapshot("audit_site", link) if site_id in links else None
        link.central, link.visit_reason = site_id == central_id, reason.strip()[:300]
        session.add(link)
        trail.record(
            session=session,
            actor=actor,
            action="update" if before else "create",
            entity="audit_site",
            entity_id=site_id,
            audit_id=audit.id,
            before=before,
            after=trail.snapshot("audit_site", link),
        )
    audit.updated_at = utcnow()
    session.add(audit)
    session.flush()
    return sampling_plan(session=session, audit=audit)
