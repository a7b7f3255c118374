"""Text that XML can carry (Word, Excel and the OpenDocument formats are XML): the one rule for what a text field
accepts on the way in, and the one way the exports make what is already stored fit to write."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from auditor.i18n import N_

# XML 1.0 allows tab, line feed and carriage return, and no other control character; nor lone surrogates or
# U+FFFE/U+FFFF. A NUL is also what PostgreSQL cannot keep in a text column.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
CONTROL_CHARACTER = N_(
    "This text contains a control character that cannot be stored (often pasted along from another program). "
    "Remove it and try again."
)


def storable(text: str) -> bool:
    """True if `text` has no character that a Word report, a spreadsheet or the database could not carry."""
    return NOT_XML.search(text) is None


def unstorable_text(value: Any) -> bool:
    """True if any text in `value` (a string, or a list or dict of them, keys included) is not storable."""
    if isinstance(value, str):
        return not storable(value)
    if isinstance(value, dict):
        return any(unstorable_text(key) or unstorable_text(item) for key, item in value.items())
    if isinstance(value, list | tuple | set):
        return any(unstorable_text(item) for item in value)
    return False


def refuse_unstorable(value: Any) -> Any:
    """A pydantic validator: the value unchanged, or ValueError with the message a person can act on."""
    if unstorable_text(value):
        raise ValueError(CONTROL_CHARACTER)
    return value


def xml_text(text: str) -> str:
    """`text` without the characters XML cannot carry (for writing what was stored before the rule)."""
    return NOT_XML.sub("", text)


def scrub(value: Any) -> Any:
    """`value` with xml_text applied to every string in it: in lists, tuples, dicts and dataclasses."""
    if isinstance(value, str):
        return xml_text(value) if NOT_XML.search(value) else value
    if isinstance(value, list):
        return [scrub(item) for item in value]
    if isinstance(value, tuple):
        return type(value)(*map(scrub, value)) if hasattr(value, "_fields") else tuple(scrub(item) for item in value)
    if isinstance(value, dict):
        return {scrub(key): scrub(item) for key, item in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.replace(
            value, **{f.name: scrub(getattr(value, f.name)) for f in dataclasses.fields(value) if f.init}
        )
    return value
