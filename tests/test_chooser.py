"""One way to choose a language and one way to read bad input, for every surface."""

from __future__ import annotations

import re

import pytest
from marshmallow import Schema, fields
from werkzeug.datastructures import LanguageAccept

from autoconfig.errors import InvalidInput
from autoconfig.languages import choose_language
from autoconfig.schemas.loading import InvalidBody, flatten_errors, load, problems
from tests.conftest import REPO

LANGS = ("it", "en")


@pytest.mark.parametrize(
    ("requested", "accepted", "expected"),
    [
        ("en", None, "en"),
        (" EN ", None, "en"),
        (None, None, "it"),
        ("", LanguageAccept([("en", 1)]), "en"),
        ("de", LanguageAccept([("en", 1), ("it", 0.5)]), "en"),
        ("it", LanguageAccept([("en", 1)]), "it"),
        (None, LanguageAccept([("fr", 1)]), "it"),
    ],
)
def test_an_explicit_choice_then_the_clients_then_the_default(
    requested: str | None, accepted: LanguageAccept | None, expected: str
) -> None:
    assert choose_language(requested, accepted, LANGS) == expected


def test_strict_refuses_a_language_we_do_not_speak_naming_lang() -> None:
    with pytest.raises(InvalidInput) as refused:
        choose_language("de", None, LANGS, strict=True)
    assert refused.value.field == "lang" and refused.value.message == "lang must be one of: it, en"
    assert choose_language(None, None, LANGS, strict=True) == "it"


def test_languages_are_defined_once() -> None:
    definitions = [
        path for path in (REPO / "autoconfig").rglob("*.py")
        if re.search(r"^LANGUAGES\s*=", path.read_text(encoding="utf-8"), flags=re.M)
    ]
    assert [p.name for p in definitions] == ["messages.py"]


class _Server(Schema):
    port = fields.Integer(required=True)


class _Body(Schema):
    email = fields.String(required=True)
    servers = fields.List(fields.Nested(_Server))


def test_problems_keep_the_path_as_keys_and_indexes() -> None:
    errors = _Body().validate({"servers": [{"port": 1}, {"port": "x"}], "extra": 1})
    found = {(p.path, p.text) for p in problems(errors)}
    assert (("email",), "is required") in found
    assert (("servers", 1, "port"), "not a valid integer.") in found
    assert (("extra",), "unknown key") in found
    assert "servers[1].port: not a valid integer." in flatten_errors(errors)


def test_load_names_the_top_level_field_of_the_first_problem() -> None:
    with pytest.raises(InvalidBody) as refused:
        load(_Body(), {"email": "a@example.com", "servers": [{"port": "x"}]})
    assert refused.value.field == "servers"
    assert refused.value.message == "servers[0].port: not a valid integer."
    assert [p.where for p in refused.value.problems] == ["servers[0].port"]
