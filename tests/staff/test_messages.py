"""The messages of the staff forms: plain French, filled in, and ready for translation."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from app.staff import FormError
from app.staff.accounts import AccountError
from app.staff.records import RecordError
from app.staff.requests import FORM_NOT_VALID, RequestError

SOURCES = Path(__file__).resolve().parents[2] / "app" / "staff"
ERRORS = {"AccountError", "RecordError", "RequestError", "FormError"}


def test_every_form_message_is_marked_for_translation() -> None:
    unmarked = []
    for path in sorted(SOURCES.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) in ERRORS):
                continue
            first = node.args[0] if node.args else None
            marked = (
                isinstance(first, ast.Call)
                and getattr(first.func, "id", None) == "N_"
                and isinstance(first.args[0], ast.Constant)
            ) or (isinstance(first, ast.Name) and first.id == "FORM_NOT_VALID")
            if not marked:
                unmarked.append(f"{path.name}:{node.lineno}")
    assert unmarked == []
    assert "%" not in FORM_NOT_VALID


def test_a_message_keeps_its_msgid_and_its_values() -> None:
    error = RecordError("Écrivez entre 1 et %(max)s.", "count", max=50)
    assert str(error) == "Écrivez entre 1 et 50."
    assert (error.message, error.params, error.field) == (
        "Écrivez entre 1 et %(max)s.",
        {"max": 50},
        "count",
    )
    plain = RequestError("Écrivez un numéro de téléphone.")
    assert str(plain) == plain.message and plain.field is None and plain.params == {}


@pytest.mark.parametrize("error", [AccountError, RecordError, RequestError])
def test_form_errors_are_value_errors(error: type[FormError]) -> None:
    assert issubclass(error, FormError) and issubclass(error, ValueError)
