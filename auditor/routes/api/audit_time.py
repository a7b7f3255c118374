"""An audit's time by IAF MD 5: what it is computed from, the table's days, the adjustments, the Danish extra time, the
days planned and spent."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter

from auditor.config import Settings
from auditor.deps import AuditDep, CurrentUser, PlanAuditDep, SessionDep, SettingsDep
from auditor.models import Audit
from auditor.routes.api.refusals import CHANGE_NAMED, NAMED
from auditor.schemas import AuditTimeIn, AuditTimeOut
from auditor.services import audit_time

router = APIRouter(tags=["audit time"])


def audit_time_out(audit: Audit, settings: Settings) -> AuditTimeOut:
    time = audit_time.audit_time(audit=audit, dk_extra_percent=settings.dk_extra_time_percent)
    return AuditTimeOut.model_validate({**asdict(time), "ohs_risk": time.ohs_risk or None})


@router.get("/audits/{audit_id}/time", responses=NAMED)
def show_audit_time(audit: AuditDep, settings: SettingsDep) -> AuditTimeOut:
    """The audit's time by IAF MD 5: the inputs, the table's days, the adjustments, the Danish extra time, the days
    planned and spent."""
    return audit_time_out(audit, settings)


@router.put("/audits/{audit_id}/time", responses=CHANGE_NAMED)
def update_audit_time(
    audit: PlanAuditDep, data: AuditTimeIn, session: SessionDep, user: CurrentUser, settings: SettingsDep
) -> AuditTimeOut:
    """Set what the audit's time is computed from, and the days spent (the lead auditor); the whole record is sent."""
    audit_time.update_audit_time(session=session, actor=user, audit=audit, data=data)
    return audit_time_out(audit, settings)
