"""Audit time by IAF MD 5 for OH&S management systems: the planned days from the effective number of personnel and
the OH&S risk category (the table is a data file, auditor/data/iaf_md5_ohs.yaml, with its source and version), the
share of the table's (initial) time a surveillance or a recertification audit takes, the planner's adjustments up
and down with their reasons on top, and for a Danish recognised certificate the extra time on the
material work environment (at least AUDITOR_DK_EXTRA_TIME_PERCENT more, BRIEF 3.5)."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from fractions import Fraction
from functools import cache

import yaml
from sqlmodel import Session

from auditor import vocabulary as v
from auditor.errors import Invalid
from auditor.i18n import N_
from auditor.models import Audit, User
from auditor.paths import DATA_DIR
from auditor.schemas import AuditTimeIn
from auditor.services import access, trail
from auditor.services.audits import ensure_open, record_change

TABLE_FILE = DATA_DIR / "iaf_md5_ohs.yaml"


@dataclass(frozen=True)
class Band:
    up_to: int  # the largest effective number of personnel the band covers
    days: dict[str, float]  # OH&S risk category -> audit days (stage 1 + stage 2)


@dataclass(frozen=True)
class Md5Table:
    version: str
    source: dict
    bands: tuple[Band, ...]
    shares: dict[str, Fraction]  # audit type -> its share of the initial audit time; the others take all of it

    @property
    def citation(self) -> str:
        """One line naming the table: the document, its issue and the table."""
        return f"{self.source['document']}, {self.source['issue']}; {self.source['table'].split(' - ')[0]}"


@cache
def md5_table() -> Md5Table:
    """The table as the data file gives it, checked: bands rising, a number of days for every risk category."""
    data = yaml.safe_load(TABLE_FILE.read_text(encoding="utf-8"))
    bands = tuple(
        Band(int(row["up_to"]), {risk: float(row[risk]) for risk in v.OHS_RISKS.values}) for row in data["bands"]
    )
    if any(a.up_to >= b.up_to for a, b in itertools.pairwise(bands)):
        raise ValueError(f"{TABLE_FILE}: the bands must rise")
    shares = {v.AuditType(kind): Fraction(share) for kind, share in data["reduced_time"].items()}
    if any(not 0 < share <= 1 for share in shares.values()):
        raise ValueError(f"{TABLE_FILE}: a share of the initial audit time lies between 0 and 1")
    return Md5Table(str(data["version"]), data["source"], bands, shares)


def effective_personnel(full_time: int | None, part_time_fte: float | None, temporary: float | None) -> int | None:
    """The effective number of personnel as MD 5 counts it: everyone full-time on every shift, part-time personnel as
    full-time equivalents, and the temporary, seasonal and contracted personnel present; a part of a person counts
    as a whole one. None when nothing is stated."""
    if full_time is None and part_time_fte is None and temporary is None:
        return None
    return math.ceil((full_time or 0) + (part_time_fte or 0) + (temporary or 0) - 1e-9)


def table_days(personnel: int, risk: str) -> float:
    """The table's audit days (initial audit: stage 1 + stage 2) for this many people and this risk category."""
    table = md5_table()
    for band in table.bands:
        if personnel <= band.up_to:
            return band.days[risk]
    raise Invalid(
        N_(
            "The IAF MD 5 table ends at {count} personnel; beyond it the table follows its progression: state the "
            "days as an adjustment with its reason."
        ),
        field="personnel_full_time",
        count=table.bands[-1].up_to,
    )


REDUCTION_REASON = N_("{audit_type}: about {share} of the initial audit time (stage 1 + stage 2), IAF MD 5")


def reduction_reason(time: AuditTime, translate) -> str:
    """Why the audit takes less than the table's days, in the language `translate` gives; "" when it does not."""
    if time.reduction_days is None:
        return ""
    label = translate(v.AUDIT_TYPES[time.audit_type].label)
    return translate(REDUCTION_REASON).format(audit_type=label, share=time.reduction_share)


REPEATED_REDUCTION = N_(
    'Counted twice? The adjustment "{adjustment}" takes off about what the reduction by the audit\'s type ({reduction}) '
    "already takes off. If it is that reduction, entered by hand before it was applied by itself, remove it: "
    "otherwise the audit is given too little time."
)
REPEAT_TOLERANCE = 0.25  # days: a hand-made reduction rounded otherwise still matches


def repeated_reductions(reduction_days: float | None, share: str, adjustments: list[dict]) -> list[dict]:
    """The planner's adjustments that look like the reduction by the audit's type made again by hand: days off within
    a quarter of a day of the reduction, or a reason naming the audit's share ("1/3"). An audit planned before the
    reduction was applied by type may carry such a line; counted with the reduction, the time is reduced twice."""
    if reduction_days is None:
        return []
    return [
        a
        for a in adjustments
        if a["days"] < 0 and (abs(a["days"] - reduction_days) <= REPEAT_TOLERANCE or (share and share in a["reason"]))
    ]


def repeated_reduction_warnings(time: AuditTime, translate, number) -> list[str]:
    """A warning for each adjustment that repeats the reduction by type, in the language of `translate`, the days
    written by `number`."""
    return [
        translate(REPEATED_REDUCTION).format(
            adjustment=f"{number(a['days'])}: {a['reason']}", reduction=number(time.reduction_days)
        )
        for a in time.repeated_reductions
    ]


def reduction(initial_days: float, audit_type: str) -> float | None:
    """The days a surveillance or a recertification audit takes off the initial audit time (negative): its time is
    its share of the initial time. None for the audits that take the initial time as it is."""
    share = md5_table().shares.get(audit_type)
    return None if share is None else _round(_round(initial_days * share) - initial_days)


def _required_days(initial_days: float, audit_type: str, adjustments: list) -> float:
    """The days MD 5 requires: the table's, reduced by the audit's type, with the planner's adjustments."""
    return _round(initial_days + (reduction(initial_days, audit_type) or 0) + sum(a["days"] for a in adjustments))


@dataclass(frozen=True)
class AuditTime:
    """An audit's time, ready to show: what it is computed from and each step of the computation (None: not known)."""

    personnel: int | None
    audit_type: str
    ohs_risk: str
    table_days: float | None
    reduction_days: float | None  # taken off by the audit's type (negative); None: the table's days as they are
    reduction_share: str  # "1/3": the audit's share of the initial audit time; "" none
    adjustments: list[dict]
    repeated_reductions: list[dict]  # adjustments that look like the reduction by type made again by hand
    md5_days: float | None  # the table's days, reduced by the audit's type, with the adjustments
    dk_extra_percent: float | None  # for a Danish recognised certificate
    dk_extra_days: float | None
    planned_days: float | None  # all of it
    actual_days: float | None
    table_version: str
    table_citation: str


def _round(days: float) -> float:
    return round(days, 2)


def audit_time(*, audit: Audit, dk_extra_percent: float) -> AuditTime:
    personnel = effective_personnel(audit.personnel_full_time, audit.personnel_part_time_fte, audit.personnel_temporary)
    table = md5_table()
    base = None
    if personnel is not None and audit.ohs_risk in v.OHS_RISKS:
        band = next((b for b in table.bands if personnel <= b.up_to), None)
        base = band.days[audit.ohs_risk] if band else None
    md5 = _required_days(base, audit.audit_type, audit.time_adjustments) if base is not None else audit.md5_days
    share = table.shares.get(audit.audit_type)
    reduced = reduction(base, audit.audit_type) if base is not None else None
    extra_percent = dk_extra_percent if audit.dk_certificate else None
    extra = _round(md5 * extra_percent / 100) if md5 is not None and extra_percent is not None else None
    return AuditTime(
        personnel,
        audit.audit_type,
        audit.ohs_risk,
        base,
        reduced,
        str(share) if share is not None else "",
        list(audit.time_adjustments),
        repeated_reductions(reduced, str(share), list(audit.time_adjustments)),
        md5,
        extra_percent,
        extra,
        _round(md5 + (extra or 0)) if md5 is not None else None,
        audit.actual_days,
        table.version,
        table.citation,
    )


def update_audit_time(*, session: Session, actor: User, audit: Audit, data: AuditTimeIn) -> Audit:
    """Record what the audit's time is computed from and the days spent; the IAF MD 5 days (md5_days) follow."""
    access.require_audit(session=session, user=actor, audit=audit, can=access.Can.PLAN)
    ensure_open(audit)
    before = trail.snapshot(v.TrailEntity.AUDIT, audit)
    audit.personnel_full_time = data.personnel_full_time
    audit.personnel_part_time_fte = data.personnel_part_time_fte
    audit.personnel_temporary = data.personnel_temporary
    audit.ohs_risk = data.ohs_risk or ""
    audit.time_adjustments = [a.model_dump() for a in data.adjustments]
    audit.actual_days = data.actual_days
    personnel = effective_personnel(data.personnel_full_time, data.personnel_part_time_fte, data.personnel_temporary)
    if personnel is not None and data.ohs_risk:
        days = _required_days(table_days(personnel, data.ohs_risk), audit.audit_type, audit.time_adjustments)
        if days <= 0:
            raise Invalid(N_("The adjustments leave no audit time."), field="adjustments")
        audit.md5_days = days
    record_change(session=session, actor=actor, audit=audit, before=before)
    return audit
