"""Reading a posted form: its text fields, and a refusal as the form shows it, beside the
field its reason names (`username: taken` goes beside `username`)."""

from __future__ import annotations

from starlette.datastructures import FormData

from fedishare.core.errors import Refusal

FORM = "form"  # the key of a refusal that names no field: shown above the form


def text(form: FormData, name: str) -> str:
    """A text field's value ("" when missing, or when a file came instead)."""
    value = form.get(name)
    return value if isinstance(value, str) else ""


def field_errors(exc: Refusal, default: str = FORM) -> dict[str, str]:
    """The refusal beside the field it names; beside `default` when it names none."""
    field, sep, message = exc.reason.partition(": ")
    if not sep or not field.replace("_", "").isalnum():
        return {default: exc.reason}
    return {field: message}
