"""Reading HTML forms into the shared schemas, and showing their errors next to the fields."""

from __future__ import annotations

from typing import Annotated, TypeVar

from fastapi import Depends, Request
from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

from auditor.errors import Invalid
from auditor.i18n import N_, gettext
from auditor.routes.errors import describe_validation_errors
from auditor.security import CSRF_FIELD

Schema = TypeVar("Schema", bound=BaseModel)


async def get_form(request: Request) -> FormData:
    """The submitted form. Reading the body is waiting, not blocking work, so this dependency may be async and the
    handler that takes it stays a plain `def`, run in the thread pool. Declare it after the user, so a refused
    request is turned away first."""
    return await request.form()


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


def invalid_errors(error: Invalid) -> dict[str, str]:
    from auditor.routes.errors import message_of

    return {error.field or "_form": message_of(error)}
