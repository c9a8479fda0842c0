"""The Thunderbird endpoint through a real gunicorn (production settings) on loopback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from lxml import etree

from tests.conftest import base_raw
from tests.support.procs import ServiceProcess, write_config

PATH = "/mail/config-v1.1.xml"


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    folder = tmp_path_factory.mktemp("gunicorn")
    (folder / "domains.txt").write_text("cliente.example\n")
    raw = base_raw()
    raw["provider"][0]["domains_file"] = "domains.txt"
    with ServiceProcess(write_config(raw, folder / "autoconfig.toml"), workers=2) as process:
        yield process


def test_thunderbird_gets_its_config_over_http(service: ServiceProcess) -> None:
    status, headers, body = service.get(f"{PATH}?emailaddress=anna@cliente.example")
    assert status == 200
    assert headers["Content-Type"].startswith("application/xml")
    assert "max-age" in headers["Cache-Control"] and headers["ETag"]
    doc = etree.fromstring(body)
    assert doc.find("emailProvider").get("id") == "cliente.example"
    assert doc.findtext("emailProvider/incomingServer/username") == "anna@cliente.example"


def test_android_client_without_address_uses_the_host_header(service: ServiceProcess) -> None:
    status, _, body = service.get(PATH, headers={"Host": "autoconfig.xn--bcher-kva.example"})
    assert status == 200
    assert etree.fromstring(body).find("emailProvider").get("id") == "xn--bcher-kva.example"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("emailaddress=a%0D%0AX-Injected:%201@example.com", 400),
        ("emailaddress=a%00@example.com", 400),
        ("emailaddress=a@unknown.example", 404),
        ("emailaddress=" + "a" * 3000 + "@example.com", 400),
        ("emailaddress=" + "a" * 10000 + "@example.com", 414),  # gunicorn refuses the request line itself
    ],
)
def test_hostile_queries_get_a_clear_4xx_and_the_service_keeps_serving(
    service: ServiceProcess, query: str, expected: int
) -> None:
    status, headers, _ = service.get(f"{PATH}?{query}")
    assert 400 <= status < 500
    assert status == expected or (expected == 414 and status == 400)
    assert "X-Injected" not in headers
    assert service.get(f"{PATH}?emailaddress=a@example.com")[0] == 200


def test_concurrent_clients_all_get_their_own_answer(service: ServiceProcess) -> None:
    def fetch(i: int) -> str:
        status, _, body = service.get(f"{PATH}?emailaddress=user{i}@example.org")
        assert status == 200
        return str(etree.fromstring(body).findtext("emailProvider/incomingServer/username"))

    with ThreadPoolExecutor(8) as pool:
        names = list(pool.map(fetch, range(40)))
    assert names == [f"user{i}@example.org" for i in range(40)]


def test_each_request_is_one_json_access_line_with_its_request_id(service: ServiceProcess) -> None:
    status, headers, _ = service.get(f"{PATH}?emailaddress=log@example.com", headers={"X-Request-ID": "trace-12345678"})
    assert status == 200 and headers["X-Request-ID"] == "trace-12345678"
    lines = [json.loads(line) for line in Path(service.log_path).read_text().splitlines() if line.startswith("{")]
    access = [e for e in lines if e.get("logger") == "autoconfig.access" and e.get("request_id") == "trace-12345678"]
    assert len(access) == 1
    assert access[0]["path"] == PATH and access[0]["status"] == 200
