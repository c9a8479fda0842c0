"""A throw-away PKI for the tests: root CA, intermediate CA and leaf certificates.

Real servers in the tests present certificates from this CA so that the probes' TLS
verification runs for real: clients trust ``TestCA.ca_file`` (the root only), servers
send leaf + intermediate, exactly like a commercial CA chain.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import itertools
import re
from pathlib import Path
from typing import Literal, NamedTuple

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

KeyType = Literal["ec", "rsa"]
PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey

_ONE_DAY = dt.timedelta(days=1)


class IssuedCert(NamedTuple):
    """PEM files of a server certificate; unpacks as ``cert_path, key_path``."""

    cert_path: Path  # leaf first, then the intermediate (what a server sends)
    key_path: Path


class SigningCert(NamedTuple):
    """PEM files of a CMS/S-MIME signing certificate (Apple profile signing)."""

    cert_path: Path  # the leaf alone
    key_path: Path
    chain_path: Path  # the intermediate(s), to include in the SignedData


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _new_key(key_type: KeyType) -> PrivateKey:
    if key_type == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    if key_type == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    raise ValueError(f"key_type must be 'ec' or 'rsa', not {key_type!r}")


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "autoconfig tests"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64]),
        ]
    )


def _subject_alt_names(names: list[str]) -> x509.SubjectAlternativeName:
    """DNS names, with IP literals as iPAddress entries (so clients may dial an IP)."""
    entries: list[x509.GeneralName] = []
    for name in names:
        try:
            entries.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            entries.append(x509.DNSName(name))
    return x509.SubjectAlternativeName(entries)


def _key_pem(key: PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _ca_key_usage() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=True,
        crl_sign=True,
        encipher_only=False,
        decipher_only=False,
    )


def _leaf_key_usage(key: PrivateKey) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=isinstance(key, rsa.RSAPrivateKey),
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )


class TestCA:
    """Root + intermediate CA writing PEM files into ``dir``.

    ``ca_file`` is what clients trust. Leaf certificates are signed by the intermediate
    and their file holds leaf + intermediate, so a verifying client needs only the root.
    """

    __test__ = False  # not a pytest test class, despite the name

    def __init__(self, dir: Path) -> None:
        self.dir = Path(dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self._serial = itertools.count(1)
        now = _now()

        self._root_key = _new_key("ec")
        root_name = _name("autoconfig test root CA")
        self.root_cert = (
            self._builder(root_name, root_name, self._root_key, now - _ONE_DAY, now + 3650 * _ONE_DAY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=1), critical=True)
            .add_extension(_ca_key_usage(), critical=True)
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(self._root_key.public_key()),
                critical=False,
            )
            .sign(self._root_key, hashes.SHA256())
        )

        self._int_key = _new_key("ec")
        self.intermediate_cert = (
            self._builder(
                _name("autoconfig test intermediate CA"),
                root_name,
                self._int_key,
                now - _ONE_DAY,
                now + 1825 * _ONE_DAY,
            )
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_ca_key_usage(), critical=True)
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(self._int_key.public_key()),
                critical=False,
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self._root_key.public_key()),
                critical=False,
            )
            .sign(self._root_key, hashes.SHA256())
        )

        self.ca_file = self.dir / "root-ca.pem"
        self.ca_file.write_bytes(_cert_pem(self.root_cert))
        self.intermediate_file = self.dir / "intermediate-ca.pem"
        self.intermediate_file.write_bytes(_cert_pem(self.intermediate_cert))

    def __repr__(self) -> str:
        return f"TestCA({str(self.dir)!r})"

    def _builder(
        self,
        subject: x509.Name,
        issuer: x509.Name,
        key: PrivateKey,
        not_before: dt.datetime,
        not_after: dt.datetime,
    ) -> x509.CertificateBuilder:
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before)
            .not_valid_after(not_after)
        )

    def _stem(self, kind: str, names: list[str]) -> Path:
        """A unique, readable file stem: two certs for the same names never clash."""
        label = re.sub(r"[^A-Za-z0-9.-]+", "_", names[0] if names else "noname")[:40]
        return self.dir / f"{next(self._serial):03d}-{kind}-{label}"

    def _write(self, stem: Path, key: PrivateKey, *certs: x509.Certificate) -> IssuedCert:
        cert_path = stem.with_name(stem.name + ".crt")
        key_path = stem.with_name(stem.name + ".key")
        cert_path.write_bytes(b"".join(_cert_pem(c) for c in certs))
        key_path.write_bytes(_key_pem(key))
        key_path.chmod(0o600)
        return IssuedCert(cert_path, key_path)

    def issue(
        self,
        names: list[str],
        *,
        not_before: dt.datetime | None = None,
        not_after: dt.datetime | None = None,
        key_type: KeyType = "ec",
    ) -> IssuedCert:
        """A TLS server certificate for ``names`` (DNS names or IP literals).

        Defaults: valid from yesterday for 90 days, like a Let's Encrypt certificate.
        """
        if not names:
            raise ValueError("a server certificate needs at least one name")
        now = _now()
        not_before = not_before or now - _ONE_DAY
        not_after = not_after or now + 90 * _ONE_DAY
        key = _new_key(key_type)
        cert = (
            self._builder(_name(names[0]), self.intermediate_cert.subject, key, not_before, not_after)
            .add_extension(_subject_alt_names(names), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_leaf_key_usage(key), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self._int_key.public_key()),
                critical=False,
            )
            .sign(self._int_key, hashes.SHA256())
        )
        return self._write(self._stem("leaf", names), key, cert, self.intermediate_cert)

    def expired(self, names: list[str], *, key_type: KeyType = "ec") -> IssuedCert:
        """A certificate from this CA, right names, that expired two days ago."""
        now = _now()
        return self.issue(names, not_before=now - 92 * _ONE_DAY, not_after=now - 2 * _ONE_DAY, key_type=key_type)

    def not_yet_valid(self, names: list[str], *, key_type: KeyType = "ec") -> IssuedCert:
        """A certificate from this CA, right names, valid only from next week."""
        now = _now()
        return self.issue(names, not_before=now + 7 * _ONE_DAY, not_after=now + 97 * _ONE_DAY, key_type=key_type)

    def self_signed(self, names: list[str], *, key_type: KeyType = "ec") -> IssuedCert:
        """A self-signed certificate: right names and dates, but no chain to the root."""
        if not names:
            raise ValueError("a server certificate needs at least one name")
        now = _now()
        key = _new_key(key_type)
        subject = _name(names[0])
        cert = (
            self._builder(subject, subject, key, now - _ONE_DAY, now + 90 * _ONE_DAY)
            .add_extension(_subject_alt_names(names), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(key, hashes.SHA256())
        )
        return self._write(self._stem("selfsigned", names), key, cert)

    def issue_signing(
        self,
        common_name: str = "autoconfig profile signer",
        *,
        email: str | None = "signer@example.test",
        key_type: KeyType = "rsa",
        not_before: dt.datetime | None = None,
        not_after: dt.datetime | None = None,
    ) -> SigningCert:
        """A CMS/S-MIME signing certificate (digitalSignature; emailProtection, codeSigning).

        RSA by default: it is what Apple's own profile signing certificates use.
        """
        now = _now()
        not_before = not_before or now - _ONE_DAY
        not_after = not_after or now + 365 * _ONE_DAY
        key = _new_key(key_type)
        builder = (
            self._builder(_name(common_name), self.intermediate_cert.subject, key, not_before, not_after)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=True,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=False,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION, ExtendedKeyUsageOID.CODE_SIGNING]),
                critical=False,
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self._int_key.public_key()),
                critical=False,
            )
        )
        if email:
            builder = builder.add_extension(x509.SubjectAlternativeName([x509.RFC822Name(email)]), critical=False)
        cert = builder.sign(self._int_key, hashes.SHA256())
        cert_path, key_path = self._write(self._stem("signing", [common_name]), key, cert)
        chain_path = cert_path.with_name(cert_path.stem + "-chain.pem")
        chain_path.write_bytes(_cert_pem(self.intermediate_cert))
        return SigningCert(cert_path, key_path, chain_path)
