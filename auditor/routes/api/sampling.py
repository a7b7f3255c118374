"""An audit's sampling plan (IAF MD 1): which of the organisation's production units it visits, and why."""

from __future__ import annotations

from fastapi import APIRouter

from auditor.deps import AuditDep, CurrentUser, PlanAuditDep, SessionDep, SettingsDep
from auditor.routes.api.refusals import CHANGE_NAMED, NAMED
from auditor.schemas import SampledUnitOut, SamplingIn, SamplingOut, SiteOut
from auditor.services import sampling

router = APIRouter(tags=["sampling"])


def sampling_out(plan: sampling.SamplingPlan) -> SamplingOut:
    return SamplingOut(
        units=[
            SampledUnitOut(
                site=SiteOut.model_validate(row.site, from_attributes=True),
                visited=row.visited,
                central=row.central,
                must_visit=row.must_visit,
                reason=row.reason,
                carried_must_visit_reason=row.carried_reason,
                last_visit=row.last_visit,
            )
            for row in plan.units
        ],
        required=plan.required,
        visited=plan.visited,
        not_yet_in_cycle_site_ids=[site.id for site in plan.not_yet_in_cycle],
    )


@router.get("/audits/{audit_id}/sampling", responses=NAMED)
def show_sampling(audit: AuditDep, session: SessionDep) -> SamplingOut:
    """Every production unit of the organisation: visited in this audit or not, why, when the cycle last visited it,
    and IAF MD 1's minimum."""
    return sampling_out(sampling.sampling_plan(session=session, audit=audit))


@router.put("/audits/{audit_id}/sampling", responses=CHANGE_NAMED)
def update_sampling(
    audit: PlanAuditDep, data: SamplingIn, session: SessionDep, user: CurrentUser, settings: SettingsDep
) -> SamplingOut:
    """Set which units the audit visits, each with its reason, and the central function (the lead auditor); refused
    (422) without a reason, without the central function, or with fewer units than IAF MD 1 asks."""
    plan = sampling.save_sampling_plan(
        session=session,
        actor=user,
        audit=audit,
        central_id=data.central_site_id,
        visits={visit.site_id: visit.reason for visit in data.visits},
        must_visit={visit.site_id for visit in data.visits if visit.must_visit},
        secret=settings.secret_key,
    )
    return sampling_out(plan)
