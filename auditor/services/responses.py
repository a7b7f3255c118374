"""Answers to checklist items, saved with optimistic versioning, and the conduct view built from them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache

from sqlalchemy import Update, bindparam, func, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, select

from auditor import vocabulary as v
from auditor.checklists import Checklist, Section
from auditor.errors import DomainError, Invalid, NotFound, StaleVersion
from auditor.models import AnswerReceipt, Audit, Evidence, Finding, Photo, Response, User, utcnow
from auditor.paging import Page, PageRequest, page_of
from auditor.schemas import Progress, ResponseIn
from auditor.services import access, sync, trail
from auditor.services.audits import ensure_open, is_open, progress
from auditor.services.checklists import PlacedItem, audit_structure
from auditor.services.evidence import list_evidence
from auditor.services.photos import list_photos

SAVED_FIELDS = ("verdict", "note", "weighing")
# What a save reads of its audit (deps.conduct_work reads only these: an audit has some forty columns, most of them
# for its report); any other is read when first used.
AUDIT_COLUMNS = (Audit.id, Audit.status, Audit.audit_type, Audit.checklists_key)


def save_response(*, session: Session, actor: User, audit: Audit, item_id: str, data: ResponseIn) -> Response:
    """Save an answer. Fields sent change (`"verdict": null` clears the verdict), fields left out keep their value.
    Idempotent: a save whose fields already equal the stored answer returns it, whatever version it was based on (a
    tablet that lost the reply sends it again), even in a closed audit, since it changes nothing. A change sent with
    the id the tablet made for it (`data.client_id`) is idempotent by that id too: sent again it returns what it saved
    the first time, with the version it made, even after a newer change of the item (services/sync.py).
    A save that would change an answer based on an older version than the stored one raises StaleVersion."""
    access.require_audit(session=session, user=actor, audit=audit, can=access.Can.CONDUCT)
    return _save(session=session, actor=actor, audit=audit, item_id=item_id, data=data)


def save_responses(
    *, session: Session, actor: User, audit: Audit, changes: Sequence[tuple[str, ResponseIn]]
) -> list[Response | DomainError]:
    """Save a tablet's queued answers (item id and fields) in one transaction, in their order, each as save_response
    saves one: each change's saved answer, or its refusal (a conflict, a closed audit, a bad value) in its place.
    Each save runs in a savepoint, so a refused change leaves nothing behind and the others still land. The access
    check runs once: no answer changes who may conduct the audit (it was most of the work of a save in a batch)."""
    access.require_audit(session=session, user=actor, audit=audit, can=access.Can.CONDUCT)
    results: list[Response | DomainError] = []
    for item_id, data in changes:
        try:
            with session.begin_nested():
                results.append(_save(session=session, actor=actor, audit=audit, item_id=item_id, data=data))
        except DomainError as refusal:
            results.append(refusal)
    return results


def _save(*, session: Session, actor: User, audit: Audit, item_id: str, data: ResponseIn) -> Response:
    """save_response once the actor may conduct the audit."""
    placed = audit_structure(session=session, audit=audit).items.get(item_id)
    if placed is None:
        raise NotFound("This audit has no checklist item with this id.")
    sent = {name: getattr(data, name) for name in SAVED_FIELDS if name in data.model_fields_set}
    if sent.get("note") is None:
        sent.pop("note", None)  # a note is cleared with "", never with null
    if sent.get("verdict"):
        _check_answer(audit, placed, sent["verdict"])

    now = utcnow()
    current, saved = None, None
    if data.version == 0 and is_open(audit):  # a first save, the common case: its INSERT needs no read before it
        changes = _weighed(placed, None, sent)
        saved = _insert(session=session, actor=actor, audit=audit, item_id=item_id, changes=changes, at=now)
    if saved is None:  # the item has an answer (or the save is not a first one): read it, then decide
        current = get_response(session=session, audit=audit, item_id=item_id)
        changes = _weighed(placed, current, sent)
        stale = (current.version if current else 0) != data.version
        if stale and data.client_id is not None:  # a change sent again (its reply lost) finds its receipt
            receipt = sync.answer_receipt(
                session=session, client_id=data.client_id, actor=actor, audit=audit, item_id=item_id
            )
            if receipt is not None:
                return _first_result(receipt, current, changes)
        if current is not None and all(getattr(current, name) == value for name, value in changes.items()):
            return current  # nothing to change: a repeated or empty save
        ensure_open(audit)
        if stale:
            raise _stale(session=session, audit=audit, item_id=item_id, current=current, submitted=data)
        if current is None:
            saved = _insert(session=session, actor=actor, audit=audit, item_id=item_id, changes=changes, at=now)
        elif _update(session=session, actor=actor, answer=current, based_on=data.version, changes=changes, at=now):
            saved = current
        if saved is None:  # another save of the item landed between our read and our write (it wrote nothing)
            return _lost_race(session=session, actor=actor, audit=audit, item_id=item_id, data=data, changes=changes)

    before = trail.snapshot("response", current)  # as read, before the UPDATE's values are set on it below
    if data.client_id is not None:  # refused (an id used before): rolled back with the write, `saved` left as read
        sync.keep_answer_receipt(
            session=session,
            client_id=data.client_id,
            actor=actor,
            audit=audit,
            item_id=item_id,
            version=data.version + 1,
            at=now,
        )
    if current is not None:  # what the UPDATE wrote, so the answer needs no second read
        for name, value in {
            **changes,
            "version": data.version + 1,
            "updated_at": now,
            "updated_by_id": actor.id,
        }.items():
            set_committed_value(current, name, value)
    if audit.status == v.AuditStatus.PLANNED:
        audit.status = v.AuditStatus.IN_PROGRESS
        session.add(audit)
    trail.record(
        session=session,
        actor=actor,
        action="create" if current is None else "update",
        entity="response",
        entity_id=item_id,
        audit_id=audit.id,
        before=before,
        after={**(before or {"item_id": item_id, "verdict": None, "note": ""}), **changes, "version": data.version + 1},
    )
    session.flush()  # the request's unit of work commits
    return saved


def _insert(
    *, session: Session, actor: User, audit: Audit, item_id: str, changes: dict, at: datetime
) -> Response | None:
    """An item's first answer, or None (nothing written) when the item has an answer already."""
    values = {"audit_id": audit.id, "item_id": item_id, "version": 1, "updated_at": at, "updated_by_id": actor.id}
    values |= changes
    # A plain INSERT (the ORM's unit of work would cost more than the statement) that does nothing when the item has
    # an answer (a first save of the same item, at the same moment, won): no error, so nothing to roll back, in a
    # batch (save_responses) either.
    new_id = session.connection().execute(_INSERT_ANSWER[session.get_bind().dialect.name], values).scalar_one_or_none()
    return None if new_id is None else Response(id=new_id, **values)


def _update(*, session: Session, actor: User, answer: Response, based_on: int, changes: dict, at: datetime) -> bool:
    """Write `changes` to the answer if its version is still `based_on`; False (nothing written) when another save
    changed it since it was read."""
    parameters = {**changes, "answer_id": answer.id, "based_on": based_on, "at": at, "by": actor.id}
    return session.connection().execute(_update_answer(tuple(changes)), parameters).rowcount == 1


def _first_result(receipt: AnswerReceipt, current: Response | None, changes: dict) -> Response:
    """What a change sent again answers: the answer as it saved it the first time, with the version it made. When the
    item was changed since, that answer is no longer stored: the fields this change sent (the same as the first time)
    over the stored ones, with its version, time and author."""
    if current is not None and current.version == receipt.version:
        return current
    stored = {name: getattr(current, name) for name in SAVED_FIELDS} if current is not None else {}
    return Response(
        audit_id=receipt.audit_id,
        item_id=receipt.item_id,
        **(stored | changes),
        version=receipt.version,
        updated_at=receipt.saved_at,
        updated_by_id=receipt.user_id,
    )


def _lost_race(
    *, session: Session, actor: User, audit: Audit, item_id: str, data: ResponseIn, changes: dict
) -> Response:
    """Another save of the item landed between our read and our write: when it was this very change (sent twice at
    once), its first result; otherwise StaleVersion with the answer read afresh."""
    current = get_response(session=session, audit=audit, item_id=item_id, fresh=True)
    if data.client_id is not None:
        receipt = sync.answer_receipt(
            session=session, client_id=data.client_id, actor=actor, audit=audit, item_id=item_id
        )
        if receipt is not None:
            return _first_result(receipt, current, changes)
    raise _stale(session=session, audit=audit, item_id=item_id, current=current, submitted=data)


def _insert_answer(insert):
    """A first answer's INSERT in a dialect's own words: nothing is inserted (and no id returned) when the item has an
    answer already (a first save of the same item, at the same moment, won)."""
    table = Response.__table__
    return insert(table).on_conflict_do_nothing(index_elements=["audit_id", "item_id"]).returning(table.c.id)


_INSERT_ANSWER = {"sqlite": _insert_answer(sqlite.insert), "postgresql": _insert_answer(postgresql.insert)}


@cache
def _update_answer(fields: tuple[str, ...]) -> Update:
    """The UPDATE of the `fields` a save changes (a few of SAVED_FIELDS, in their order: at most seven statements),
    built once and run on the connection: that answer's version if it is still the one the save was based on. Built
    anew and run through the ORM's bulk UPDATE, a change of an answer cost 7.76 million instructions instead of 5.36
    (bench/count_save.py --edits)."""
    table = Response.__table__
    return (
        update(table)
        .where(table.c.id == bindparam("answer_id"), table.c.version == bindparam("based_on"))
        .values(
            {name: bindparam(name, type_=table.c[name].type) for name in fields}
            | {"version": table.c.version + 1, "updated_at": bindparam("at"), "updated_by_id": bindparam("by")}
        )
    )


def _weighed(placed: PlacedItem, current: Response | None, sent: dict) -> dict:
    """The fields a save sent, with the weighing to store in place of the one sent (see _weighing)."""
    if "weighing" not in sent:
        return sent
    return sent | {"weighing": _weighing(placed, current, sent["weighing"])}


def _weighing(placed: PlacedItem, current: Response | None, sent) -> dict[str, str] | None:
    """The weighing to store: the parts sent over the stored ones (None when every part is empty, or when null was
    sent). Refused on an item whose checklist does not ask for it."""
    if sent is None:
        return None
    if not placed.item.weighing:
        raise Invalid("This item has no weighing frame.", field="weighing")
    stored = (current.weighing if current else None) or {}
    weighing = {part: stored.get(part, "") for part in v.WEIGHING_PARTS.values}
    weighing.update(sent.model_dump(exclude_unset=True))
    return weighing if any(text.strip() for text in weighing.values()) else None


def _stale(
    *,
    session: Session,
    audit: Audit,
    item_id: str,
    current: Response | None,
    submitted: ResponseIn,
) -> StaleVersion:
    """The refusal of a save based on an old version, with the stored answer and who saved it."""
    current = current or blank_response(audit=audit, item_id=item_id)
    return StaleVersion(
        current=current,
        submitted=submitted,
        updated_by=editor_names(session=session, answers=[current]).get(current.updated_by_id),
    )


def blank_response(*, audit: Audit, item_id: str) -> Response:
    """An item not answered yet: version 0."""
    return Response(audit_id=audit.id, item_id=item_id, version=0, updated_at=None)


def editor_names(*, session: Session, answers: list[Response], actor: User | None = None) -> dict[int | None, str]:
    """The display name (never the e-mail) of whoever saved each answer last, by user id; the actor's own saves need
    no query."""
    known: dict[int | None, str] = {actor.id: actor.name} if actor is not None else {}
    wanted = {a.updated_by_id for a in answers if a.updated_by_id is not None} - known.keys()
    if wanted:
        known.update(session.exec(select(User.id, User.name).where(User.id.in_(wanted))).all())
    return known


def _check_answer(audit: Audit, placed: PlacedItem, answer: str) -> None:
    if answer in {c.value for c in v.answers_for(audit.audit_type, placed.item.kind)}:
        return
    if placed.item.is_step:
        raise Invalid("A step of the audit is done or not done; it takes no verdict.", field="verdict")
    if answer in v.STEP_STATES:
        raise Invalid("Done and not done are for the audit's own steps; a question takes a verdict.", field="verdict")
    raise Invalid("An ungraded nonconformity is for internal audits; grade it major or minor.", field="verdict")


def get_response(*, session: Session, audit: Audit, item_id: str, fresh: bool = False) -> Response | None:
    """The stored answer; `fresh` re-reads it past the session's identity map (after a bulk UPDATE)."""
    query = _ANSWER.execution_options(populate_existing=True) if fresh else _ANSWER
    return session.execute(query, {"audit_id": audit.id, "item_id": item_id}).scalars().first()


# The statements of a save, built once (building one costs more than SQLite running it).
_ANSWER = select(Response).where(Response.audit_id == bindparam("audit_id"), Response.item_id == bindparam("item_id"))


def answer_for(*, session: Session, audit: Audit, item_id: str) -> Response:
    """The stored answer to an item of the audit, or a blank one (version 0) if there is none yet."""
    if item_id not in audit_structure(session=session, audit=audit).items:
        raise NotFound("This audit has no checklist item with this id.")
    return get_response(session=session, audit=audit, item_id=item_id) or blank_response(audit=audit, item_id=item_id)


def list_responses(*, session: Session, audit: Audit, page: PageRequest | None = None) -> Page[Response]:
    """The audit's answers in the order they were first saved; one page of them, or all without `page`."""
    return page_of(session, select(Response).where(Response.audit_id == audit.id).order_by(Response.id), page)


@dataclass
class ConductItem:
    placed: PlacedItem
    response: Response | None
    evidence: list[Evidence]
    finding_count: int
    photos: list = field(default_factory=list)
    updated_by: str | None = None  # the name of who saved the answer last

    @property
    def item(self):
        return self.placed.item

    @property
    def version(self) -> int:
        return self.response.version if self.response else 0

    @property
    def verdict(self) -> str | None:
        return self.response.verdict if self.response else None


@dataclass
class ConductGroup:
    """Items under one (sub-)section heading; `headings` are the sections below the top one."""

    headings: tuple[Section, ...]
    items: list[ConductItem]


@dataclass
class ConductSection:
    key: str
    checklist: Checklist
    section: Section
    groups: list[ConductGroup]
    progress: Progress
    first_of_checklist: bool = False  # the checklist's first section: the page shows who wrote it there


@dataclass
class ConductView:
    sections: list[ConductSection]
    progress: Progress


def conduct_view(*, session: Session, actor: User, audit: Audit) -> ConductView:
    """Everything the conduct page shows, with progress per top-level section and overall."""
    structure = audit_structure(session=session, audit=audit)
    responses = {r.item_id: r for r in session.exec(select(Response).where(Response.audit_id == audit.id))}
    evidence: dict[str, list[Evidence]] = defaultdict(list)
    for entry in list_evidence(session=session, actor=actor, audit=audit).items:
        evidence[entry.item_id].append(entry)
    photos_by_item: dict[str, list[Photo]] = defaultdict(list)
    for photo in list_photos(session=session, actor=actor, audit=audit).items:
        if photo.item_id is not None:  # a photo of a finding has no item
            photos_by_item[photo.item_id].append(photo)
    finding_counts = dict(
        session.exec(
            select(Finding.item_id, func.count()).where(Finding.audit_id == audit.id).group_by(Finding.item_id)
        ).all()
    )
    editors = editor_names(session=session, answers=list(responses.values()), actor=actor)

    sections: dict[str, ConductSection] = {}
    for item_id, placed in structure.items.items():
        key = placed.top_section_key
        section = sections.get(key)
        if section is None:
            previous = next(reversed(sections.values()), None)
            first = previous is None or previous.checklist is not placed.checklist
            section = sections[key] = ConductSection(key, placed.checklist, placed.path[0], [], progress(0, 0), first)
        headings = placed.path[1:]
        if not section.groups or section.groups[-1].headings != headings:
            section.groups.append(ConductGroup(headings, []))
        answer = responses.get(item_id)
        section.groups[-1].items.append(
            ConductItem(
                placed,
                answer,
                evidence.get(item_id, []),
                finding_counts.get(item_id, 0),
                photos_by_item.get(item_id, []),
                editors.get(answer.updated_by_id) if answer else None,
            )
        )
    answered_total = 0
    for section in sections.values():
        items = [item for group in section.groups for item in group.items]
        answered = sum(1 for item in items if item.verdict)
        answered_total += answered
        section.progress = progress(answered, len(items))
    return ConductView(list(sections.values()), progress(answered_total, structure.total))
