"""The checklist library: loading, validating and looking up checklists (format in checklists/FORMAT.md).

A checklist file is YAML. It is validated on load; every error names the file, the item (by id where
it has one) and the field, so the person who edits the file can find the line to fix.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator, model_validator
from pydantic_core import ErrorDetails

from auditor import vocabulary as v

FORMAT_VERSION = 1
ID_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,79}$"
CLAUSE_PATTERN = re.compile(r"^(45001|45003):\d+(\.\d+)*$")

NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(_Strict):
    """A text in both languages."""

    da: NonEmpty
    en: NonEmpty


class TagLists(_Strict):
    """What a checklist item or a finding is about; every value comes from auditor/vocabulary.py."""

    bek1406: list[str] = []
    hazards: list[str] = []
    actors: list[str] = []

    @field_validator("bek1406", "hazards", "actors")
    @classmethod
    def _known(cls, values: list[str], info) -> list[str]:
        vocabulary = {"bek1406": v.BEK1406_FACTORS, "hazards": v.HAZARD_FACTORS, "actors": v.ACTORS}[info.field_name]
        return _check_known(values, vocabulary)


class Tags(TagLists):
    prevention: str | None = None

    @field_validator("prevention")
    @classmethod
    def _known_prevention(cls, value: str | None) -> str | None:
        if value is not None:
            _check_known([value], v.PREVENTION_LEVELS)
        return value


def _check_known(values: list[str], vocabulary: v.Vocabulary) -> list[str]:
    unknown = [value for value in values if value not in vocabulary]
    if unknown:
        raise ValueError(f"unknown value {unknown[0]!r}; expected one of: {', '.join(vocabulary.values)}")
    return values


class Item(_Strict):
    id: Annotated[str, Field(pattern=ID_PATTERN)]
    code: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=24)]
    kind: v.ItemKind = v.ItemKind.QUESTION
    clauses: list[str] = []
    question: Text
    guidance: Text | None = None
    typical_evidence: Text | None = None
    tags: Tags = Tags()
    weighing: bool = False  # answered with Arbejdstilsynet's weighing frame (vocabulary.WEIGHING_PARTS) too

    @field_validator("clauses")
    @classmethod
    def _clause_refs(cls, values: list[str]) -> list[str]:
        for ref in values:
            if not CLAUSE_PATTERN.match(ref):
                raise ValueError(f"clause {ref!r} must look like '45003:6.1.2' or '45001:9.3'")
        return values

    @model_validator(mode="after")
    def _a_step_is_not_a_requirement(self) -> Item:
        if self.is_step and (self.clauses or self.tags != Tags() or self.weighing):
            raise ValueError("a step is the auditor's own work: it takes no clauses, no tags and no weighing")
        return self

    @property
    def is_step(self) -> bool:
        return self.kind == v.ItemKind.STEP


class Section(_Strict):
    code: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=24)]
    title: Text
    description: Text | None = None
    sections: list[Section] = []
    items: list[Item] = []


class Checklist(_Strict):
    format: Literal[1]
    id: Annotated[str, Field(pattern=ID_PATTERN)]
    version: NonEmpty
    title: Text
    description: Text
    source: Text
    attribution: Text
    audit_types: list[str] = []
    sections: Annotated[list[Section], Field(min_length=1)]

    @field_validator("audit_types")
    @classmethod
    def _known_audit_types(cls, values: list[str]) -> list[str]:
        return _check_known(values, v.AUDIT_TYPES)

    def items(self) -> Iterator[Item]:
        for _, item in self.walk():
            yield item

    def walk(self) -> Iterator[tuple[tuple[Section, ...], Item]]:
        """Every item with the path of sections above it, in document order."""

        def visit(section: Section, path: tuple[Section, ...]):
            path = (*path, section)
            for item in section.items:
                yield path, item
            for child in section.sections:
                yield from visit(child, path)

        for top in self.sections:
            yield from visit(top, ())

    @property
    def item_count(self) -> int:
        return sum(1 for _ in self.items())


@dataclass(frozen=True)
class ChecklistError:
    """One problem in one file, worded for the person editing it."""

    path: str
    message: str
    item: str | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = [self.path]
        if self.item:
            where.append(f"item {self.item}")
        if self.field:
            where.append(f"field '{self.field}'")
        return f"{': '.join(where)}: {self.message}"


@dataclass(frozen=True)
class LoadedChecklist:
    checklist: Checklist
    path: Path
    sha256: str

    @property
    def id(self) -> str:
        return self.checklist.id

    def content(self) -> dict[str, Any]:
        """The JSON-ready content that an audit freezes."""
        return self.checklist.model_dump(mode="json", exclude_none=True)


@dataclass
class Library:
    checklists: dict[str, LoadedChecklist] = field(default_factory=dict)
    errors: list[ChecklistError] = field(default_factory=list)

    def get(self, checklist_id: str) -> LoadedChecklist | None:
        return self.checklists.get(checklist_id)

    def __iter__(self) -> Iterator[LoadedChecklist]:
        return iter(sorted(self.checklists.values(), key=lambda c: c.id))


class _UniqueKeyLoader(yaml.SafeLoader):
    """A YAML loader that refuses a key written twice (PyYAML silently keeps the last one)."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"key {key!r} appears twice", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def parse_file(path: Path) -> tuple[LoadedChecklist | None, list[ChecklistError]]:
    """Read and validate one checklist file."""
    name = str(path)
    try:
        raw_bytes = path.read_bytes()
        data = yaml.load(raw_bytes.decode("utf-8"), Loader=_UniqueKeyLoader)
    except (OSError, UnicodeDecodeError) as exc:
        return None, [ChecklistError(name, f"cannot be read: {exc}")]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        return None, [ChecklistError(name, f"{where}not valid YAML: {problem}")]
    if not isinstance(data, dict):
        return None, [ChecklistError(name, "the file must hold a mapping with id, version, title, ... (see FORMAT.md)")]
    try:
        checklist = Checklist.model_validate(data)
    except ValidationError as exc:
        return None, [_describe(name, data, error) for error in exc.errors()]
    errors = [
        ChecklistError(name, "appears more than once in this checklist", item=item_id, field="id")
        for item_id in _duplicates(item.id for item in checklist.items())
    ]
    if errors:
        return None, errors
    return LoadedChecklist(checklist, path, hashlib.sha256(raw_bytes).hexdigest()), []


def _describe(path: str, data: Any, error: ErrorDetails) -> ChecklistError:
    """Turn a pydantic error location into 'item <id>, field <dotted.path>'."""
    loc = error["loc"]
    item_id = None
    field_start = 0
    node = data
    for index, part in enumerate(loc):
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            break
        if index >= 1 and loc[index - 1] == "items" and isinstance(part, int):
            item_id = node.get("id") if isinstance(node, dict) else None
            item_id = str(item_id) if item_id else f"#{part + 1} in {_path_text(loc[:index])}"
            field_start = index + 1
    field_path = _path_text(loc[field_start:]) if item_id else _path_text(loc)
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "is not a field of this format (check the spelling)"
    return ChecklistError(path, message, item=item_id, field=field_path or None)


def _path_text(loc: Iterable[Any]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _duplicates(values: Iterable[str]) -> list[str]:
    seen, repeated = set(), []
    for value in values:
        if value in seen and value not in repeated:
            repeated.append(value)
        seen.add(value)
    return repeated


def checklist_files(paths: Iterable[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.suffix in {".yaml", ".yml"}))
        else:
            files.append(path)
    return files


def load_library(paths: Iterable[Path]) -> Library:
    """Load every checklist under the given files or folders; ids must be unique across all of them."""
    library = Library()
    owner_of_item: dict[str, str] = {}
    for path in checklist_files(paths):
        if not path.exists():
            library.errors.append(ChecklistError(str(path), "no such file or folder"))
            continue
        loaded, errors = parse_file(path)
        library.errors.extend(errors)
        if loaded is None:
            continue
        if loaded.id in library.checklists:
            other = library.checklists[loaded.id].path
            library.errors.append(
                ChecklistError(str(path), f"checklist id {loaded.id!r} is already used by {other}", field="id")
            )
            continue
        clashes = [item.id for item in loaded.checklist.items() if item.id in owner_of_item]
        if clashes:
            library.errors.extend(
                ChecklistError(
                    str(path),
                    f"is already used in {owner_of_item[item_id]}; item ids must be unique across the library",
                    item=item_id,
                    field="id",
                )
                for item_id in clashes
            )
            continue
        for item in loaded.checklist.items():
            owner_of_item[item.id] = str(path)
        library.checklists[loaded.id] = loaded
    return library
