"""A password is nowhere but where it must go: run diagnoses with known passwords (ASCII,
non-ASCII, a wrong one) through the API, the stream and the CLI, on healthy and faulty
servers, then search every log record (at DEBUG, tracebacks included), every response,
every output and every file written meanwhile, in every encoding a leak could take."""

from __future__ import annotations

import base64
import json
import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from autoconfig import create_app
from autoconfig.cli import main
from autoconfig.staff import add_token, add_user
from autoconfig.web.context import services
from tests.diagnostics_helpers import (
    dovecot_servers,
    make,
    publish_example_zone,
    raw_config,
    to_toml,
)
from tests.support.ca import TestCA
from tests.support.dns import KnotServer
from tests.support.dovecot import ALICE, BRUNO, FAULT_ADDRESSES, DovecotServer
from tests.support.fixtures import DovecotFaults
from tests.support.postgres import PostgresServer

WRONG = "Sekr3t-MARKER-wrong-ß"
REPO = Path(__file__).resolve().parent.parent


def leak_forms(user: str, password: str) -> set[str]:
    """The password as text, as the wire carries it (SASL PLAIN, AUTH LOGIN) and escaped."""
    raw = password.encode("utf-8")
    return {
        password,
        base64.b64encode(b"\0" + user.encode() + b"\0" + raw).decode(),
        base64.b64encode(raw).decode(),
        repr(password)[1:-1],
        ascii(password)[1:-1],
        raw.decode("latin-1"),
    }


FORMS = leak_forms(ALICE.address, ALICE.password) | leak_forms(BRUNO.address, BRUNO.password) \
    | leak_forms(ALICE.address, WRONG)


def assert_clean(text: str, where: str) -> None:
    for form in FORMS:
        assert form not in text, f"a password leaked into {where}"


def files_written_since(start: float, roots: list[Path]) -> Iterator[Path]:
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = [d for d in dirnames if d not in (".git", ".venv", "node_modules", "__pycache__")]
            for name in filenames:
                path = Path(dirpath, name)
                try:
                    st = path.stat()
                except OSError:
                    continue
                if st.st_mtime >= start and st.st_size < 20_000_000 and path.is_file():
                    yield path


@pytest.fixture
def everything_logged(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    root = logging.getLogger()
    old = root.level
    caplog.set_level(logging.DEBUG)
    for name in ("imapclient", "imapclient.imaplib", "autoconfig", "werkzeug", "flask"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    yield caplog
    root.setLevel(old)


def test_no_password_anywhere(
    everything_logged: pytest.LogCaptureFixture,
    dovecot_healthy: DovecotServer,
    dovecot_faults: DovecotFaults,
    test_ca: TestCA,
    dns_server: KnotServer,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
    postgres_server: PostgresServer,
) -> None:
    start = time.time() - 1
    servers = dovecot_servers(dovecot_healthy)
    # faulty servers too: plaintext-capable (no TLS), expired certificate, one connection per user
    for fault in ("no_tls", "expired", "limited"):
        servers += dovecot_servers(dovecot_faults[fault], FAULT_ADDRESSES[fault][1])
    raw = raw_config(servers, ca=test_ca, knot=dns_server)
    database = tmp_path / "reports.db"
    raw["reports"] = {"database_url": f"sqlite:///{database}"}
    raw["helpdesk"] = {"users_file": "users.txt", "api_tokens_file": "tokens.txt"}
    config = make(raw, tmp_path)
    publish_example_zone(dns_server, config)
    app = create_app(config)
    client = app.test_client()
    outputs: list[str] = []

    # The API, JSON and NDJSON, with right, non-ASCII and wrong passwords
    for user, password in ((ALICE.address, ALICE.password), (BRUNO.address, BRUNO.password), (ALICE.address, WRONG)):
        for accept in ("application/json", "application/x-ndjson"):
            response = client.post("/api/v1/diagnostics", json={"email": user, "password": password},
                                   headers={"Accept": accept})
            assert response.status_code == 200
            outputs.append(response.get_data(as_text=True))
    assert '"auth.ok"' in outputs[0] and '"auth.failed"' in outputs[4]  # real logins happened

    # Bad input that carries the password: the 4xx must not echo it
    for body in ({"email": "broken", "password": WRONG}, {"email": ALICE.address, "password": WRONG + "\n"},
                 {"email": ALICE.address, "password": WRONG, "unknown": WRONG}):
        response = client.post("/api/v1/diagnostics", json=body)
        assert 400 <= response.status_code < 500
        outputs.append(response.get_data(as_text=True))

    # A password someone put into a QR code's or profile's URL is refused, and not echoed or logged
    for path in ("/qr/thunderbird.svg", "/qr/mobileconfig.svg", "/mobileconfig"):
        response = client.get(path, query_string={"email": ALICE.address, "password": WRONG})
        assert response.status_code == 400
        outputs.append(response.get_data(as_text=True))
    # and the codes themselves, for a real account, hold no password (they never get one)
    for path in ("/qr/thunderbird.svg", "/qr/mobileconfig.svg"):
        outputs.append(client.get(path, query_string={"email": ALICE.address}).get_data(as_text=True))

    # The CLI, password on standard input
    config_path = tmp_path / "autoconfig.toml"
    config_path.write_text(to_toml(raw), encoding="utf-8")
    for password in (BRUNO.password, WRONG):
        result = CliRunner().invoke(main, ["diagnose", "--config", str(config_path), "--password-stdin",
                                           BRUNO.address], input=password + "\n")
        outputs.append(result.output)
        if result.exception and not isinstance(result.exception, SystemExit):
            outputs.append(repr(result.exception))

    # The same diagnoses stored in PostgreSQL
    pg_raw = {**raw, "reports": {"database_url": postgres_server.create_database()}}
    pg_app = create_app(make(pg_raw, tmp_path))
    for user, password in ((ALICE.address, ALICE.password), (BRUNO.address, BRUNO.password), (ALICE.address, WRONG)):
        response = pg_app.test_client().post("/api/v1/diagnostics", json={"email": user, "password": password})
        assert response.json is not None and response.json["ticket"]["code"]
    # The console and the helpdesk API read them, and write the audit log
    add_user(tmp_path / "users.txt", "anna", "staff passphrase 1")
    token = add_token(tmp_path / "tokens.txt", "zammad")
    codes = [json.loads(o.splitlines()[-1])["ticket"]["code"] for o in outputs[:6]]
    for code in codes:
        listed = client.get(f"/api/v1/helpdesk/reports?code={code}", headers={"Authorization": f"Bearer {token}"})
        assert listed.status_code == 200
        outputs.append(listed.get_data(as_text=True))
    outputs.append(client.get(f"/api/v1/helpdesk/reports?email={ALICE.address}",
                              headers={"Authorization": f"Bearer {token}"}).get_data(as_text=True))

    # Then: every table of both databases, the audit log among them
    for engine_app in (app, pg_app):
        engine = services(engine_app).database.engine
        with engine.connect() as connection:
            for table in ("reports", "audit_log", "service_keys"):
                rows = connection.execute(sa.text(f"SELECT * FROM {table}")).all()  # noqa: S608
                assert rows or table != "reports"
                assert_clean(repr(rows), f"table {table} ({engine.dialect.name})")
        services(engine_app).reports.close()
    assert any("token:zammad" in repr(row) for row in _audit_rows(app))
    assert database.is_file()
    # Then: responses and outputs
    for n, text in enumerate(outputs):
        assert_clean(text, f"output #{n}")
    # every log record, with its traceback if any
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    assert everything_logged.records
    for record in everything_logged.records:
        assert_clean(formatter.format(record), f"log record of {record.name}")
    # whatever reached the process's own stdout/stderr
    captured = capfd.readouterr()
    assert_clean(captured.out + captured.err, "stdout/stderr")
    # every file written meanwhile: ours, the test's, and the mail servers' logs
    roots = [tmp_path, REPO, Path("/tmp"), dovecot_healthy.dir, *(dovecot_faults[f].dir for f in dovecot_faults)]
    checked = 0
    for path in files_written_since(start, roots):
        try:
            content = path.read_bytes()
        except OSError:  # gone meanwhile (another test's server cleaning up its folder)
            continue
        assert_clean(content.decode("utf-8", "replace"), str(path))
        checked += 1
    assert checked > 0
    assert_clean(b"".join(p.read_bytes() for p in tmp_path.glob("reports.db*")).decode("utf-8", "replace"),
                 "the SQLite file")
    assert "Login: user=<bruno@example.test>" in dovecot_healthy.log_text()  # the logins did happen



def _audit_rows(app: object) -> list[object]:
    return list(services(app).reports.audit_entries())  # type: ignore[arg-type]
