"""Reading HTML forms into the shared schemas, and showing their errors next to the fields."""

from __future__ import annotations

import functools
from datetime import date
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from pydantic import BaseModel, TypeAdapter, ValidationError
from starlette.datastructures import FormData

from auditor.errors import DomainError, Invalid
from auditor.i18n import N_, gettext
from auditor.routes.errors import describe_validation_errors
from auditor.schemas import MAX_ID
from auditor.security import CSRF_FIELD
from auditor.text import CONTROL_CHARACTER, unstorable_text

Schema = TypeVar("Schema", bound=BaseModel)


async def get_form(request: Request) -> FormData:
    """The submitted form. Reading the body is waiting, not blocking work, so this dependency may be async and the
    handler that takes it stays a plain `def`, run in the thread pool. Declare it after the user, so a refused
    request is turned away before its fields are checked (the body was parsed already, within the route's body limit,
    for its CSRF token: deps.get_submitted_csrf). A field with text that cannot be stored (auditor.text) refuses the
    form (422)."""
    form = await request.form()
    for key, value in form.multi_items():
        if isinstance(value, str) and unstorable_text([key, value]):
            raise Invalid(CONTROL_CHARACTER, field=key)
    return form


FormDep = Annotated[FormData, Depends(get_form)]


def form_fields(form: FormData, *, lists: tuple[str, ...] = ()) -> dict:
    """Form fields as a dict; fields in `lists` keep every value, empty values become absent.
    The CSRF token is left out: the security layer has already checked it."""
    data: dict = {}
    for key in form:
        if key == CSRF_FIELD:
            continue
        if key in lists:
            data[key] = [value for value in form.getlist(key) if str(value).strip()]
        elif str(form.get(key)).strip() != "":
            data[key] = form.get(key)
    return data


# pydantic's own messages, by error type, worded for a person filling in a form.
FORM_MESSAGES = {
    "missing": N_("This field is required."),
    "string_too_short": N_("This field is required."),
    "string_too_long": N_("This text is too long."),
    "date_parsing": N_("Enter a valid date."),
    "date_from_datetime_parsing": N_("Enter a valid date."),
    "time_parsing": N_("Enter a valid time."),
    "int_parsing": N_("Enter a whole number."),
    "float_parsing": N_("Enter a number."),
    "greater_than_equal": N_("The number is too small."),
    "less_than_equal": N_("The number is too large."),
    "too_short": N_("Choose at least one."),
}


def parse(schema: type[Schema], data: dict) -> tuple[Schema | None, dict[str, str]]:
    """(the parsed value, {}) or (None, {field: message})."""
    try:
        return schema.model_validate(data), {}
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for error, described in zip(exc.errors(), describe_validation_errors(exc.errors()), strict=True):
            field = described["field"].split(".")[0] or "_form"
            if error["type"] == "extra_forbidden" or field not in schema.model_fields:
                field = "_form"  # the form has no place for it: show it at the top
            message = FORM_MESSAGES.get(error["type"], described["message"])
            errors.setdefault(field, gettext(message))
        return None, errors


def row_id(value: object) -> int | None:
    """A row id from a form or a query string, or None when the value cannot be one (not a number, out of range).
    isdecimal, not isdigit: "²" is a digit that int() refuses; the length check keeps int() under its digit limit."""
    text = str(value or "").strip()
    return int(text) if text.isdecimal() and len(text) <= len(str(MAX_ID)) and 0 < int(text) <= MAX_ID else None


def day(value: object, field: str) -> date | None:
    """A date from a form's date field (None when left empty); anything else than a date is Invalid on that field."""
    text = str(value or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise Invalid(N_("Enter a valid date."), field=field) from None


INVALID_VALUE = N_("This value is not valid.")


def check_fields(schema: type[BaseModel], data: dict) -> None:
    """Invalid for the first of `data`'s fields that breaks the rules (length, format) `schema` has for it: a form
    handled step by step keeps the API's limits without being read into the whole schema."""
    for name, value in data.items():
        field = schema.model_fields.get(name)
        if field is None or value in ("", None):
            continue
        try:
            _field_type(schema, name).validate_python(value)
        except ValidationError as exc:
            error = exc.errors()[0]
            raise Invalid(FORM_MESSAGES.get(error["type"], INVALID_VALUE), field=name) from None


@functools.cache
def _field_type(schema: type[BaseModel], name: str) -> TypeAdapter:
    field = schema.model_fields[name]
    return (
        TypeAdapter(Annotated[field.annotation, *field.metadata])  # type: ignore[arg-type]  # a field's annotation is a type form
        if field.metadata
        else TypeAdapter(field.annotation)  # type: ignore[arg-type]
    )


def invalid_errors(error: DomainError) -> dict[str, str]:
    """A refusal shown beside its field (an Invalid's), or at the top of the form."""
    from auditor.routes.errors import message_of

    return {getattr(error, "field", None) or "_form": message_of(error)}
