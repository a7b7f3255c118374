"""The numbers people quote: F-003 within an audit, 0012 within an organisation for a case (its prefix says what
the case is: NC-0012 for an audit's nonconformity, LE-0012 / MR-0012 for a management review's decision;
vocabulary.case_prefix). One counter per organisation for every kind of case, so a number is never given twice
whatever the prefix.

Each audit and each organisation has a counter row, taken with one UPDATE ... RETURNING in the caller's
transaction: PostgreSQL locks the row until that transaction ends and SQLite serialises writers, so two people
raising a finding at the same moment get consecutive numbers, never the same one. A number taken by a
transaction that rolls back is not given again (a gap is harmless; a duplicate is not)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Select, func, literal, true, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import InstrumentedAttribute
from sqlmodel import Session, select

from auditor.models import Case, CaseCounter, Finding, FindingCounter

_INSERTS: dict[str, Callable[..., postgresql.Insert | sqlite.Insert]] = {
    "postgresql": postgresql.insert,
    "sqlite": sqlite.insert,
}


def next_finding_number(*, session: Session, audit_id: int) -> int:
    highest = select(func.max(Finding.number)).where(Finding.audit_id == audit_id)
    return _take(session, FindingCounter, FindingCounter.audit_id, audit_id, highest)


def next_case_number(*, session: Session, organisation_id: int) -> int:
    highest = select(func.max(Case.number)).where(Case.organisation_id == organisation_id)
    return _take(session, CaseCounter, CaseCounter.organisation_id, organisation_id, highest)


def _take(
    session: Session,
    counter: type[FindingCounter | CaseCounter],
    owner: InstrumentedAttribute[int],
    owner_id: int,
    highest: Select,
) -> int:
    # The row is made on first use, starting from the highest number already there (rows written before the
    # counter existed); ON CONFLICT DO NOTHING lets two first uses meet without an error.
    insert = _INSERTS[session.get_bind().dialect.name](counter)
    seed = select(literal(owner_id), func.coalesce(highest.scalar_subquery(), 0)).where(
        true()
    )  # SQLite needs a WHERE before ON CONFLICT
    session.execute(insert.from_select([owner.key, "last_number"], seed).on_conflict_do_nothing())
    taken = (
        update(counter)
        .where(owner == owner_id)
        .values(last_number=counter.last_number + 1)
        .returning(counter.last_number)
    )
    return session.execute(taken.execution_options(synchronize_session=False)).scalar_one()
