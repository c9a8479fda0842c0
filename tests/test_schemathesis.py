"""Schemathesis against the OpenAPI document the app serves, in-process (WSGI): whatever
an integrator sends within (and around) the document, no answer is a 5xx and every answer
conforms to what the document promises (status, content type, headers, body schema).

No traffic leaves loopback: the app's only nameserver is the Knot fixture on 127.0.0.1,
where the configured mail hosts have no address, so a generated diagnosis resolves
nothing and connects nowhere; unknown domains are refused before any lookup (no
`mx_hosts`). A guard on the socket layer fails the test if anything tries otherwise.

Each operation's cases come from schemathesis' own strategy, driven by hypothesis here:
its pytest loader for fixtures (`schemathesis.pytest.from_fixture`) does not run under
pytest 9 (it reads a node attribute pytest removed). Run with `-s` to see the statuses
each operation got.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode, checks

from autoconfig import create_app
from autoconfig.config import build_config
from autoconfig.openapi import JSON, OPERATIONS
from autoconfig.web.context import services
from tests.conftest import base_raw
from tests.support.dns import KnotServer

UNLIMITED = "100000/minute"
DAV_WELL_KNOWN = ("/.well-known/caldav", "/.well-known/carddav")
EXAMPLES = 40
# Addresses the test config serves (exact, IDN and pattern domains), and one it does not.
ADDRESSES = ["mario.rossi@example.com", "anna@bücher.example", "ufficio@shop.example.net", "nobody@unknown.example"]
POX_REQUEST = (
    '<?xml version="1.0" encoding="utf-8"?>'
    '<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">'
    "<Request><EMailAddress>{}</EMailAddress>"
    "<AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"
    "</AcceptableResponseSchema></Request></Autodiscover>"
)
# Conformance and server errors; not "valid data is accepted": a string the schema allows
# (any `email`) may still be a malformed address, and that is a 400 by design.
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]


def _loopback(address: Any) -> bool:
    """AF_INET/AF_INET6 (host, port, …) on loopback; AF_UNIX paths are local by nature."""
    if not isinstance(address, tuple):
        return True
    try:
        return ipaddress.ip_address(str(address[0]).split("%", 1)[0]).is_loopback
    except ValueError:
        return False  # a name: nothing of ours should connect by name


@pytest.fixture
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Refuse, and record, any connect or datagram to an address outside loopback."""
    leaks: list[str] = []

    def guard(method: Any) -> Any:
        def wrapper(sock: socket.socket, *args: Any) -> Any:
            address = args[-1]
            if not _loopback(address):
                leaks.append(f"{method.__name__} {address!r}")
                raise PermissionError(f"test guard: {address!r} is outside loopback")
            return method(sock, *args)

        return wrapper

    for name in ("connect", "connect_ex", "sendto"):
        monkeypatch.setattr(socket.socket, name, guard(getattr(socket.socket, name)))
    yield leaks
    assert leaks == [], "traffic outside loopback"


@pytest.fixture
def api_schema(dns_server: KnotServer, tmp_path: Path, loopback_only: list[str]) -> Any:
    raw = base_raw()
    raw["dns"] = {"nameservers": [dns_server.nameserver], "timeout_s": 0.5}
    raw["diagnostics"] = {"budget_s": 2, "connect_timeout_s": 0.5}
    raw["limits"] = {
        "autoconfig_per_ip": UNLIMITED, "diagnostics_per_ip": UNLIMITED, "diagnostics_per_account": UNLIMITED,
    }
    raw["provider"][0]["dav"] = [{"type": "caldav", "url": "https://dav.example.com/cal/%EMAILADDRESS%/"},
                                 {"type": "carddav", "url": "https://dav.example.com/card/"}]
    raw["reports"] = {"database_url": f"sqlite:///{tmp_path / 'reports.db'}"}
    app = create_app(build_config(raw, base_dir=tmp_path))
    app.config["TESTING"] = True
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    schema.stored_token = _stored_token(app)  # type: ignore[attr-defined]
    return schema


def _stored_token(app: Any) -> str:
    """A report stored the way a diagnosis stores it; the token of its link."""
    report = {"email": "mario.rossi@example.com", "status": "ok", "checks": [], "lang": "it"}
    ticket = services(app).reports.save({"it": report, "en": {**report, "lang": "en"}}, lang="it",
                                        email=report["email"], status="ok", client="127.0.0.1")
    return ticket.url.rsplit("/", 1)[1]


def _address_into(case: schemathesis.Case, address: str) -> None:
    """Put a well-formed address where the operation takes one, so generated requests also
    reach past address validation (settings, formats, a whole diagnosis) instead of stopping
    at a 400; Autodiscover gets a request it can read."""
    for name in ("email", "emailaddress", "Email"):
        if isinstance(case.query, dict) and name in case.query:
            case.query[name] = address
    if isinstance(case.path_parameters, dict) and "email" in case.path_parameters:
        case.path_parameters["email"] = address
    if isinstance(case.body, dict) and "email" in case.body:
        case.body["email"] = address
    if isinstance(case.query, dict) and "domain" in case.query:
        case.query["domain"] = address.partition("@")[2]
    if isinstance(case.query, dict) and "Protocol" in case.query:
        case.query["Protocol"] = "AutodiscoverV1"
    if case.operation.path == "/autodiscover/autodiscover.xml":
        case.body = POX_REQUEST.format(address).encode("utf-8")  # bytes go out as they are
    if case.operation.path in DAV_WELL_KNOWN:  # RFC 6764: the provider comes from the host name
        case.headers = {**(case.headers or {}), "Host": "autoconfig." + address.partition("@")[2]}


def _cases() -> list[Any]:
    """Every documented operation with data that fits the document; and, where the document
    constrains some input (parameters, a JSON body), with data that breaks it."""
    cases = []
    for op in OPERATIONS:
        label = f"{op.method.upper()} {op.path}"
        cases.append(pytest.param(op.method.upper(), op.path, GenerationMode.POSITIVE, id=f"{label} valid"))
        if op.parameters or (op.body is not None and JSON in op.body_types):
            cases.append(pytest.param(op.method.upper(), op.path, GenerationMode.NEGATIVE, id=f"{label} invalid"))
    return cases


@pytest.mark.parametrize(("method", "path", "mode"), _cases())
def test_no_server_error_and_answers_conform(api_schema: Any, method: str, path: str, mode: GenerationMode) -> None:
    operation = api_schema[path][method]

    @given(case=operation.as_strategy(generation_mode=mode), address=st.sampled_from([None, *ADDRESSES]))
    @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def run(case: schemathesis.Case, address: str | None) -> None:
        if address is not None:
            _address_into(case, address)
            if isinstance(case.path_parameters, dict) and "token" in case.path_parameters:
                case.path_parameters["token"] = api_schema.stored_token
        response = case.call_and_validate(checks=CHECKS)
        statuses.append(response.status_code)

    statuses: list[int] = []
    run()
    print(f"{method} {path} {mode}: {len(statuses)} requests, statuses {sorted(set(statuses))}")
    staff_only = any(op.tag == "helpdesk" for op in OPERATIONS if op.path == path and op.method == method.lower())
    if mode is GenerationMode.POSITIVE and not staff_only:  # staff pages answer 302, 400 (no CSRF), 401
        # a redirect is the success of the RFC 6764 well-known URIs
        success = range(300, 400) if path in DAV_WELL_KNOWN else range(200, 300)
        assert any(status in success for status in statuses), "no generated request got past validation"
