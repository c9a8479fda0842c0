"""The documentation tells the truth: the configuration reference is the schema, the examples
load, the DNS sample is what the service prints, the names it cites exist."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from marshmallow import Schema, fields
from prometheus_client.parser import text_string_to_metric_families

from autoconfig.config import build_config
from autoconfig.formats import zone
from autoconfig.messages import words
from autoconfig.openapi import OPERATIONS
from autoconfig.schemas import config as schemas

REPO = Path(__file__).resolve().parent.parent
ADMIN_GUIDE = REPO / "docs" / "admin-guide.md"
API = REPO / "docs" / "api.md"

# Section heading in the guide → the schema that validates that table of the TOML file.
SECTIONS: dict[str, type[Schema]] = {
    "[service]": schemas.ServiceSchema,
    "[diagnostics]": schemas.DiagnosticsSchema,
    "[watch]": schemas.WatchSchema,
    "[dns]": schemas.DnsSchema,
    "[limits]": schemas.LimitsSchema,
    "[reports]": schemas.ReportsSchema,
    "[helpdesk]": schemas.HelpdeskSchema,
    "[[provider]]": schemas.ProviderSchema,
    "[[provider.server]]": schemas.ServerSchema,
    "[provider.mobileconfig]": schemas.MobileConfigSchema,
    "[[provider.dav]]": schemas.DavSchema,
    "[provider.oauth2]": schemas.OAuth2Schema,
}
NO_DEFAULT = "—"
REQUIRED = "*required*"


def guide() -> str:
    return ADMIN_GUIDE.read_text(encoding="utf-8")


def reference_tables(text: str) -> dict[str, dict[str, dict[str, str]]]:
    """`### [section]` → key → {type, default, meaning}, from the guide's reference tables."""
    tables: dict[str, dict[str, dict[str, str]]] = {}
    for match in re.finditer(r"^### (\[\[?[\w.]+\]\]?)\n(.*?)(?=^#)", text, re.M | re.S):
        rows = re.findall(r"^\| `(\w+)` \| ([^|]+) \| ([^|]+) \| (.+) \|$", match.group(2), re.M)
        tables[match.group(1)] = {
            key: {"type": kind.strip(), "default": default.strip(), "meaning": meaning.strip()}
            for key, kind, default, meaning in rows
        }
    return tables


def doc_type(field: fields.Field) -> str:
    if isinstance(field, schemas.AuthList):
        return "one of, or a list"
    if isinstance(field, fields.List):
        inner = field.inner
        return "list of tables" if isinstance(inner, fields.Nested) else f"list of {doc_type(inner)}s"
    return {
        fields.String: "string", fields.Integer: "integer", fields.Float: "number",
        fields.Boolean: "boolean", fields.Nested: "table", fields.Enum: "one of",
    }[type(field)]


def default_of(field: fields.Field) -> Any:
    value = field.load_default
    return value() if callable(value) else value


def test_the_reference_covers_every_section_of_the_file() -> None:
    tables = reference_tables(guide())
    assert set(SECTIONS) <= set(tables)
    top = schemas.ConfigFileSchema().fields
    assert {name.strip("[]").split(".")[0] for name in SECTIONS} == set(top)


@pytest.mark.parametrize("section", list(SECTIONS))
def test_the_reference_documents_exactly_the_keys_the_schema_accepts(section: str) -> None:
    documented = reference_tables(guide())[section]
    accepted = SECTIONS[section]().fields
    assert sorted(documented) == sorted(accepted), "document every key, and only those"


@pytest.mark.parametrize("section", list(SECTIONS))
def test_each_documented_default_and_type_is_the_schemas(section: str) -> None:
    documented = reference_tables(guide())[section]
    for key, field in SECTIONS[section]().fields.items():
        row = documented[key]
        assert row["type"] == doc_type(field), f"{section} {key}: type"
        assert row["meaning"], f"{section} {key}: say what it means"
        if field.required:
            assert row["default"] == REQUIRED, f"{section} {key} is required"
            continue
        default = default_of(field)
        if default is None:
            assert row["default"] == NO_DEFAULT, f"{section} {key}: no default"
            continue
        assert row["default"].startswith("`") and row["default"].endswith("`"), f"{section} {key}"
        shown = tomllib.loads(f"v = {row['default'].strip('`')}")["v"]
        expected = getattr(default, "value", default)  # enums by value
        assert shown == expected, f"{section} {key}: the guide says {shown!r}, the schema {expected!r}"


def example_config() -> dict[str, Any]:
    block = re.search(r"### A complete example\n\n```toml\n(.*?)```", guide(), re.S)
    assert block, "the guide shows a complete example"
    return tomllib.loads(block.group(1))


def test_the_complete_example_is_a_valid_configuration() -> None:
    schemas.ConfigFileSchema().load(example_config())


def test_the_dns_sample_is_what_the_service_prints_for_the_example(tmp_path: Path) -> None:
    raw = example_config()
    provider = raw["provider"][0]
    provider.pop("domains_file")  # files the example names but this test has not
    provider["mobileconfig"] = {"identifier": provider["mobileconfig"]["identifier"]}
    config = build_config(raw, base_dir=tmp_path)
    section = guide().split("## DNS records", 1)[1]
    sample = re.search(r"For\s+`([\w.]+)`.*?```\n(.*?)```", section, re.S)
    assert sample
    domain, lines = sample.groups()
    assert lines == zone.render(config.providers[0], domain, config.service.public_url)


def test_every_deploy_file_the_guide_lists_exists() -> None:
    listed = re.findall(r"^\| `(deploy/[^`]+)` \|", guide(), re.M)
    assert "deploy/gunicorn.conf.py" in listed
    for path in listed:
        if path == "deploy/zone.example.db":
            continue  # written by a colleague; checked by its own test
        assert (REPO / path).is_file(), path


def test_the_environment_variables_in_the_guide_are_read_by_the_deployment() -> None:
    readers = (REPO / "deploy" / "gunicorn.conf.py").read_text() + (REPO / "autoconfig" / "config.py").read_text()
    for name in set(re.findall(r"\b(AUTOCONFIG_[A-Z_]+)\b", guide())):
        assert name in readers, f"{name} is documented but nothing reads it"


def test_every_metric_the_guide_lists_is_exported(client: FlaskClient) -> None:
    client.get("/healthz")
    text = client.get("/metrics").get_data(as_text=True)
    exported = {family.name for family in text_string_to_metric_families(text)}
    section = guide().split("**Metrics**", 1)[1].split("**Health**", 1)[0]
    listed = re.findall(r"^\| `(autoconfig_\w+)` \|", section, re.M)
    assert listed
    for name in listed:
        assert name.removesuffix("_total") in exported, name


def test_the_429_example_uses_the_catalogues_words() -> None:
    assert words("http.rate_limited", "it").message in guide()
    assert words("http.rate_limited", "en").message in API.read_text(encoding="utf-8")


def test_the_api_page_names_every_documented_path() -> None:
    api = API.read_text(encoding="utf-8")
    for operation in OPERATIONS:
        stem = operation.path.split("{", 1)[0].rstrip("/") or "/"
        assert f"`{stem}" in api, f"{operation.method.upper()} {operation.path} is missing from docs/api.md"
