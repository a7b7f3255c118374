"""Checklists as an audit sees them: frozen snapshots, and the item index built from them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam
from sqlmodel import Session, select

from auditor.checklists import Checklist, Item, LoadedChecklist, Section
from auditor.models import AuditChecklist, ChecklistSnapshot


@dataclass(frozen=True)
class PlacedItem:
    """An item with where it sits: its checklist and the sections above it."""

    item: Item
    checklist: Checklist
    path: tuple[Section, ...]

    @property
    def top_section_key(self) -> str:
        return section_key(self.checklist, self.path[0])


def section_key(checklist: Checklist, section: Section) -> str:
    """A stable HTML-safe key for a top-level section."""
    return f"{checklist.id}--{section.code}".replace(".", "-").replace(" ", "-")


@dataclass(frozen=True)
class AuditStructure:
    """The frozen checklists of one audit, in order, and every item by id. Kept for the process across sessions
    (audit_structure): read the parsed Checklist, never the snapshot row's attributes, which a session that ended
    may have expired."""

    checklists: tuple[tuple[ChecklistSnapshot, Checklist], ...]
    items: dict[str, PlacedItem]

    @property
    def total(self) -> int:
        return len(self.items)


def snapshot_for(*, session: Session, loaded: LoadedChecklist) -> ChecklistSnapshot:
    """The snapshot of this exact file content, stored the first time an audit uses it."""
    snapshot = session.exec(
        select(ChecklistSnapshot).where(
            ChecklistSnapshot.checklist_id == loaded.id, ChecklistSnapshot.sha256 == loaded.sha256
        )
    ).first()
    if snapshot is None:
        checklist = loaded.checklist
        snapshot = ChecklistSnapshot(
            checklist_id=checklist.id,
            version=checklist.version,
            sha256=loaded.sha256,
            title=checklist.title.model_dump(),
            item_count=checklist.item_count,
            content=loaded.content(),
        )
        session.add(snapshot)
        session.flush()
    return snapshot


def audit_structure(*, session: Session, audit_id: int) -> AuditStructure:
    rows = session.execute(_SNAPSHOT_KEYS, {"audit_id": audit_id}).all()
    key = tuple(sha for _, sha in rows)
    cached = _structure_cache.get(key)
    if cached is None:
        snapshot_ids = [snapshot_id for snapshot_id, _ in rows]
        snapshots = {
            s.id: s for s in session.exec(select(ChecklistSnapshot).where(ChecklistSnapshot.id.in_(snapshot_ids)))
        }
        cached = _build_structure([snapshots[i] for i in snapshot_ids])
        if len(_structure_cache) > 256:
            _structure_cache.clear()
        _structure_cache[key] = cached
    return cached


# Asked on every save: built once, on the tables themselves (the ORM's statement handling costs more than SQLite
# running the query).
_chosen, _snapshot = AuditChecklist.__table__.c, ChecklistSnapshot.__table__.c
_SNAPSHOT_KEYS = (
    select(_chosen.snapshot_id, _snapshot.sha256)
    .join_from(AuditChecklist.__table__, ChecklistSnapshot.__table__)
    .where(_chosen.audit_id == bindparam("audit_id"))
    .order_by(_chosen.position)
)

# Keyed by the snapshots' content hashes: a snapshot never changes, so its structure stays true for the process.
_structure_cache: dict[tuple[str, ...], AuditStructure] = {}


def _build_structure(snapshots: list[ChecklistSnapshot]) -> AuditStructure:
    checklists = tuple((snapshot, parse_snapshot(snapshot)) for snapshot in snapshots)
    items = {}
    for _, checklist in checklists:
        for path, item in checklist.walk():
            items[item.id] = PlacedItem(item, checklist, path)
    return AuditStructure(checklists, items)


def parse_snapshot(snapshot: ChecklistSnapshot) -> Checklist:
    return Checklist.model_validate(snapshot.content)
