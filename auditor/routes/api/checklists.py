"""Checklist library: what can be audited against."""

from __future__ import annotations

from fastapi import APIRouter

from auditor.checklists import Checklist, Section
from auditor.deps import CurrentUser, LibraryDep
from auditor.errors import NotFound
from auditor.routes.api.refusals import NAMED
from auditor.schemas import ChecklistOut, ChecklistSummaryOut, SectionOut

router = APIRouter(tags=["checklists"])


@router.get("/checklists")
def list_checklists(library: LibraryDep, user: CurrentUser) -> list[ChecklistSummaryOut]:
    """Every checklist in the library, with its version and item count."""
    return [
        ChecklistSummaryOut(
            id=loaded.id,
            version=loaded.checklist.version,
            title=loaded.checklist.title.model_dump(),
            description=loaded.checklist.description.model_dump(),
            audit_types=loaded.checklist.audit_types,
            item_count=loaded.checklist.item_count,
        )
        for loaded in library
    ]


# Without the empty optional fields of items (guidance, typical evidence), as before the response model.
@router.get("/checklists/{checklist_id}", response_model_exclude_none=True, responses=NAMED)
def show_checklist(checklist_id: str, library: LibraryDep, user: CurrentUser) -> ChecklistOut:
    """One checklist with its sections and items."""
    loaded = library.get(checklist_id)
    if loaded is None:
        raise NotFound("No checklist with this id.")
    return checklist_out(loaded.checklist)


def checklist_out(checklist: Checklist) -> ChecklistOut:
    return ChecklistOut(
        id=checklist.id,
        version=checklist.version,
        title=checklist.title.model_dump(),
        description=checklist.description.model_dump(),
        source=checklist.source.model_dump(),
        attribution=checklist.attribution.model_dump(),
        audit_types=checklist.audit_types,
        item_count=checklist.item_count,
        sections=[section_out(section) for section in checklist.sections],
    )


def section_out(section: Section) -> SectionOut:
    return SectionOut(
        code=section.code,
        title=section.title.model_dump(),
        items=section.items,
        sections=[section_out(child) for child in section.sections],
    )
