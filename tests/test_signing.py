"""Signed profiles: verified by OpenSSL against the test CA's root alone; bad material stops the start."""

from __future__ import annotations

import datetime as dt
import plistlib
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import NameOID
from flask.testing import FlaskClient

from autoconfig import create_app
from autoconfig.cli import main
from autoconfig.errors import ConfigError
from autoconfig.formats import mobileconfig
from autoconfig.lookup import settings_for_address
from autoconfig.model import MobileConfigOptions
from autoconfig.signing import check_signing_material, inspect, load_signers
from tests.conftest import ConfigFactory, base_raw
from tests.support.ca import SigningCert, TestCA

NOW = dt.datetime.now(dt.UTC)
DAY = dt.timedelta(days=1)


def signing_raw(signing: SigningCert, *, chain: bool = True) -> dict[str, Any]:
    raw = base_raw()
    raw["provider"][0]["mobileconfig"] = {
        "identifier": "com.example.mail",
        "signing_cert": str(signing.cert_path),
        "signing_key": str(signing.key_path),
        "signing_chain": str(signing.chain_path) if chain else "",
    }
    return raw


def openssl_verify(
    der: bytes, ca_file: Path, tmp_path: Path, *, tool: str = "smime"
) -> subprocess.CompletedProcess[bytes]:
    """`openssl smime|cms -verify` trusting only the root; the verified content is on stdout."""
    signed = tmp_path / f"profile-{tool}.der"
    signed.write_bytes(der)
    return subprocess.run(
        ["openssl", tool, "-verify", "-inform", "DER", "-in", str(signed), "-CAfile", str(ca_file)],
        capture_output=True, check=False, timeout=30,
    )


@pytest.fixture(scope="module")
def signing(test_ca: TestCA) -> SigningCert:
    return test_ca.issue_signing("Example Hosting profile signer")


@pytest.fixture
def signed_client(make_config: ConfigFactory, signing: SigningCert) -> FlaskClient:
    return create_app(make_config(signing_raw(signing))).test_client()


def test_signed_profile_verifies_with_the_root_alone_and_holds_the_identical_plist(
    signed_client: FlaskClient, config: Any, test_ca: TestCA, tmp_path: Path
) -> None:
    # Given a provider with signing material, and the same address's unsigned profile
    unsigned = create_app(config).test_client().get("/mobileconfig?email=mario.rossi@example.com").data
    # When the signed profile is fetched
    response = signed_client.get("/mobileconfig?email=mario.rossi@example.com")
    assert response.status_code == 200
    assert response.mimetype == "application/x-apple-aspen-config"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    der = response.data
    assert der[:1] == b"\x30"  # DER SEQUENCE, not PEM or S/MIME text
    # Then OpenSSL (smime and cms) verifies it trusting only the root, and returns the plist unchanged
    for tool in ("smime", "cms"):
        result = openssl_verify(der, test_ca.ca_file, tmp_path, tool=tool)
        assert result.returncode == 0, result.stderr.decode()
        assert b"Verification successful" in result.stderr
        assert result.stdout == unsigned
    assert plistlib.loads(unsigned)["PayloadType"] == "Configuration"


def test_signed_data_includes_the_signer_and_the_intermediate(signed_client: FlaskClient, test_ca: TestCA,
                                                              signing: SigningCert) -> None:
    der = signed_client.get("/mobileconfig?email=a@example.com").data
    certs = pkcs7.load_der_pkcs7_certificates(der)
    subjects = {c.subject for c in certs}
    leaf = x509.load_pem_x509_certificate(signing.cert_path.read_bytes())
    assert subjects == {leaf.subject, test_ca.intermediate_cert.subject}


def test_a_tampered_profile_fails_verification(signed_client: FlaskClient, test_ca: TestCA, tmp_path: Path) -> None:
    der = bytearray(signed_client.get("/mobileconfig?email=a@example.com").data)
    at = der.index(b"smtp.example.com")
    der[at] = ord("x")
    result = openssl_verify(bytes(der), test_ca.ca_file, tmp_path)
    assert result.returncode != 0


def test_fullchain_in_signing_cert_and_ec_keys_work(make_config: ConfigFactory, test_ca: TestCA,
                                                    tmp_path: Path) -> None:
    # Given an EC signing certificate whose file also holds the intermediate (a "fullchain" file)
    signing = test_ca.issue_signing("EC signer", key_type="ec")
    fullchain = tmp_path / "fullchain.pem"
    fullchain.write_bytes(signing.cert_path.read_bytes() + signing.chain_path.read_bytes())
    raw = signing_raw(SigningCert(fullchain, signing.key_path, signing.chain_path), chain=False)
    # When a profile is signed
    der = create_app(make_config(raw)).test_client().get("/mobileconfig?email=a@example.com").data
    # Then it verifies against the root alone
    result = openssl_verify(der, test_ca.ca_file, tmp_path)
    assert result.returncode == 0, result.stderr.decode()


def test_keys_are_loaded_once_at_start_not_per_request(make_config: ConfigFactory, test_ca: TestCA,
                                                       tmp_path: Path) -> None:
    # Given an app started with signing material in files
    signing = test_ca.issue_signing("start-only signer")
    app = create_app(make_config(signing_raw(signing)))
    # When the files disappear after the start
    for path in signing:
        path.unlink()
    # Then profiles are still signed, from what was loaded at start
    der = app.test_client().get("/mobileconfig?email=a@example.com").data
    assert openssl_verify(der, test_ca.ca_file, tmp_path).returncode == 0


def test_signer_repr_never_shows_the_key(signing: SigningCert) -> None:
    (signer,) = load_signers(create_app_config(signing).providers).values()
    text = repr(signer) + str(signer)
    assert "PRIVATE" not in text and "key=" not in text
    assert "Example Hosting profile signer" in text


def create_app_config(signing: SigningCert) -> Any:
    from autoconfig.config import build_config

    return build_config(signing_raw(signing), base_dir=Path("/"))


def test_cli_render_mobileconfig_signs_when_configured(signing: SigningCert, test_ca: TestCA,
                                                       tmp_path: Path) -> None:
    # Given a configuration file with signing material
    raw = signing_raw(signing)
    config_file = tmp_path / "autoconfig.toml"
    config_file.write_text(_toml(raw), encoding="utf-8")
    out = tmp_path / "out.mobileconfig"
    # When the profile is rendered to a file
    result = CliRunner().invoke(main, ["render", "mobileconfig", "mario@example.com", "--out", str(out),
                                       "--config", str(config_file)])
    # Then the file is a signed profile that verifies
    assert result.exit_code == 0, result.output
    verified = openssl_verify(out.read_bytes(), test_ca.ca_file, tmp_path)
    assert verified.returncode == 0, verified.stderr.decode()
    assert plistlib.loads(verified.stdout)["PayloadContent"][0]["EmailAddress"] == "mario@example.com"


def _toml(raw: dict[str, Any]) -> str:
    """Just enough TOML for base_raw()-shaped dicts."""

    def value(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int):
            return str(v)
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines = ["[service]", *(f"{k} = {value(v)}" for k, v in raw["service"].items())]
    for provider in raw["provider"]:
        lines.append("[[provider]]")
        lines += [f"{k} = {value(v)}" for k, v in provider.items() if k not in ("server", "mobileconfig")]
        for server in provider["server"]:
            lines.append("[[provider.server]]")
            lines += [f"{k} = {value(v)}" for k, v in server.items()]
        if "mobileconfig" in provider:
            lines.append("[provider.mobileconfig]")
            lines += [f"{k} = {value(v)}" for k, v in provider["mobileconfig"].items()]
    return "\n".join(lines) + "\n"


# --- bad material is a configuration error, reported by check-config ----------------------


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _encrypted_key(signing: SigningCert, tmp_path: Path) -> SigningCert:
    key = serialization.load_pem_private_key(signing.key_path.read_bytes(), password=None)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.BestAvailableEncryption(b"passphrase"))
    return signing._replace(key_path=_write(tmp_path, "encrypted.key", pem))


def _ed25519_key(signing: SigningCert, tmp_path: Path) -> SigningCert:
    pem = ed25519.Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return signing._replace(key_path=_write(tmp_path, "ed.key", pem))


def _no_signature_usage(signing: SigningCert, tmp_path: Path) -> SigningCert:
    """A self-signed certificate whose key usage allows key encipherment only."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "encipher only")])
    usage = x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=True,
                          data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                          encipher_only=False, decipher_only=False)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(NOW - DAY).not_valid_after(NOW + DAY)
            .add_extension(usage, critical=True).sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return signing._replace(cert_path=_write(tmp_path, "enc.pem", cert.public_bytes(serialization.Encoding.PEM)),
                            key_path=_write(tmp_path, "enc.key", key_pem))


BadMaterial = Callable[[SigningCert, TestCA, Path], SigningCert]

BAD: list[tuple[str, BadMaterial, str]] = [
    ("missing certificate", lambda s, ca, p: s._replace(cert_path=p / "nope.pem"),
     "signing_cert: file not found"),
    ("missing key", lambda s, ca, p: s._replace(key_path=p / "nope.key"), "signing_key: file not found"),
    ("unreadable key (a directory)", lambda s, ca, p: s._replace(key_path=p), "signing_key: is a directory"),
    ("garbage certificate", lambda s, ca, p: s._replace(cert_path=_write(p, "g.pem", b"hello")),
     "signing_cert: not a PEM (or DER) certificate"),
    ("garbage key", lambda s, ca, p: s._replace(key_path=_write(p, "g.key", b"-----BEGIN PRIVATE KEY-----\nxx\n")),
     "signing_key: not a PEM private key"),
    ("certificate given as key", lambda s, ca, p: s._replace(key_path=s.cert_path),
     "signing_key: not a PEM private key"),
    ("expired", lambda s, ca, p: ca.issue_signing("old", not_before=NOW - 400 * DAY, not_after=NOW - DAY),
     "signing_cert: 'CN=old,O=autoconfig tests' expired on"),
    ("not yet valid", lambda s, ca, p: ca.issue_signing("future", not_before=NOW + 7 * DAY),
     "is not valid before"),
    ("key of another certificate", lambda s, ca, p: s._replace(key_path=ca.issue_signing("other").key_path),
     "signing_key: does not belong to signing_cert"),
    ("encrypted key", lambda s, ca, p: _encrypted_key(s, p), "signing_key: is encrypted with a passphrase"),
    ("Ed25519 key", lambda s, ca, p: _ed25519_key(s, p), "cannot sign profiles; use an RSA or EC key"),
    ("garbage chain", lambda s, ca, p: s._replace(chain_path=_write(p, "c.pem", b"\x00\x01")),
     "signing_chain: not a PEM (or DER) certificate"),
    ("chain of another CA", lambda s, ca, p: s._replace(chain_path=TestCA(p / "other-ca").intermediate_file),
     "signing_chain: holds no certificate that issued signing_cert"),
    ("certificate not for digital signatures", lambda s, ca, p: _no_signature_usage(s, p),
     "signing_cert: its key usage does not allow digital signatures"),
]


@pytest.mark.parametrize(("change", "expected"), [(c, e) for _, c, e in BAD], ids=[n for n, _, _ in BAD])
def test_bad_signing_material_stops_the_start_with_a_clear_message(
    change: BadMaterial, expected: str, signing: SigningCert, test_ca: TestCA, tmp_path: Path,
    make_config: ConfigFactory,
) -> None:
    # Given signing material with one thing wrong
    bad = change(signing, test_ca, tmp_path)
    raw = signing_raw(bad)
    # When the configuration is loaded (as at start and by check-config)
    with pytest.raises(ConfigError) as info:
        make_config(raw)
    # Then it is refused with the key path and what is wrong; nothing secret is shown
    assert any(m.startswith("provider[0].mobileconfig.") and expected in m for m in info.value.messages), \
        info.value.messages
    assert not any("PRIVATE KEY" in m for m in info.value.messages)
    # And check-config says the same and fails
    config_file = tmp_path / "bad.toml"
    config_file.write_text(_toml(raw), encoding="utf-8")
    result = CliRunner().invoke(main, ["check-config", str(config_file)])
    assert result.exit_code == 2
    assert expected in result.output


def test_chain_without_certificate_is_a_problem() -> None:
    options = MobileConfigOptions(identifier="com.example.mail", signing_chain=Path("/etc/hostname"))
    assert check_signing_material(options) == ["signing_chain: given without signing_cert and signing_key"]


def test_certificate_that_expires_later_is_refused_once_it_has(signing: SigningCert) -> None:
    # The check is made against the clock it is given: the same files are fine now, refused in two years
    options = MobileConfigOptions("com.example.mail", signing.cert_path, signing.key_path, signing.chain_path)
    assert inspect(options)[0] == []
    later = inspect(options, now=NOW + 730 * DAY)[0]
    assert any("signing_cert:" in p and "expired on" in p for p in later)


def test_signed_render_uses_the_same_plist_as_unsigned(signing: SigningCert, config: Any) -> None:
    # The signer wraps the format's bytes unchanged (Binary: no CRLF canonicalisation)
    from autoconfig.directory import Directory

    settings = settings_for_address(Directory(config.providers, None), "a@example.com")
    plist = mobileconfig.render(settings, config.service)
    (signer,) = load_signers(create_app_config(signing).providers).values()
    der = signer.sign(plist)
    assert plist in der
    assert b"\r\n" not in plist and plist.count(b"\n") > 10


def test_material_gone_bad_between_check_and_start_stops_the_start(make_config: ConfigFactory,
                                                                     test_ca: TestCA) -> None:
    # Given a configuration checked while the files were fine
    signing = test_ca.issue_signing("vanishing signer")
    config = make_config(signing_raw(signing))
    # When the key is replaced by garbage before the app starts
    signing.key_path.write_bytes(b"not a key")
    # Then the app refuses to start, naming the key, rather than serve broken profiles
    with pytest.raises(ConfigError) as info:
        create_app(config)
    assert info.value.messages == [f"provider[0].mobileconfig.signing_key: not a PEM private key: {signing.key_path}"]
