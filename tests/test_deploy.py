"""The deployment files as an operator uses them: gunicorn's config, nginx's site, the systemd
unit and the Dockerfile. gunicorn and nginx run for real (Debian's nginx), on loopback."""

from __future__ import annotations

import http.client
import json
import os
import re
import shlex
import signal
import socket
import ssl
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import base_raw
from tests.support.ca import TestCA
from tests.support.ports import free_ports, wait_for_ports
from tests.support.process import ManagedProcess, tail
from tests.support.procs import GUNICORN_CONF, REPO, ServiceProcess, write_config

NGINX = "/usr/sbin/nginx"
DEPLOY = REPO / "deploy"
SITE = DEPLOY / "nginx" / "autoconfig.conf"
PROXY_SNIPPET = DEPLOY / "nginx" / "autoconfig-proxy.conf"
WELLKNOWN_SNIPPET = DEPLOY / "nginx" / "autoconfig-wellknown.conf"
UNIT = DEPLOY / "systemd" / "autoconfig.service"
WATCH_UNIT = DEPLOY / "systemd" / "autoconfig-watch.service"
DOCKERFILE = DEPLOY / "Dockerfile"
CANONICAL = "autoconfig.example.com"
ADDRESS = "mario.rossi@example.com"
CONFIG_PATH = f"/mail/config-v1.1.xml?emailaddress={ADDRESS}"


# -- gunicorn -----------------------------------------------------------------------------

def gunicorn_settings(config: Path) -> dict[str, str]:
    """What gunicorn itself makes of deploy/gunicorn.conf.py (`--print-config`)."""
    out = subprocess.run(
        [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONF), "--print-config", "autoconfig:create_app()"],
        env={**os.environ, "AUTOCONFIG_CONFIG": str(config)}, capture_output=True, text=True, timeout=60,
    )
    assert out.returncode == 0, out.stderr
    return dict(re.findall(r"^(\w+)\s+= (.*)$", out.stdout, re.M))


def test_gunicorn_starts_the_service_with_threaded_workers_and_json_logs(tmp_path: Path) -> None:
    config = write_config(base_raw(), tmp_path / "autoconfig.toml")
    with ServiceProcess(config, workers=2, threads=4) as service:
        status, headers, body = service.get(CONFIG_PATH)
        assert status == 200
        assert b"<emailProvider" in body
        # gunicorn says who it is but not which version
        assert headers["Server"] == "gunicorn"
        log = service.log_once_written('"logger":"autoconfig.access"')
    lines = [json.loads(line) for line in log.splitlines() if line.strip()]
    messages = [entry["message"] for entry in lines]
    assert "Using worker: gthread" in messages
    assert any(m.startswith("autoconfig ready: 2 worker(s) x 4 thread(s)") for m in messages)
    # two workers counting rate limits in memory, each alone: the operator is told
    assert any(e["level"] == "warning" and "memory:// and 2 workers" in e["message"] for e in lines)
    assert any(e["logger"] == "autoconfig.access" and e["path"] == "/mail/config-v1.1.xml" for e in lines)
    assert all({"time", "level", "logger", "message"} <= set(entry) for entry in lines)


@pytest.mark.parametrize("budget_s", [12, 120])
def test_gunicorn_timeouts_stay_above_the_diagnosis_budget(tmp_path: Path, budget_s: int) -> None:
    raw = base_raw()
    raw["diagnostics"] = {"budget_s": budget_s}
    settings = gunicorn_settings(write_config(raw, tmp_path / "autoconfig.toml"))
    assert settings["worker_class"] == "gthread"
    assert int(settings["threads"]) >= 8
    assert int(settings["timeout"]) > budget_s
    assert int(settings["graceful_timeout"]) > budget_s
    assert settings["wsgi_app"] == "autoconfig:create_app()"


def test_a_broken_config_stops_gunicorn_before_any_worker_starts(tmp_path: Path) -> None:
    raw = base_raw()
    raw["provider"][0]["server"][0]["port"] = 99999
    config = write_config(raw, tmp_path / "broken.toml")
    out = subprocess.run(
        [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONF), "--bind", "127.0.0.1:0",
         "autoconfig:create_app()"],
        env={**os.environ, "AUTOCONFIG_CONFIG": str(config)}, capture_output=True, text=True, timeout=60,
    )
    assert out.returncode != 0
    assert "provider[0].server[0].port: must be between 1 and 65535" in out.stderr


# -- nginx in front of gunicorn -----------------------------------------------------------

@dataclass
class Front:
    """nginx on loopback with the site as shipped (ports and certificate paths swapped)."""

    http_port: int
    https_port: int
    ca_file: Path
    service: ServiceProcess

    def http(
        self, method: str, host: str, path: str, *, source: str = "127.0.0.1", **kwargs: Any
    ) -> tuple[int, dict[str, str], bytes]:
        connection = http.client.HTTPConnection(host, self.http_port, timeout=30)
        connection.sock = socket.create_connection(("127.0.0.1", self.http_port), timeout=30,
                                                   source_address=(source, 0))
        return _exchange(connection, method, host, path, **kwargs)

    def https(
        self, method: str, host: str, path: str, *, source: str = "127.0.0.1", **kwargs: Any
    ) -> tuple[int, dict[str, str], bytes]:
        context = ssl.create_default_context(cafile=str(self.ca_file))
        raw = socket.create_connection(("127.0.0.1", self.https_port), timeout=30, source_address=(source, 0))
        connection = http.client.HTTPSConnection(host, self.https_port, timeout=30, context=context)
        connection.sock = context.wrap_socket(raw, server_hostname=host)
        return _exchange(connection, method, host, path, **kwargs)


def _exchange(
    connection: http.client.HTTPConnection, method: str, host: str, path: str,
    body: bytes | None = None, headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    try:
        connection.request(method, path, body=body, headers={"Host": host, **(headers or {})})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def render_site(text: str, replacements: dict[str, str]) -> str:
    for old, new in replacements.items():
        assert old in text, f"the site no longer contains {old!r}: update this test"
        text = text.replace(old, new)
    return text


def nginx_conf(prefix: Path, site: Path) -> str:
    user = "user root root;\n" if os.geteuid() == 0 else ""
    kinds = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    temp = "\n".join(f"    {kind}_temp_path {prefix / 'tmp' / kind};" for kind in kinds)
    return (
        f"{user}worker_processes 1;\npid {prefix / 'nginx.pid'};\nerror_log {prefix / 'error.log'} info;\n"
        "events { worker_connections 256; }\n"
        "http {\n    include /etc/nginx/mime.types;\n    default_type application/octet-stream;\n"
        f"    access_log {prefix / 'access.log'};\n{temp}\n    include {site};\n}}\n"
    )


def install_nginx(prefix: Path, http_port: int, https_port: int, upstream_port: int, ca: TestCA) -> Path:
    cert, key = ca.issue([CANONICAL, "autodiscover.example.com", "autoconfig.example.org"])
    (prefix / "snippets").mkdir(parents=True)
    (prefix / "tmp").mkdir()
    (prefix / "snippets" / "autoconfig-proxy.conf").write_text(PROXY_SNIPPET.read_text())
    (prefix / "snippets" / "autoconfig-acme.conf").write_text((DEPLOY / "nginx" / "autoconfig-acme.conf").read_text())
    site = prefix / "autoconfig.conf"
    site.write_text(render_site(SITE.read_text(), {
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "listen [::]:80;": "",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;",
        "listen [::]:443 ssl http2;": "",
        "server 127.0.0.1:8000;": f"server 127.0.0.1:{upstream_port};",
        f"/etc/letsencrypt/live/{CANONICAL}/fullchain.pem": str(cert),
        f"/etc/letsencrypt/live/{CANONICAL}/privkey.pem": str(key),
    }))
    conf = prefix / "nginx.conf"
    conf.write_text(nginx_conf(prefix, site))
    return conf


def nginx_test(conf: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([NGINX, "-t", "-p", f"{conf.parent}/", "-c", str(conf), "-e", str(conf.parent / "t.log")],
                          capture_output=True, text=True, timeout=30)


def test_nginx_accepts_the_site(tmp_path: Path, test_ca: TestCA) -> None:
    conf = install_nginx(tmp_path / "nginx", *free_ports(3), ca=test_ca)
    result = nginx_test(conf)
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr and "test is successful" in result.stderr
    assert "warn" not in result.stderr


def test_nginx_accepts_the_well_known_snippet_in_a_customer_site(tmp_path: Path, test_ca: TestCA) -> None:
    conf = install_nginx(tmp_path / "nginx", *free_ports(3), ca=test_ca)
    (tmp_path / "nginx" / "snippets" / "autoconfig-wellknown.conf").write_text(WELLKNOWN_SNIPPET.read_text())
    customer = tmp_path / "nginx" / "customer.conf"
    customer.write_text(
        f"server {{\n listen 127.0.0.1:{free_ports(1)[0]};\n server_name www.cliente.example;\n"
        " include snippets/autoconfig-wellknown.conf;\n location / { return 200; }\n}\n"
    )
    text = conf.read_text().replace(f"    include {conf.parent / 'autoconfig.conf'};",
                                    f"    include {conf.parent / 'autoconfig.conf'};\n    include {customer};")
    conf.write_text(text)
    result = nginx_test(conf)
    assert result.returncode == 0, result.stderr


@pytest.fixture(scope="module")
def front(tmp_path_factory: pytest.TempPathFactory, test_ca: TestCA) -> Iterator[Front]:
    # Given the service behind nginx, trusting that one proxy, with a tight limit to observe
    prefix = tmp_path_factory.mktemp("front")
    raw = base_raw()
    raw["service"]["trusted_proxies"] = 1
    raw["service"]["public_url"] = f"https://{CANONICAL}"
    raw["limits"] = {"autoconfig_per_ip": "3/minute"}
    config = write_config(raw, prefix / "autoconfig.toml")
    with ServiceProcess(config, workers=1, threads=4) as service:
        http_port, https_port = free_ports(2)
        conf = install_nginx(prefix / "nginx", http_port, https_port, service.port, test_ca)
        nginx = ManagedProcess([NGINX, "-p", f"{conf.parent}/", "-c", str(conf), "-e", str(conf.parent / "error.log"),
                                "-g", "daemon off;"], prefix / "nginx.out")
        try:
            pending = wait_for_ports([("127.0.0.1", http_port), ("127.0.0.1", https_port)], deadline=_deadline(10))
            if pending:
                pytest.fail(f"nginx did not listen on {pending}:\n{tail(conf.parent / 'error.log')}\n"
                            f"{tail(prefix / 'nginx.out')}", pytrace=False)
            yield Front(http_port, https_port, test_ca.ca_file, service)
        finally:
            nginx.stop()


def _deadline(seconds: float) -> float:
    import time

    return time.monotonic() + seconds


def test_outlook_http_redirect_points_at_the_https_service(front: Front) -> None:
    # Outlook's HTTP redirect method: GET http://autodiscover.<domain>/autodiscover/autodiscover.xml
    status, headers, _ = front.http("GET", "autodiscover.cliente.example", "/autodiscover/autodiscover.xml")
    assert status == 302
    assert headers["location"] == f"https://{CANONICAL}/autodiscover/autodiscover.xml"
    # and the POST it then sends there gets the settings over verified TLS
    request = (
        b'<?xml version="1.0" encoding="utf-8"?>'
        b'<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">'
        b"<Request><EMailAddress>mario.rossi@example.com</EMailAddress>"
        b"<AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"
        b"</AcceptableResponseSchema></Request></Autodiscover>"
    )
    status, headers, body = front.https("POST", CANONICAL, "/autodiscover/autodiscover.xml", body=request,
                                        headers={"Content-Type": "text/xml", "Authorization": "Basic bWFyaW86eA=="},
                                        source="127.0.0.5")
    assert status == 200, body
    assert b"<Type>IMAP</Type>" in body
    assert headers["strict-transport-security"].startswith("max-age=")


def test_thunderbird_gets_its_file_over_http_for_customer_domains_and_https(front: Front) -> None:
    # A customer domain CNAMEd to us: no certificate of ours covers it, HTTP must work
    status, headers, body = front.http("GET", "autoconfig.example.org", "/mail/config-v1.1.xml",
                                       source="127.0.0.6")
    assert status == 200
    assert headers["content-type"].startswith("application/xml")
    assert b"%EMAILADDRESS%" in body  # no address given: the domain came from the Host header
    status, _, body = front.https("GET", "autoconfig.example.org", "/mail/config-v1.1.xml", source="127.0.0.6")
    assert status == 200 and b"<emailProvider id=\"example.org\">" in body


def test_other_plain_http_pages_move_to_https(front: Front) -> None:
    status, headers, _ = front.http("GET", CANONICAL, "/?lang=en")
    assert status == 301
    assert headers["location"] == f"https://{CANONICAL}/?lang=en"


def test_through_nginx_each_client_address_is_limited_on_its_own(front: Front) -> None:
    # trusted_proxies = 1: the address nginx saw, not nginx's own, keys the limit
    first = [front.https("GET", CANONICAL, CONFIG_PATH, source="127.0.0.2")[0] for _ in range(4)]
    second = front.https("GET", CANONICAL, CONFIG_PATH, source="127.0.0.3",
                         headers={"X-Forwarded-For": "127.0.0.2"})[0]
    assert first == [200, 200, 200, 429]
    assert second == 200  # a forged X-Forwarded-For does not make it someone else


def test_health_and_metrics_only_for_the_local_monitoring(front: Front) -> None:
    assert front.https("GET", CANONICAL, "/healthz", source="127.0.0.1")[0] == 200
    assert front.https("GET", CANONICAL, "/metrics", source="127.0.0.1")[0] == 200
    assert front.https("GET", CANONICAL, "/healthz", source="127.0.0.4")[0] == 403
    assert front.https("GET", CANONICAL, "/metrics", source="127.0.0.4")[0] == 403


def test_idle_connections_hold_gunicorn_but_not_the_front(front: Front) -> None:
    """Why the container (and every install) ships behind the nginx site: gunicorn's gthread
    worker gives each new connection a thread until its request arrives, so a few idle
    connections freeze it (16 froze /healthz for 14 s in the attack); nginx buffers whole
    requests, so idle clients of the front never reach gunicorn's threads."""
    threads = front.service.threads
    idle = [socket.create_connection(("127.0.0.1", front.https_port), timeout=5) for _ in range(4 * threads)]
    idle += [socket.create_connection(("127.0.0.1", front.http_port), timeout=5) for _ in range(4 * threads)]
    try:
        # Behind the front, the service answers while the idle connections stay open
        assert front.https("GET", CANONICAL, "/healthz", source="127.0.0.1")[0] == 200
        assert front.http("GET", "autoconfig.cliente.example", "/mail/config-v1.1.xml?emailaddress=a@example.com",
                          source="127.0.0.1")[0] == 200
        # while as many idle connections straight to gunicorn leave no thread for the same request
        direct = [socket.create_connection(("127.0.0.1", front.service.port), timeout=5) for _ in range(threads)]
        try:
            connection = http.client.HTTPConnection("127.0.0.1", front.service.port, timeout=2)
            with pytest.raises(TimeoutError):
                _exchange(connection, "GET", "localhost", "/healthz")
        finally:
            for sock in direct:
                sock.close()
    finally:
        for sock in idle:
            sock.close()


def test_nginx_passes_its_request_id_and_hides_its_version(front: Front) -> None:
    status, headers, _ = front.https("GET", CANONICAL, "/api/v1/openapi.json", source="127.0.0.7")
    assert status == 200
    assert re.fullmatch(r"[0-9a-f]{32}", headers["x-request-id"])
    assert headers["server"] == "nginx"
    assert "'unsafe-inline'" not in headers.get("content-security-policy", "")


# -- systemd ------------------------------------------------------------------------------

def unit_for_this_checkout(tmp_path: Path, unit: Path = UNIT) -> Path:
    text = unit.read_text()
    venv_bin = Path(sys.executable).parent
    assert "/opt/autoconfig/venv/bin/" in text
    text = text.replace("/opt/autoconfig/venv/bin", str(venv_bin)).replace("/opt/autoconfig", str(REPO))
    path = tmp_path / unit.name
    path.write_text(text)
    return path


def test_systemd_accepts_the_unit_without_a_complaint(tmp_path: Path) -> None:
    result = subprocess.run(["systemd-analyze", "verify", str(unit_for_this_checkout(tmp_path))],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "", result.stderr


def test_the_units_commands_start_and_check_the_service(tmp_path: Path) -> None:
    # Run ExecStartPre and ExecStart as systemd would, with the unit's environment
    unit = unit_for_this_checkout(tmp_path).read_text()
    env = dict(os.environ)
    for assignment in re.findall(r"^Environment=(\S+)$", unit, re.M):
        name, _, value = assignment.partition("=")
        env[name] = value
    config = write_config(base_raw(), tmp_path / "autoconfig.toml")
    port = free_ports(1)[0]
    env.update(AUTOCONFIG_CONFIG=str(config), AUTOCONFIG_BIND=f"127.0.0.1:{port}",
               PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"), AUTOCONFIG_WORKERS="1")
    expand = {"${AUTOCONFIG_CONFIG}": str(config)}
    pre = [expand.get(arg, arg) for arg in shlex.split(re.search(r"^ExecStartPre=(.+)$", unit, re.M).group(1))]  # type: ignore[union-attr]
    check = subprocess.run(pre, env=env, capture_output=True, text=True, timeout=60)
    assert check.returncode == 0 and check.stdout.startswith("ok:"), check.stderr
    start = shlex.split(re.search(r"^ExecStart=(.+)$", unit, re.M).group(1))  # type: ignore[union-attr]
    process = ManagedProcess(["/usr/bin/env", *(f"{k}={v}" for k, v in env.items()), *start], tmp_path / "out.log")
    try:
        assert not wait_for_ports([("127.0.0.1", port)], deadline=_deadline(30)), tail(tmp_path / "out.log")
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        status, _, body = _exchange(connection, "GET", "localhost", "/healthz")
        assert status == 200 and json.loads(body)["config"]["loaded"] is True
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        status, _, body = _exchange(connection, "GET", "localhost", "/metrics")
        assert status == 200 and f'autoconfig_config_info{{source="{config}"}}' in body.decode()
    finally:
        process.stop()


HARDENING = re.compile(r"^(NoNewPrivileges|CapabilityBoundingSet|AmbientCapabilities|Private\w+|Protect\w+|"
                       r"Restrict\w+|LockPersonality|SystemCall\w+|UMask)=.*$", re.M)


def test_systemd_accepts_the_watch_unit_without_a_complaint(tmp_path: Path) -> None:
    result = subprocess.run(["systemd-analyze", "verify", str(unit_for_this_checkout(tmp_path, WATCH_UNIT))],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "", result.stderr


def test_the_watch_unit_is_hardened_like_the_web_unit() -> None:
    web = HARDENING.findall(UNIT.read_text())
    assert len(web) > 15
    assert sorted(re.findall(r"^(?:" + "|".join(map(re.escape, web)) + r")=.*$", WATCH_UNIT.read_text(), re.M)) \
        == sorted(m.group(0) for m in HARDENING.finditer(UNIT.read_text()))
    exposure = subprocess.run(["systemd-analyze", "security", "--offline=yes", str(WATCH_UNIT)],
                              capture_output=True, text=True, timeout=60)
    web_exposure = subprocess.run(["systemd-analyze", "security", "--offline=yes", str(UNIT)],
                                  capture_output=True, text=True, timeout=60)
    score = re.compile(r"Overall exposure level for \S+: (\d+\.\d+)")
    if exposure.returncode == 0 and web_exposure.returncode == 0:  # --offline needs systemd 252
        assert float(score.search(exposure.stdout).group(1)) <= float(score.search(web_exposure.stdout).group(1))  # type: ignore[union-attr]


def test_the_watch_units_commands_run_rounds_and_stop_cleanly(tmp_path: Path) -> None:
    # Run ExecStartPre and ExecStart as systemd would; DNS at a loopback port nobody answers
    unit = unit_for_this_checkout(tmp_path, WATCH_UNIT).read_text()
    raw = base_raw()
    raw["dns"] = {"nameservers": [f"127.0.0.1:{free_ports(1)[0]}"], "timeout_s": 0.5}
    raw["diagnostics"] = {"budget_s": 2, "connect_timeout_s": 1}
    raw["watch"] = {"interval_s": 0.5}
    raw["reports"] = {"database_url": f"sqlite:///{tmp_path / 'reports.db'}"}
    config = write_config(raw, tmp_path / "autoconfig.toml")
    env = {**os.environ, "AUTOCONFIG_CONFIG": str(config)}
    pre = [a.replace("${AUTOCONFIG_CONFIG}", str(config))
           for a in shlex.split(re.search(r"^ExecStartPre=(.+)$", unit, re.M).group(1))]  # type: ignore[union-attr]
    check = subprocess.run(pre, env=env, capture_output=True, text=True, timeout=60)
    assert check.returncode == 0 and check.stdout.startswith("ok:"), check.stderr
    start = shlex.split(re.search(r"^ExecStart=(.+)$", unit, re.M).group(1))  # type: ignore[union-attr]
    with (tmp_path / "out.log").open("wb") as out:
        process = subprocess.Popen(start, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while "watch round" not in (tmp_path / "out.log").read_text() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert "watch round" in (tmp_path / "out.log").read_text(), tail(tmp_path / "out.log")
    finally:
        process.send_signal(signal.SIGTERM)
        returncode = process.wait(30)
    assert returncode == 0, tail(tmp_path / "out.log")


# -- Docker (no engine here: the file is checked, not built) --------------------------------

def test_dockerfile_copies_everything_the_wheel_build_needs() -> None:
    text = DOCKERFILE.read_text()
    copies = re.findall(r"^COPY (?!--from)(.+?) (\S+)$", text, re.M)
    sources = {src for group, _ in copies for src in group.split()}
    for source in sources:
        assert (REPO / source).exists(), f"COPY {source}: not in the repository"
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    hatch = pyproject["tool"]["hatch"]["build"]
    needed = {pyproject["project"]["readme"], "pyproject.toml", "autoconfig",
              *hatch["targets"]["wheel"]["force-include"], hatch["hooks"]["custom"]["path"]}
    assert needed <= sources
    ignored = (DEPLOY / "Dockerfile.dockerignore").read_text().split()
    assert not any(source == pattern for source in sources for pattern in ignored)


def test_dockerfile_runs_the_deploy_config_as_an_unprivileged_user() -> None:
    text = DOCKERFILE.read_text()
    requires = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["requires-python"]
    assert requires == ">=3.11" and "python:3.11-slim-bookworm" in text
    assert "COPY deploy/gunicorn.conf.py /opt/autoconfig/gunicorn.conf.py" in text
    assert re.search(r'^CMD \["gunicorn", "-c", "/opt/autoconfig/gunicorn.conf.py", "autoconfig:create_app\(\)"\]$',
                     text, re.M)
    users = re.findall(r"^USER (\S+)$", text, re.M)
    assert users and users[-1] not in ("root", "0")
    assert re.search(r"^HEALTHCHECK .*\n?.*/healthz", text, re.M)


def test_the_certbot_script_asks_for_every_customer_name_and_nginx_accepts_its_sites(
    tmp_path: Path, test_ca: TestCA
) -> None:
    # Given a configuration with customer domains, and certbot standing in (no ACME server here):
    # it records what it was asked and leaves a certificate where certbot would
    raw = base_raw()
    raw["service"]["public_url"] = f"https://{CANONICAL}"
    config = write_config(raw, tmp_path / "autoconfig.toml")
    cert, key = test_ca.issue(["autoconfig.example.org"])
    live, out, asked = tmp_path / "live", tmp_path / "sites", tmp_path / "asked"
    fake = tmp_path / "certbot"
    fake.write_text(
        "#!/bin/sh\nname=''\nprev=''\nfor a in \"$@\"; do [ \"$prev\" = --cert-name ] && name=$a; prev=$a; done\n"
        f"echo \"$@\" >> {asked}\nmkdir -p {live}/$name\n"
        f"cp {cert} {live}/$name/fullchain.pem\ncp {key} {live}/$name/privkey.pem\n"
    )
    fake.chmod(0o755)
    autoconfig = Path(sys.executable).with_name("autoconfig")
    env = {**os.environ, "AUTOCONFIG": str(autoconfig), "AUTOCONFIG_CONFIG": str(config),
           "CERTBOT": str(fake), "WEBROOT": str(tmp_path / "acme"), "OUT": str(out), "LIVE": str(live),
           "BATCH": "3", "CHECK": "true", "RELOAD": "true"}
    # When the operator runs the script
    run = subprocess.run(["sh", str(DEPLOY / "certbot" / "autoconfig-certificates.sh")], env=env,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    # Then certbot was asked for every customer name, at most BATCH per certificate
    requests = asked.read_text().splitlines()
    names = [w for line in requests for w in line.split() if w.startswith(("autoconfig.", "autodiscover."))]
    assert "autoconfig.example.org" in names and "autodiscover.example.org" in names
    assert CANONICAL not in names  # the service's own name is the main site's
    assert all(line.count(" -d ") <= 3 for line in requests) and len(requests) >= 2
    # and nginx accepts the site together with the server blocks the script wrote
    conf = install_nginx(tmp_path / "nginx", *free_ports(3), ca=test_ca)
    site = conf.parent / "autoconfig.conf"
    conf.write_text(conf.read_text().replace(f"    include {site};", f"    include {site};\n    include {out}/*.conf;"))
    text = "\n".join(p.read_text() for p in sorted(out.glob("*.conf")))
    port = free_ports(1)[0]
    for p in out.glob("*.conf"):
        p.write_text(p.read_text().replace("listen 443 ssl http2;", f"listen 127.0.0.1:{port} ssl http2;")
                     .replace("    listen [::]:443 ssl http2;\n", ""))
    assert "autoconfig.example.org" in text and "include snippets/autoconfig-proxy.conf;" in text
    result = nginx_test(conf)
    assert result.returncode == 0, result.stderr
    assert "warn" not in result.stderr
