"""Client-made ids: what a tablet creates offline carries a UUID its outbox made, so sending it again is harmless.

A tablet that loses the reply to a create (the network went at the wrong moment) sends the same create again. The
first request stores the row with its `client_id` (unique in the database); a later one with the same id gets the
stored row back, as if it were the first reply, and nothing is created twice. An id that another user, or another
audit, already used is refused (ClientIdTaken, 409): it is a client's bug or a guess, never a replay.

A change of an answer creates no row of its own: its id is kept in an answer receipt with the version the change made,
written in the save's transaction (one INSERT). Sent again, even after a newer change of the item, the change answers
with that version and saves nothing (services/responses.py). The receipts of an audit are forgotten when it closes
(a closed audit takes no change: a change sent then is confirmed only while its fields are still the stored answer,
else refused as closed and kept on the tablet for export), so the table holds the open audits' changes only.
"""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar
from uuid import UUID

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from auditor import metrics
from auditor.errors import ClientIdTaken
from auditor.i18n import N_
from auditor.models import AnswerReceipt, Audit, Evidence, Finding, Photo, User

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


_ANSWER_ID_TAKEN = N_("This change's id was already used for another change. Nothing was saved.")


def answer_receipt(
    *, session: Session, client_id: UUID | str, actor: User, audit: Audit, item_id: str
) -> AnswerReceipt | None:
    """The receipt of an earlier save of this change of an answer (counted as a replay), or None for a new id. An id
    that another user, or another item, used is refused."""
    receipt = session.get(AnswerReceipt, (audit.id, stored_id(client_id)))
    if receipt is None:
        return None
    if receipt.user_id != actor.id or receipt.item_id != item_id:
        raise ClientIdTaken(_ANSWER_ID_TAKEN)
    metrics.record_sync(entity="response", replay=True)
    return receipt


def keep_answer_receipt(
    *, session: Session, client_id: UUID | str, actor: User, audit: Audit, item_id: str, version: int, at: datetime
) -> None:
    """Record, in the save's transaction, that this change of an answer made `version`. An id the audit has a receipt
    of already (the same id sent with other fields) is refused: the caller's savepoint or transaction is rolled back."""
    values = {
        "audit_id": audit.id,
        "client_id": stored_id(client_id),
        "item_id": item_id,
        "version": version,
        "user_id": actor.id,
        "saved_at": at,
    }
    receipt = session.connection().execute(_INSERT_RECEIPT[session.get_bind().dialect.name], values)
    if receipt.scalar_one_or_none() is None:
        raise ClientIdTaken(_ANSWER_ID_TAKEN)
    metrics.record_sync(entity="response", replay=False)


def forget_answer_receipts(*, session: Session, audit: Audit) -> None:
    """The audit closes: its receipts are no longer needed (see the module's text)."""
    session.execute(delete(AnswerReceipt).where(AnswerReceipt.audit_id == audit.id))


def _insert_receipt(insert):
    """The receipt's INSERT, which returns its version, or nothing when the audit has a receipt with this id already
    (an INSERT's rowcount is -1 on PostgreSQL's driver: RETURNING says it on both)."""
    table = AnswerReceipt.__table__
    return insert(table).on_conflict_do_nothing(index_elements=["audit_id", "client_id"]).returning(table.c.version)


# Built once (building a statement costs more than SQLite running it), like the answer's own INSERT.
_INSERT_RECEIPT = {"sqlite": _insert_receipt(sqlite.insert), "postgresql": _insert_receipt(postgresql.insert)}
