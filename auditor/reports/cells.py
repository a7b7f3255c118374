"""Values for spreadsheet cells: every CSV and XLSX export writes its cells through here."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from auditor.text import xml_text

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """A value a spreadsheet will show, never run: text starting like a formula gets a leading apostrophe
    (CSV injection); lists and dicts become JSON; dates stay dates; characters XML cannot carry are left out
    (an XLSX file is XML)."""
    if value is None:
        return ""
    if isinstance(value, bool | int | float | date | datetime):
        return value
    text = xml_text(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def as_csv(rows: Iterable[Iterable[Any]]) -> str:
    """A CSV file with every cell through safe_cell (dates and times as ISO 8601)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([cell.isoformat() if isinstance(cell, date | datetime) else safe_cell(cell) for cell in row])
    return buffer.getvalue()
