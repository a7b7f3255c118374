"""Checklists as an audit sees them: frozen snapshots, and the item index built from them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from auditor.checklists import Checklist, Item, LoadedChecklist, Section
from auditor.models import Audit, AuditChecklist, ChecklistSnapshot


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


def checklists_key(snapshots: list[ChecklistSnapshot]) -> str:
    """What an audit keeps of its checklists, in their order, to find them parsed (Audit.checklists_key): their
    content hashes. Set once, when the audit is planned; a snapshot never changes, so neither does the key."""
    return ",".join(snapshot.sha256 for snapshot in snapshots)


def audit_structure(*, session: Session, audit: Audit) -> AuditStructure:
    """The audit's checklists, parsed, and every item by id. Asked on every save: found by the audit's
    checklists_key in this process's cache, so no statement; read from the audit's snapshots only the first time the
    process meets these checklists."""
    key = audit.checklists_key
    cached = _structure_cache.get(key)
    if cached is None:
        snapshots = session.exec(
            select(ChecklistSnapshot)
            .join(AuditChecklist)
            .where(AuditChecklist.audit_id == audit.id)
            .order_by(AuditChecklist.position)
        )
        cached = _build_structure(list(snapshots))
        if len(_structure_cache) > 256:
            _structure_cache.clear()
        _structure_cache[key] = cached
    return cached


# Keyed by the snapshots' content hashes (Audit.checklists_key): a snapshot never changes, so its structure stays
# true for the process, whichever database or audit it was read for.
_structure_cache: dict[str, AuditStructure] = {}


def _build_structure(snapshots: list[ChecklistSnapshot]) -> AuditStructure:
    checklists = tuple((snapshot, parse_snapshot(snapshot)) for snapshot in snapshots)
    items = {}
    for _, checklist in checklists:
        for path, item in checklist.walk():
            items[item.id] = PlacedItem(item, checklist, path)
    return AuditStructure(checklists, items)


def parse_snapshot(snapshot: ChecklistSnapshot) -> Checklist:
    return Checklist.model_validate(snapshot.content)
