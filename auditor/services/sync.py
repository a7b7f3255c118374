"""Client-made ids: what a tablet creates offline carries a UUID its outbox made, so sending it again is harmless.

A tablet that loses the reply to a create (the network went at the wrong moment) sends the same create again. The
first request stores the row with its `client_id` (unique in the database); a later one with the same id gets the
stored row back, as if it were the first reply, and nothing is created twice. An id that another user, or another
audit, already used is refused (ClientIdTaken, 409): it is a client's bug or a guess, never a replay.
"""

from __future__ import annotations

from typing import TypeVar
from uuid import UUID

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from auditor import metrics
from auditor.errors import ClientIdTaken
from auditor.i18n import N_
from auditor.models import Audit, Evidence, Finding, Photo, User

Row = TypeVar("Row", Evidence, Finding, Photo)


def stored_id(client_id: UUID | str | None) -> str | None:
    """The client id as the database keeps it (the UUID's canonical text)."""
    return str(client_id) if client_id is not None else None


def earlier(
    *, session: Session, model: type[Row], client_id: UUID | str | None, actor: User, audit: Audit
) -> Row | None:
    """The row an earlier request with this client id created (counted as a replay), or None for a new id or none."""
    if client_id is None:
        return None
    row = session.exec(select(model).where(model.client_id == stored_id(client_id))).first()
    if row is None:
        return None
    if row.audit_id != audit.id or row.created_by_id != actor.id:
        raise ClientIdTaken(
            N_("This change's id was already used by another user or in another audit. Nothing was saved.")
        )
    metrics.record_sync(entity=str(model.__tablename__), replay=True)
    return row


def insert(*, session: Session, row: Row, actor: User, audit: Audit) -> Row:
    """Add `row` and flush it. When a request with the same client id stored its row between our look-up and this
    insert (two replays at once), the database refuses ours: then the whole transaction is rolled back and the
    other request's row is the answer. The caller sees which by `returned is not row`."""
    session.add(row)
    if row.client_id is None:
        session.flush()
        return row
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        winner = earlier(session=session, model=type(row), client_id=row.client_id, actor=actor, audit=audit)
        if winner is None:  # refused for another reason
            raise
        return winner
    metrics.record_sync(entity=str(type(row).__tablename__), replay=False)
    return row
