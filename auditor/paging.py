"""Paging, one way for every list of the app: `limit` (default 50, at most 200) rows from `offset`, with the total."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Generic, TypeVar

from sqlalchemy import func, select
from sqlalchemy.sql import ColumnElement, Select
from sqlmodel import Session

DEFAULT_LIMIT = 50
MAX_LIMIT = 200

T = TypeVar("T")


@dataclass(frozen=True)
class PageRequest:
    """Which rows a list shows: `limit` of them from `offset` (both already checked: 1..MAX_LIMIT and >= 0)."""

    limit: int = DEFAULT_LIMIT
    offset: int = 0


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list, with the total over every page."""

    items: list[T]
    total: int
    limit: int
    offset: int

    def with_items(self, items: list) -> Page:
        """The same page holding other items (each row made into what the caller shows)."""
        return replace(self, items=items)

    @property
    def next_offset(self) -> int | None:
        return self.offset + self.limit if self.offset + self.limit < self.total else None

    @property
    def previous_offset(self) -> int | None:
        """The page before; past the end of the list (an old link after rows went), the list's last page."""
        if self.offset <= 0:
            return None
        if self.offset >= self.total:
            return (self.total - 1) // self.limit * self.limit if self.total else 0
        return max(self.offset - self.limit, 0)


def page_of(session: Session, query: Select, page: PageRequest | None) -> Page:
    """Run `query` (ordered, so that pages do not overlap) for one page, and count all its rows; without `page`,
    every row as one page."""
    if page is None:
        items = list(session.exec(query))
        return whole(items)
    items = list(session.exec(query.limit(page.limit).offset(page.offset)))
    if len(items) < page.limit and (items or page.offset == 0):
        total = page.offset + len(items)  # the last page: its rows tell the total, no count needed
    else:
        total = session.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar_one()
    return Page(items, total, page.limit, page.offset)


def whole(items: list) -> Page:
    """Every item as one page."""
    return Page(items, len(items), max(len(items), 1), 0)


def page_holding(
    session: Session, query: Select, ahead: ColumnElement[bool], limit: int = DEFAULT_LIMIT
) -> PageRequest:
    """The page of `query`'s list that holds one row (just added, or refused and shown again) or held it (just
    removed: the page of its neighbours), told by `ahead`: the condition of the rows before it in the list's order."""
    counts = query.with_only_columns(func.count(), func.count().filter(ahead), maintain_column_froms=True)
    total, before = session.execute(counts.order_by(None)).one()
    return PageRequest(limit, min(before, max(total - 1, 0)) // limit * limit)
