"""SQL conditions on the JSON columns that findings and cases share (clause references and tags), for filtered
lists on SQLite and PostgreSQL alike. Below both services, so each can use them without importing the other."""

from __future__ import annotations

import json

from sqlalchemy import ColumnElement, String, cast, or_


def clause_condition(column, wanted: str) -> ColumnElement[bool]:
    """A JSON list of clause references (`column`) holds one that is `wanted` or under it: '45003:6.1.2' matches
    '6.1', '6.1.2' and '45003:6', not '45001:6.1' or '6.12'. Matched on the list's JSON text, which both databases
    keep as written (json.dumps), so the same condition works on SQLite and PostgreSQL."""
    standard, _, number = wanted.rpartition(":")
    start = f'"{_json_text(standard)}:' if standard else ":"
    text = cast(column, String)
    return or_(*(text.like(f"%{like_escape(start + _json_text(number))}{end}%", escape="\\") for end in ('"', ".")))


def tag_condition(column, key: str, value: str) -> ColumnElement[bool]:
    """A JSON object of tag lists (`column`) has `value` in its list `key`."""
    return cast(column[key], String).like(f"%{like_escape(json.dumps(value))}%", escape="\\")


def _json_text(text: str) -> str:
    return json.dumps(text)[1:-1]


def like_escape(text: str) -> str:
    """`text` matched literally by LIKE ... ESCAPE '\\'."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
