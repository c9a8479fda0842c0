"""Hostile and odd requests: each gets a clear answer, the service keeps serving, nothing leaks to logs."""

from __future__ import annotations

import io
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from defusedxml.ElementTree import fromstring as parse_xml
from flask.testing import FlaskClient

from tests.conftest import base_raw
from tests.support.procs import ServiceProcess, write_config
from tests.test_autodiscover import POX, error_of, outlook_reads, pox_request

SECRET = "Basic c3VwcG9ydDpOb25EaXJsb0FOZXNzdW5vITIwMjY="  # what Outlook sends after a 401
REQ = "http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"
ASK = "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"


def envelope(inner: str, *, prolog: str = '<?xml version="1.0" encoding="utf-8"?>') -> str:
    return (f'{prolog}<Autodiscover xmlns="{REQ}"><Request>{inner}'
            f"<AcceptableResponseSchema>{ASK}</AcceptableResponseSchema></Request></Autodiscover>")


XXE = envelope(
    "<EMailAddress>&xxe;</EMailAddress>",
    prolog='<?xml version="1.0"?><!DOCTYPE Autodiscover [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
)
BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
    + "]>" + envelope("<EMailAddress>&lol9;</EMailAddress>", prolog="")
)


@dataclass(frozen=True)
class Case:
    name: str
    body: bytes
    status: int
    error: str | None  # Autodiscover ErrorCode, or None for a settings answer
    check: Callable[[bytes], None] | None = None
    environ: dict[str, Any] | None = None


def _login_is(expected: str) -> Callable[[bytes], None]:
    def check(body: bytes) -> None:
        assert outlook_reads(body)[0].username == expected

    return check


def _no_file_contents(body: bytes) -> None:
    assert b"root:" not in body


CASES = [
    Case("external entity (XXE)", XXE.encode(), 400, "600", _no_file_contents),
    Case("billion laughs", BILLION_LAUGHS.encode(), 400, "600"),
    Case("harmless DOCTYPE", envelope("<EMailAddress>a@example.com</EMailAddress>",
                                      prolog="<!DOCTYPE Autodiscover>").encode(), 400, "600"),
    Case("10 MB body", pox_request("a@example.com") + b" " * (10 * 1024 * 1024), 413, "600"),
    Case("10 MB chunked body, no Content-Length", pox_request("a@example.com") + b" " * (10 * 1024 * 1024),
         413, "600", environ={"wsgi.input_terminated": True}),
    Case("UTF-16 with BOM", envelope("<EMailAddress>andrea@example.com</EMailAddress>",
                                     prolog='<?xml version="1.0" encoding="UTF-16"?>').encode("utf-16"),
         200, None, _login_is("andrea@example.com")),
    Case("Latin-1, declared", envelope("<EMailAddress>josé@example.com</EMailAddress>",
                                       prolog='<?xml version="1.0" encoding="ISO-8859-1"?>').encode("latin-1"),
         200, None, _login_is("josé@example.com")),
    Case("Latin-1, undeclared", envelope("<EMailAddress>josé@example.com</EMailAddress>").encode("latin-1"),
         400, "600"),
    Case("unknown encoding", envelope("<EMailAddress>a@example.com</EMailAddress>",
                                      prolog='<?xml version="1.0" encoding="x-klingon"?>').encode(), 400, "600"),
    Case("empty body", b"", 400, "600"),
    Case("white space only", b"  \r\n ", 400, "600"),
    Case("not XML", b"EMailAddress=a@example.com", 400, "600"),
    Case("JSON", b'{"EMailAddress": "a@example.com"}', 400, "600"),
    Case("truncated XML", pox_request("a@example.com")[:120], 400, "600"),
    Case("wrong root element", b"<Request><EMailAddress>a@example.com</EMailAddress></Request>", 400, "600"),
    Case("two EMailAddress elements", envelope(
        "<EMailAddress>a@example.com</EMailAddress><EMailAddress>b@example.com</EMailAddress>").encode(), 400, "600"),
    Case("two Request elements", (f'<Autodiscover xmlns="{REQ}"><Request><EMailAddress>a@example.com</EMailAddress>'
                                  f"</Request><Request/></Autodiscover>").encode(), 400, "600"),
    Case("no EMailAddress", envelope("<LegacyDN>/o=Example/cn=a</LegacyDN>").encode(), 400, "600"),
    Case("empty EMailAddress", envelope("<EMailAddress>  </EMailAddress>").encode(), 400, "600"),
    Case("not an address", envelope("<EMailAddress>not an address</EMailAddress>").encode(), 400, "600"),
    Case("markup in the address", envelope("<EMailAddress>a&lt;b&gt;@example.com</EMailAddress>").encode(),
         400, "600", lambda body: None if b"<b>" not in body else pytest.fail("markup echoed")),
    Case("unknown domain", pox_request("mario@unknown-hoster.example"), 404, "500"),
    Case("ActiveSync schema", pox_request("a@example.com", sample_name="pox-request-mobilesync.xml"), 200, "601"),
    Case("address with surrounding space", envelope("<EMailAddress>\n  a@example.com \n</EMailAddress>").encode(),
         400, "600"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_pox_requests_get_a_clear_answer(
    client: FlaskClient, caplog: pytest.LogCaptureFixture, case: Case
) -> None:
    caplog.set_level(logging.DEBUG)
    # When the body is POSTed with credentials, as Outlook would after a 401
    started = time.monotonic()
    if case.environ:
        response = client.post(POX, input_stream=io.BytesIO(case.body), environ_overrides=case.environ,
                               headers={"Authorization": SECRET, "Transfer-Encoding": "chunked"})
    else:
        response = client.post(POX, data=case.body, headers={"Authorization": SECRET, "Content-Type": "text/xml"})
    elapsed = time.monotonic() - started
    # Then a well-formed Autodiscover document with the expected code, quickly
    assert response.status_code == case.status, response.data[:600]
    assert response.mimetype == "text/xml"
    parse_xml(response.data)
    if case.error is None:
        assert [r.protocol for r in outlook_reads(response.data)] == ["imap", "pop3", "smtp"]
    else:
        assert error_of(response.data)[1] == case.error
    if case.check:
        case.check(response.data)
    assert elapsed < 2
    # And nothing sensitive reached the logs or the answer
    assert SECRET not in caplog.text and SECRET.split()[1] not in caplog.text
    assert SECRET.split()[1] not in response.get_data(as_text=True)
    assert "example.com" not in caplog.text  # no addresses in the logs
    # And the service keeps serving
    follow = client.post(POX, data=pox_request("mario@example.com"))
    assert follow.status_code == 200


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("email=mario@example.com&password=Segreta!2026", "password"),
        ("emailaddress=mario@example.com&password=Segreta!2026", "password"),
        ("email=mario@example.com&password=", "password"),
    ],
)
def test_mobileconfig_with_password_is_refused(
    client: FlaskClient, caplog: pytest.LogCaptureFixture, query: str, field: str
) -> None:
    caplog.set_level(logging.DEBUG)
    response = client.get(f"/mobileconfig?{query}")
    assert response.status_code == 400
    assert response.json["field"] == field
    assert "URL" in response.json["message"]
    assert "Segreta" not in response.get_data(as_text=True)
    assert "Segreta" not in caplog.text
    assert client.get("/mobileconfig?email=mario@example.com").status_code == 200


@pytest.mark.parametrize(
    ("query", "status", "field"),
    [
        ("", 400, "email"),
        ("email=", 400, "email"),
        ("email=not-an-address", 400, "email"),
        ("emailaddress=a@@example.com", 400, "emailaddress"),
        ("email=a@unknown-hoster.example", 404, None),
        ("email=a@example.com&protocol=jmap", 400, "protocol"),
        ("email=a@example.com&name=%01%02", 400, "name"),
        ("email=a@example.com&name=" + "x" * 300, 400, "name"),
        ("email=a@example.com&lang=de", 400, "lang"),
        ("email=a%0d%0aX-Injected:%201@example.com", 400, "email"),
    ],
)
def test_bad_mobileconfig_requests_get_a_clear_4xx(client: FlaskClient, query: str, status: int,
                                                    field: str | None) -> None:
    response = client.get(f"/mobileconfig?{query}")
    assert response.status_code == status
    assert response.json["message"]
    assert response.json.get("field") == field
    assert "X-Injected" not in response.headers


# --- the same, over real HTTP, under gunicorn as deployed -----------------------------------


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    raw = base_raw()
    raw["limits"] = {"autoconfig_per_ip": "100000/minute"}
    config = write_config(raw, tmp_path_factory.mktemp("hostile-gunicorn") / "autoconfig.toml")
    with ServiceProcess(config, workers=1, threads=4, log_level="debug") as running:
        yield running


def _post_huge(service: ServiceProcess, *, chunked: bool) -> bytes:
    """POST 10 MB as a client that reads while it sends (as curl does): the answer comes early."""
    sock = socket.create_connection((service.host, service.port), timeout=10)
    head = (f"POST {POX} HTTP/1.1\r\nHost: autodiscover.example.com\r\nAuthorization: {SECRET}\r\n"
            "Content-Type: text/xml\r\n").encode()
    head += b"Transfer-Encoding: chunked\r\n\r\n" if chunked else b"Content-Length: %d\r\n\r\n" % (160 * 65536)

    def send() -> None:
        try:
            sock.sendall(head)
            block = b" " * 65536
            for _ in range(160):
                sock.sendall(b"%x\r\n%s\r\n" % (len(block), block) if chunked else block)
            if chunked:
                sock.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # the server answered and closed without reading it all: that is the point

    sender = threading.Thread(target=send)
    sender.start()
    received = b""
    try:
        while b"</Autodiscover>" not in received:
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += chunk
    finally:
        sender.join(30)
        sock.close()
    return received


@pytest.mark.parametrize("chunked", [False, True], ids=["Content-Length", "chunked"])
def test_ten_megabytes_are_refused_unread_under_gunicorn(service: ServiceProcess, chunked: bool) -> None:
    received = _post_huge(service, chunked=chunked)
    assert received.startswith(b"HTTP/1.1 413"), received[:200]
    assert b"<ErrorCode>600</ErrorCode>" in received
    assert service.request("POST", POX, body=pox_request("mario@example.com"))[0] == 200


def test_hostile_table_over_http_keeps_the_service_serving_and_the_logs_clean(service: ServiceProcess) -> None:
    # When every hostile body of the table is POSTed over real HTTP, with credentials
    for case in CASES:
        if case.environ or len(case.body) > 1024 * 1024:
            continue  # 10 MB bodies have their own test above, with a client that reads while sending
        status, headers, body = service.request(
            "POST", POX, body=case.body, headers={"Authorization": SECRET, "Content-Type": "text/xml"})
        # Then each gets its answer, as with the test client
        assert status == case.status, (case.name, body[:300])
        assert headers.get_content_type() == "text/xml"
        parse_xml(body)
    # And the service still serves, and its log (JSON lines, debug level) holds no credential or address
    status, headers, body = service.request("POST", POX, body=pox_request("mario@example.com"))
    assert status == 200 and b"<Protocol>" in body
    log = service.log_once_written(headers["X-Request-ID"])  # the last request's access line too
    assert "/autodiscover/autodiscover.xml" in log  # the access log is there
    assert SECRET.split()[1] not in log
    assert "mario@example.com" not in log and "josé@example.com" not in log and "andrea@" not in log
    assert "Traceback" not in log
