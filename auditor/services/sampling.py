"""Multi-site sampling (IAF MD 1): which of an organisation's production units an audit visits.

The central function is visited in every audit. Of the other units, at least the square root of their number,
rounded up, at an initial audit (stage 1 and stage 2); 0.6 times it at a surveillance audit; 0.8 times it at a
recertification audit (IAF MD 1:2018 6.1.3; the factors and the rounding as the EA FAQ 46.5 of March 2023 applies
them: https://european-accreditation.org/sp_accordion_faqs/question-46-5-iaf-md1-sampling-size/). Internal and
special audits have no minimum. Each unit visited has a recorded reason, and the plan shows which units no audit of
the cycle has visited yet, so the cycle covers them all.

The exceptions: a unit the planner marks "must be visited" (its reason says why sampling is not allowed there: a
high risk, processes the other units do not have) is visited, and is not counted in the sample nor in the units the
sample is drawn from; the next audit's plan starts from the marks of the last one saved. The sample's random part: a
quarter of it, rounded up (RANDOM_SHARE, with where the share was read), is drawn when the plan is saved from the
units the planner did not choose, with a seed recorded on the audit and in the trail, so that `draw(seed,
candidates, count)` makes the same draw again; the rest the planner chooses, each with a reason. A unit drawn stays
in the sample. The draw cannot be re-rolled: its seed follows from the server's secret, the audit and the number of
draws the audit has made (`draw_seed`), so nobody chooses or foresees it, and a plan refused after its draw (which
records nothing) draws the same units when it is sent again; and a unit's place in the draw does not depend on the
other candidates, so choosing units by hand does not change which of the rest are drawn. The cycle: at its last
audit (the recertification, or the last surveillance of the cycle), every unit the cycle has not visited yet is in
the sample, or the plan is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import math
from dataclasses import dataclass
from fractions import Fraction

from sqlmodel import Session, and_, col, or_, select

from auditor import vocabulary as v
from auditor.errors import Invalid
from auditor.i18n import N_
from auditor.models import Audit, AuditSite, Site, User, utcnow
from auditor.services import access, trail
from auditor.services.audits import ensure_open
from auditor.services.programmes import SURVEILLANCES

# The factor of the square root of the number of units (the central function not counted), by audit type.
SAMPLE_FACTORS = {
    v.AuditType.STAGE1: 1.0,
    v.AuditType.STAGE2: 1.0,
    v.AuditType.SURVEILLANCE: 0.6,
    v.AuditType.RECERTIFICATION: 0.8,
}
# The audits a certification cycle is counted from: units visited before the latest of them belong to an earlier cycle.
CYCLE_STARTS = (v.AuditType.STAGE1, v.AuditType.STAGE2, v.AuditType.RECERTIFICATION)
# Of the sample, drawn at random (rounded up). MD 1's own text was not reachable from here (iaf.nu, and no faithful
# copy of the 2018 clause among the stored pages): the share is read in two secondary sources that agree. The EA's
# FAQ 46.5 (March 2023, https://european-accreditation.org/sp_accordion_faqs/question-46-5-iaf-md1-sampling-size/)
# says MD 1 6.1 requires a random sampling of 25% of the sites; the Canadian Grain Commission's multi-site appendix
# (http://www.grainscanada.gc.ca/pva-vpa/qsp-psq-231/231-17-eng.htm) repeats MD 1's earlier wording: at least a
# quarter of the sample chosen at random, the rest chosen so the sites differ as much as possible over the
# certificate's validity. A quarter is the least; more may be chosen at random. IAF MD 1:2023 (Issue 3) has since
# replaced the 2018 issue cited in this module; its sampling clauses were not compared.
RANDOM_SHARE = Fraction(1, 4)


def sample_size(units: int, audit_type: str) -> int | None:
    """How many units besides the central function the audit must at least visit; None: no minimum."""
    factor = SAMPLE_FACTORS.get(v.AuditType(audit_type))
    if factor is None:
        return None
    return min(units, math.ceil(factor * math.sqrt(units) - 1e-9))


def random_count(required: int | None) -> int:
    """How many of a sample of `required` units are drawn at random."""
    return math.ceil(required * RANDOM_SHARE) if required else 0


def draw_seed(secret: str, audit_id: int, number: int) -> int:
    """The seed of the audit's draw number `number` (0: its first), from the server's `secret`: fixed for the audit,
    and known to no one before the draw is made."""
    message = f"auditor sampling draw {audit_id} {number}".encode()
    return int.from_bytes(hmac.new(secret.encode(), message, hashlib.sha256).digest()[:4], "big")


def draw(seed: int, candidates: list[int], count: int) -> list[int]:
    """`count` of the `candidates` (site ids) drawn at random with `seed`: those first in the order of SHA-256 of the
    seed and the site id. The same seed draws the same units, and a unit's place in the order does not depend on
    the other candidates."""
    ranked = sorted(candidates, key=lambda site_id: hashlib.sha256(f"{seed}:{site_id}".encode()).digest())
    return sorted(ranked[:count])


@dataclass(frozen=True)
class UnitRow:
    site: Site
    visited: bool
    central: bool
    must_visit: bool
    drawn_seed: int | None  # the seed of the draw that chose the unit at random; None: chosen by the planner
    reason: str
    last_visit: str  # the title of the cycle's last earlier audit that visited it; "" none
    carried_reason: str  # why the last earlier plan marked the unit "must be visited"; "" it did not
    carried_from: str  # that plan's audit (its title)
    prefill: bool  # this audit's plan is not saved yet: the form starts with the unit visited and marked, as before

    @property
    def form_visited(self) -> bool:
        return self.visited or self.prefill

    @property
    def form_must_visit(self) -> bool:
        return self.must_visit or self.prefill

    @property
    def form_reason(self) -> str:
        return self.carried_reason if self.prefill else self.reason


DRAWN_REASON = N_("Drawn at random (seed {seed})")


def visit_reason(row: UnitRow, translate) -> str:
    """Why the unit is visited: the planner's reason, or the draw that chose it (in the language of `translate`)."""
    if row.reason or row.drawn_seed is None or not row.visited:
        return row.reason
    return translate(DRAWN_REASON).format(seed=row.drawn_seed)


@dataclass(frozen=True)
class SamplingPlan:
    units: list[UnitRow]
    required: int | None  # the minimum of units in the sample; None: no minimum
    visited: int  # units in the sample visited (not the central function, not the units that must be visited)
    random: int  # of the sample, drawn at random when the plan is saved
    last_of_cycle: bool  # every unit the cycle has not visited yet must be in this audit's sample
    not_yet_in_cycle: list[Site]  # units no audit of the cycle has visited, this one included
    saved: bool  # the plan has been saved (it names the central function or a reason for a unit)
    carried_from: str  # the earlier audit whose plan's "must be visited" marks this one starts from; "" none

    @property
    def prefilled(self) -> bool:
        return any(row.prefill for row in self.units)


def _saved(links) -> bool:
    """Whether these links of an audit are a saved sampling plan (not only the sites named when it was planned)."""
    return any(link.central or link.visit_reason for link in links)


def _carried(*, session: Session, audit: Audit) -> tuple[str, dict[int, str]]:
    """The "must be visited" marks the next plan starts from: those of the organisation's latest earlier audit of the
    same kind (internal, or by a certification body) whose sampling plan was saved; (its title, site id -> reason)."""
    internal = Audit.audit_type == v.AuditType.INTERNAL
    rows = session.exec(
        select(Audit.id, Audit.title, AuditSite)
        .join(AuditSite, col(AuditSite.audit_id) == Audit.id)
        .where(
            Audit.organisation_id == audit.organisation_id,
            internal if audit.audit_type == v.AuditType.INTERNAL else ~internal,
            or_(
                col(Audit.start_date) < audit.start_date,
                and_(Audit.start_date == audit.start_date, col(Audit.id) < audit.id),
            ),
        )
        .order_by(col(Audit.start_date).desc(), col(Audit.id).desc())
    ).all()
    for (_, title), group in itertools.groupby(rows, key=lambda row: (row[0], row[1])):
        links = [link for *_, link in group]
        if _saved(links):
            return title, {link.site_id: link.visit_reason for link in links if link.must_visit}
    return "", {}


def _cycle_start(*, session: Session, audit: Audit) -> Audit | None:
    """The latest earlier audit that started the organisation's certification cycle."""
    return session.exec(
        select(Audit)
        .where(
            Audit.organisation_id == audit.organisation_id,
            Audit.start_date < audit.start_date,
            col(Audit.audit_type).in_(CYCLE_STARTS),
        )
        .order_by(col(Audit.start_date).desc())
    ).first()


def _cycle_visits(*, session: Session, audit: Audit, start: Audit | None) -> dict[int, str]:
    """site id -> title of the latest earlier audit of this cycle that visited it."""
    if audit.audit_type == v.AuditType.STAGE1:  # a new client's first audit: nothing before it counts
        return {}
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


def _last_of_cycle(*, session: Session, audit: Audit, start: Audit | None) -> bool:
    """The recertification audit, or the cycle's last surveillance (as many surveillances before it since the
    cycle's start as the programme has, less one): the last chance to visit every unit within the cycle."""
    if audit.audit_type == v.AuditType.RECERTIFICATION:
        return True
    if audit.audit_type != v.AuditType.SURVEILLANCE or start is None:
        return False
    earlier = session.exec(
        select(Audit.id).where(
            Audit.organisation_id == audit.organisation_id,
            Audit.audit_type == v.AuditType.SURVEILLANCE,
            Audit.start_date >= start.start_date,
            Audit.start_date < audit.start_date,
        )
    ).all()
    return len(earlier) >= len(SURVEILLANCES) - 1


def _drawn(audit: Audit) -> dict[int, int]:
    """site id -> the seed of the draw that chose it."""
    return {site_id: made["seed"] for made in audit.sample_draws for site_id in made["drawn"]}


def sampling_plan(*, session: Session, audit: Audit) -> SamplingPlan:
    """Every unit of the organisation: visited in this audit or not, why, and when the cycle last visited it."""
    sites = session.exec(select(Site).where(Site.organisation_id == audit.organisation_id).order_by(Site.name)).all()
    links = {link.site_id: link for link in session.exec(select(AuditSite).where(AuditSite.audit_id == audit.id))}
    start = _cycle_start(session=session, audit=audit)
    visits = _cycle_visits(session=session, audit=audit, start=start)
    drawn = _drawn(audit)
    saved = _saved(links.values())
    carried_from, carried = _carried(session=session, audit=audit)
    rows = [
        UnitRow(
            site,
            site.id in links,
            bool(links.get(site.id) and links[site.id].central),
            bool(links.get(site.id) and links[site.id].must_visit),
            drawn.get(site.id),
            links[site.id].visit_reason if site.id in links else "",
            visits.get(site.id, ""),
            carried.get(site.id, ""),
            carried_from if site.id in carried else "",
            not saved and site.id in carried,
        )
        for site in sites
    ]
    units = sum(not row.central and not row.form_must_visit for row in rows)  # as the form shows the plan
    required = sample_size(units, audit.audit_type) if units else None
    return SamplingPlan(
        rows,
        required,
        sum(row.visited and not row.central and not row.must_visit for row in rows),
        random_count(required),
        _last_of_cycle(session=session, audit=audit, start=start),
        [row.site for row in rows if not row.visited and not row.last_visit],
        saved,
        carried_from if carried else "",
    )


def save_sampling_plan(
    *,
    session: Session,
    actor: User,
    audit: Audit,
    central_id: int | None,
    visits: dict[int, str],
    secret: str,
    must_visit: set[int] | frozenset[int] = frozenset(),
) -> SamplingPlan:
    """Visit the units in `visits` (site id -> the reason), the central function and the units that must be visited
    (`must_visit`, not sampled) among them, and draw the sample's random part from the units not chosen (its seed
    from the server's `secret`: `draw_seed`). Refused: a unit visited without a reason (one drawn at random needs none), a central
    function or a unit that must be visited not visited, a unit drawn earlier left out, fewer units than IAF MD 1's
    minimum, or, at the cycle's last audit, a unit the cycle has not visited yet left out."""
    access.require_audit(session=session, user=actor, audit=audit, can=access.Can.PLAN)
    ensure_open(audit)
    sites = {s.id: s for s in session.exec(select(Site).where(Site.organisation_id == audit.organisation_id))}
    if any(site_id not in sites for site_id in [*visits, *must_visit, *([central_id] if central_id else [])]):
        raise Invalid(N_("The site is not part of this organisation."), field="_form")
    if central_id is not None and central_id not in visits:
        raise Invalid(N_("The central function is visited in every audit."), field="central")
    must_visit = set(must_visit) - {central_id}
    if missing := sorted(sites[i].name for i in must_visit - set(visits)):
        raise Invalid(
            N_("A unit that must be visited is visited: tick Visited for {units}."),
            field="_form",
            units=", ".join(missing),
        )
    drawn = _drawn(audit)
    if missing := sorted(sites[i].name for i, reason in visits.items() if not reason.strip() and i not in drawn):
        raise Invalid(N_("Say why each unit is visited: {units}."), field="_form", units=", ".join(missing))
    if missing := sorted(sites[i].name for i in drawn if i in sites and i not in visits):
        raise Invalid(
            N_("A unit drawn at random stays in the sample: {units}."), field="_form", units=", ".join(missing)
        )
    if len(sites) > 1 and audit.audit_type in SAMPLE_FACTORS and central_id is None:
        raise Invalid(N_("Choose the central function: it is visited in every audit."), field="central")
    sampled = set(sites) - {central_id} - must_visit  # the units the sample is taken from
    required = sample_size(len(sampled), audit.audit_type) if sampled else None
    visits = dict(visits)
    made = None
    wanted = random_count(required) - len(sampled & set(drawn))
    candidates = sorted(sampled - set(visits) - set(drawn))
    if wanted > 0 and candidates:
        seed = draw_seed(secret, audit.id, len(audit.sample_draws))
        count = min(wanted, len(candidates))
        picked = draw(seed, candidates, count)
        made = {"seed": seed, "candidates": candidates, "count": count, "drawn": picked}
        visits.update(dict.fromkeys(picked, ""))
    visited = len(sampled & set(visits))
    if required is not None and visited < required:
        raise Invalid(
            N_("IAF MD 1 asks this audit to visit at least {required} of the {units} units in its sample."),
            field="_form",
            required=required,
            units=len(sampled),
        )
    start = _cycle_start(session=session, audit=audit)
    if _last_of_cycle(session=session, audit=audit, start=start):
        before = _cycle_visits(session=session, audit=audit, start=start)
        if missing := sorted(site.name for i, site in sites.items() if i not in before and i not in visits):
            raise Invalid(
                N_(
                    "This is the last audit of the certification cycle: every unit is visited within the cycle, so "
                    "the units not visited yet are in its sample: {units}."
                ),
                field="_form",
                units=", ".join(missing),
            )
    _save_links(session=session, actor=actor, audit=audit, central_id=central_id, visits=visits, must_visit=must_visit)
    if made is not None:
        audit.sample_draws = [*audit.sample_draws, made]
        trail.record(
            session=session,
            actor=actor,
            action="draw_sample",
            entity="audit",
            entity_id=audit.id,
            audit_id=audit.id,
            after=made,
        )
    audit.updated_at = utcnow()
    session.add(audit)
    session.flush()
    return sampling_plan(session=session, audit=audit)


def _save_links(
    *, session: Session, actor: User, audit: Audit, central_id: int | None, visits: dict[int, str], must_visit: set[int]
) -> None:
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
        link.must_visit = site_id in must_visit
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
