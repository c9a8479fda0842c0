"""A password needs TLS 1.2 or newer at OpenSSL's default security level (issue 16, item 5).

The verifying context once allowed TLS 1.0 at @SECLEVEL=0 and marked the session secure
before judging it, so a TLS 1.0 server rated `tls.weak_protocol` still got the password.
Now the verdict comes first; an old server is described over a separate weak context and
never sent a password. A hand-written IMAP server held to TLS 1.0 (tests/support/weak_tls.py)
records every command it receives."""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from autoconfig.model import Status
from autoconfig.probes.base import Step, failure_for
from autoconfig.probes.session import verifying_context, weak_context
from autoconfig.probes.tls import TlsDetails, judge, may_carry_password
from tests.diagnostics_helpers import by_id, diagnose, make, raw_config, server
from tests.support.ca import TestCA
from tests.support.dns import KnotServer
from tests.support.dovecot import ALICE
from tests.support.weak_tls import Tls10ImapServer

HOST = "imap.oldtls.test"


@pytest.fixture(params=[True, False], ids=["implicit TLS", "STARTTLS"])
def old_server(request: pytest.FixtureRequest, test_ca: TestCA,
               dns_zones: Callable[[str, str], None]) -> Iterator[Tls10ImapServer]:
    dns_zones("oldtls.test", "imap A 127.0.0.1\n")
    with Tls10ImapServer(test_ca.issue([HOST]), implicit=request.param) as stub:
        yield stub


def test_a_tls10_server_is_reported_weak_and_gets_no_password(
    old_server: Tls10ImapServer, test_ca: TestCA, dns_server: KnotServer, tmp_path: Path
) -> None:
    # Given an IMAP server whose only protocol is TLS 1.0 (with a valid certificate)
    security = "tls" if old_server.implicit else "starttls"
    servers = [server("imap", HOST, old_server.port, security), server("smtp", HOST, 1, "tls")]
    config = make(raw_config(servers, ca=test_ca, knot=dns_server, domains=["example.test"]), tmp_path)
    # When a customer diagnoses their account with the password
    report = diagnose(config, ALICE.address, ALICE.password, protocols=["imap"])
    checks = by_id(report)
    prefix = f"imap-{old_server.port}"
    # Then the TLS check names the old protocol, as an error…
    tls = checks[f"{prefix}-tls"]
    assert (tls.check.status, tls.check.code) == (Status.ERROR, "tls.weak_protocol")
    assert tls.check.params["tls_version"] == "TLSv1" and "TLSv1" in tls.message
    assert "password was not sent" in tls.message
    # …and the password never reached the server: no LOGIN, no AUTHENTICATE
    assert not {"LOGIN", "AUTHENTICATE"} & set(old_server.commands), old_server.commands
    assert checks[f"{prefix}-auth"].check.status is Status.SKIPPED
    assert checks[f"{prefix}-auth"].check.params.get("cause") == "tls.weak_protocol"


def test_the_verifying_context_is_tls12_at_the_default_security_level(tmp_path: Path) -> None:
    # The context a password travels over: TLS 1.2 or newer, and OpenSSL's default cipher
    # list for its default level (no @SECLEVEL=0, so no weak keys, MD5 or SHA-1 handshakes).
    context = verifying_context(None)
    default = ssl.create_default_context()
    assert context.minimum_version == ssl.TLSVersion.TLSv1_2
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert [c["name"] for c in context.get_ciphers()] == [c["name"] for c in default.get_ciphers()]
    # the weak context (reports only) is a separate object that does reach lower
    weak = weak_context(None)
    assert weak is not context and len(weak.get_ciphers()) >= len(context.get_ciphers())


@pytest.mark.parametrize(("version", "verified", "code", "allowed"), [
    ("TLSv1.3", True, "tls.ok", True),
    ("TLSv1.2", True, "tls.expiring_soon", True),
    ("TLSv1.2", False, "tls.ok", False),  # not verified
    ("TLSv1.1", True, "tls.ok", False),  # old protocol, whatever the verdict says
    ("TLSv1", True, "tls.weak_protocol", False),
    ("SSLv3", True, "tls.weak_protocol", False),
    ("TLSv1.2", True, "tls.weak_cipher", False),
    ("TLSv1.3", True, "tls.weak_key", False),
    (None, True, "tls.ok", False),
])
def test_the_password_decision(version: str | None, verified: bool, code: str, allowed: bool) -> None:
    details = TlsDetails(tls_version=version, verified=verified)
    assert may_carry_password(details, code) is allowed


@pytest.mark.parametrize(("version", "strict_refused", "code"), [
    ("TLSv1.3", False, "tls.ok"),
    ("TLSv1", False, "tls.weak_protocol"),
    ("TLSv1.1", True, "tls.weak_protocol"),
    ("TLSv1.2", True, "tls.weak_cipher"),  # only the weak context could talk to it
])
def test_judge_before_deciding(version: str, strict_refused: bool, code: str) -> None:
    status, found, _values = judge(TlsDetails(tls_version=version, verified=True, days_left=100), 21,
                                   strict_refused=strict_refused)
    assert found == code and (status is Status.OK) == (code == "tls.ok")


@pytest.mark.parametrize(("verify_code", "message"), [
    (66, "EE key too small"), (67, "CA key too small"), (68, "CA md too weak"),
])
def test_a_weak_key_or_signature_is_named(verify_code: int, message: str) -> None:
    # OpenSSL at its default level refuses these in verification; the report says why
    error = ssl.SSLCertVerificationError(1, message)
    error.verify_code, error.verify_message = verify_code, message
    failure = failure_for(error, Step.TLS_HANDSHAKE)
    assert (failure.code, failure.params["reason"]) == ("tls.weak_key", message)
