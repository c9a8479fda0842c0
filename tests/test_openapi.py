"""The OpenAPI document as an integrator uses it: valid, complete, and true to the answers."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate as validate_spec
from werkzeug.exceptions import HTTPException

from autoconfig import __version__, create_app
from autoconfig.openapi import OPERATIONS
from tests.conftest import ConfigFactory, base_raw

ADDRESS = "mario.rossi@example.com"
SAMPLE_PATH_VALUES = {"email": ADDRESS, "report_id": "1"}
NOT_API = {"static"}  # Flask's own endpoint


@pytest.fixture
def document(client: FlaskClient) -> dict[str, Any]:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    body = response.json
    assert isinstance(body, dict)
    return body


def test_the_document_is_valid_openapi_3(document: dict[str, Any]) -> None:
    validate_spec(document)
    assert document["openapi"].startswith("3.")
    assert document["info"]["version"] == __version__
    assert document["servers"] == [{"url": "https://autoconfig.example.com"}]


def test_the_document_is_cacheable_and_revalidates(client: FlaskClient) -> None:
    first = client.get("/api/v1/openapi.json")
    again = client.get("/api/v1/openapi.json", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def _routed(app: Flask, method: str, path: str) -> str | None:
    concrete = path
    for name, sample in SAMPLE_PATH_VALUES.items():
        concrete = concrete.replace("{" + name + "}", sample)
    try:
        endpoint, _ = app.url_map.bind("autoconfig.example.com").match(concrete, method=method.upper())
    except HTTPException:
        return None
    return str(endpoint)


def test_every_documented_operation_is_served(app: Flask, document: dict[str, Any]) -> None:
    missing = [
        f"{method.upper()} {path}"
        for path, operations in document["paths"].items()
        for method in operations
        if _routed(app, method, path) is None
    ]
    assert missing == []


def test_every_endpoint_the_app_serves_is_documented(app: Flask) -> None:
    # A new endpoint is one entry in autoconfig/openapi.py's OPERATIONS.
    documented = {_routed(app, op.method, op.path) for op in OPERATIONS}
    served = {rule.endpoint for rule in app.url_map.iter_rules()} - NOT_API
    assert sorted(served - documented) == []


def _inline(node: Any, document: dict[str, Any]) -> Any:
    """The schema with every $ref replaced by what it points at."""
    if isinstance(node, dict):
        if "$ref" in node:
            target: Any = document
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            return _inline(target, document)
        return {key: _inline(value, document) for key, value in node.items()}
    if isinstance(node, list):
        return [_inline(item, document) for item in node]
    return node


def conforms(document: dict[str, Any], method: str, path: str, response: Any) -> None:
    """The response's status is documented, and its JSON body matches the documented schema."""
    responses = document["paths"][path][method]["responses"]
    assert str(response.status_code) in responses, f"{method} {path} → {response.status_code} is undocumented"
    content = responses[str(response.status_code)].get("content", {})
    assert response.mimetype in content, f"{response.mimetype} is undocumented for {response.status_code}"
    if response.mimetype == "application/json":
        schema = _inline(content["application/json"]["schema"], document)
        OAS30Validator(schema).validate(response.json)


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/api/v1/settings", f"email={ADDRESS}"),
        ("/api/v1/settings", "email=nobody@unknown.example"),
        ("/api/v1/settings", "email=not-an-address"),
        ("/api/v1/settings", ""),
        ("/mail/config-v1.1.xml", f"emailaddress={ADDRESS}"),
        ("/mail/config-v1.1.xml", "emailaddress=nobody@unknown.example"),
        ("/mobileconfig", f"email={ADDRESS}"),
        ("/autodiscover/autodiscover.json", f"Email={ADDRESS}&Protocol=AutodiscoverV1"),
        ("/api/v1/dns", ""),
        ("/api/v1/dns", "domain=unknown.example"),
        ("/healthz", ""),
        ("/", ""),
    ],
)
def test_get_answers_match_the_document(
    client: FlaskClient, document: dict[str, Any], path: str, query: str
) -> None:
    conforms(document, "get", path, client.get(f"{path}?{query}" if query else path))


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ({"devices": 3, "webmail": True, "lang": "en"}, None),
        ({"devices": 3, "email": ADDRESS}, None),
        ({"devices": "three"}, None),
        ({"password": "x"}, None),
        ({"devices": 3}, "text/plain"),
    ],
)
def test_advice_answers_match_the_document(
    client: FlaskClient, document: dict[str, Any], body: dict[str, Any], content_type: str | None
) -> None:
    if content_type:
        response = client.post("/api/v1/advice", data=str(body), content_type=content_type)
    else:
        response = client.post("/api/v1/advice", json=body)
    conforms(document, "post", "/api/v1/advice", response)


def test_a_refusal_matches_the_document(make_config: ConfigFactory) -> None:
    raw = base_raw()
    raw["limits"] = {"autoconfig_per_ip": "1/minute"}
    app = create_app(make_config(raw))
    client = app.test_client()
    document = client.get("/api/v1/openapi.json").json
    assert document is not None
    client.get(f"/api/v1/settings?email={ADDRESS}")
    refused = client.get(f"/api/v1/settings?email={ADDRESS}")
    assert refused.status_code == 429
    conforms(document, "get", "/api/v1/settings", refused)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ({"email": "nobody@unknown.example"}, None),
        ({"email": "not an address"}, None),
        ({"email": ADDRESS, "protocols": ["gopher"]}, None),
        ({"email": ADDRESS, "color": "blue"}, None),
        ({"email": ADDRESS}, "application/x-www-form-urlencoded"),
    ],
)
def test_diagnosis_refusals_match_the_document(
    client: FlaskClient, document: dict[str, Any], body: dict[str, Any], content_type: str | None
) -> None:
    if content_type:
        response = client.post("/api/v1/diagnostics", data="email=x", content_type=content_type)
    else:
        response = client.post("/api/v1/diagnostics", json=body)
    assert 400 <= response.status_code < 500
    conforms(document, "post", "/api/v1/diagnostics", response)


def test_every_language_parameter_lists_the_languages_this_configuration_speaks(make_config: ConfigFactory) -> None:
    # Given a service that speaks English first and then Italian
    raw = base_raw()
    raw["service"]["languages"] = ["en", "it"]
    document = create_app(make_config(raw)).test_client().get("/api/v1/openapi.json").json
    assert document is not None
    langs = [p for ops in document["paths"].values() for op in ops.values()
             for p in op.get("parameters", ()) if p["name"] == "lang"]
    # Then every lang parameter names exactly those, in that order (as an enum where others are refused)
    strict = [p for p in langs if "enum" in p["schema"]]
    assert len(strict) >= 4 and all(p["schema"]["enum"] == ["en", "it"] for p in strict)
    assert sum(p["description"].startswith("en or it") for p in langs) >= 8
    assert not any("it or en" in p["description"] for p in langs)
    # And a service that speaks Italian only offers Italian alone
    raw["service"]["languages"] = ["it"]
    only = create_app(make_config(raw)).test_client().get("/api/v1/openapi.json").json
    assert only is not None
    assert {tuple(p["schema"]["enum"]) for ops in only["paths"].values() for op in ops.values()
            for p in op.get("parameters", ()) if p["name"] == "lang" and "enum" in p["schema"]} == {("it",)}
