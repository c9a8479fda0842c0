"""Profile-signing material: checked at start so a bad certificate never reaches a client.

The certificate, key and chain are read and checked once (by `check-config` and at app start):
missing, unreadable, not PEM, encrypted, expired, not yet valid, key and certificate of
different pairs, or a chain that did not issue the certificate are configuration errors. A
request then only signs: CMS SignedData, DER, the plist attached unchanged (`Binary`: no
CRLF canonicalisation), the signer's certificate and the chain included so a device that
trusts the root alone can verify it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs7

from .errors import ConfigError
from .model import MobileConfigOptions, Provider

SigningKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
_SPKI = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


@dataclass(frozen=True)
class ProfileSigner:
    """A usable signing identity; the key never shows in a repr, a log or a traceback."""

    certificate: x509.Certificate
    key: SigningKey = field(repr=False)
    chain: tuple[x509.Certificate, ...] = ()

    def __repr__(self) -> str:
        return (
            f"ProfileSigner(subject={self.certificate.subject.rfc4514_string()!r}, "
            f"not_after={self.certificate.not_valid_after_utc:%Y-%m-%d}, chain={len(self.chain)})"
        )

    def sign(self, content: bytes) -> bytes:
        """CMS SignedData (DER) with `content` attached byte for byte, signer and chain included."""
        builder = pkcs7.PKCS7SignatureBuilder().set_data(content).add_signer(
            self.certificate, self.key, hashes.SHA256()
        )
        for cert in self.chain:
            builder = builder.add_certificate(cert)
        return builder.sign(serialization.Encoding.DER, [pkcs7.PKCS7Options.Binary])


def _read(key: str, path: Path, problems: list[str]) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        problems.append(f"{key}: file not found: {path}")
    except IsADirectoryError:
        problems.append(f"{key}: is a directory, not a file: {path}")
    except OSError as exc:
        problems.append(f"{key}: cannot be read: {path}: {exc.strerror or exc}")
    return None


def _certificates(key: str, path: Path, problems: list[str]) -> list[x509.Certificate]:
    data = _read(key, path, problems)
    if data is None:
        return []
    try:
        return x509.load_pem_x509_certificates(data)
    except ValueError:
        pass
    try:
        return [x509.load_der_x509_certificate(data)]
    except ValueError:
        problems.append(f"{key}: not a PEM (or DER) certificate: {path}")
        return []


def _private_key(path: Path, problems: list[str]) -> SigningKey | None:
    data = _read("signing_key", path, problems)
    if data is None:
        return None
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except TypeError:
        problems.append(f"signing_key: is encrypted with a passphrase; give an unencrypted key file "
                        f"readable only by the service: {path}")
        return None
    except (ValueError, UnsupportedAlgorithm):
        problems.append(f"signing_key: not a PEM private key: {path}")
        return None
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        problems.append(f"signing_key: a {type(key).__name__.lstrip('_')} cannot sign profiles; use an RSA or EC key")
        return None
    return key


def _dates(key: str, cert: x509.Certificate, now: dt.datetime, problems: list[str]) -> None:
    name = cert.subject.rfc4514_string()
    if now < cert.not_valid_before_utc:
        problems.append(f"{key}: {name!r} is not valid before {cert.not_valid_before_utc:%Y-%m-%d %H:%M} UTC")
    if now > cert.not_valid_after_utc:
        problems.append(f"{key}: {name!r} expired on {cert.not_valid_after_utc:%Y-%m-%d %H:%M} UTC")


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _check_usage(cert: x509.Certificate, problems: list[str]) -> None:
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return
    if not usage.digital_signature:
        problems.append("signing_cert: its key usage does not allow digital signatures")


def inspect(options: MobileConfigOptions, *, now: dt.datetime | None = None) -> tuple[list[str], ProfileSigner | None]:
    """Every problem with the signing material, and the signer when there is none."""
    problems: list[str] = []
    if options.signing_cert is None or options.signing_key is None:
        if options.signing_chain is not None:
            problems.append("signing_chain: given without signing_cert and signing_key")
        return problems, None
    now = now or dt.datetime.now(dt.UTC)
    certs = _certificates("signing_cert", options.signing_cert, problems)
    key = _private_key(options.signing_key, problems)
    chain = _certificates("signing_chain", options.signing_chain, problems) if options.signing_chain else []
    if not certs or key is None or problems:
        return problems, None
    leaf, extra = certs[0], certs[1:]  # a "fullchain" file: the leaf first, then its issuers
    chain = [*extra, *(c for c in chain if c not in extra)]
    _dates("signing_cert", leaf, now, problems)
    _check_usage(leaf, problems)
    if leaf.public_key().public_bytes(*_SPKI) != key.public_key().public_bytes(*_SPKI):
        problems.append("signing_key: does not belong to signing_cert (a different key pair)")
    for cert in chain:
        _dates("signing_chain", cert, now, problems)
    if chain and leaf.issuer != leaf.subject and not any(_issued_by(leaf, c) for c in chain):
        problems.append(
            f"signing_chain: holds no certificate that issued signing_cert (its issuer is "
            f"{leaf.issuer.rfc4514_string()!r})"
        )
    if problems:
        return problems, None
    signer = ProfileSigner(certificate=leaf, key=key, chain=tuple(chain))
    try:
        signer.sign(b"check")
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        return [f"signing_key: cannot sign with this certificate and key: {exc}"], None
    return [], signer


def check_signing_material(options: MobileConfigOptions) -> list[str]:
    """Problems with the signing files, each as `key: what is wrong`; empty when usable."""
    return inspect(options)[0]


def load_signers(providers: tuple[Provider, ...]) -> Mapping[str, ProfileSigner]:
    """Provider id → signer for every provider that signs; read once, at app start."""
    signers: dict[str, ProfileSigner] = {}
    problems: list[str] = []
    for i, provider in enumerate(providers):
        if provider.mobileconfig is None or not provider.mobileconfig.signed:
            continue
        found, signer = inspect(provider.mobileconfig)
        problems.extend(f"provider[{i}].mobileconfig.{p}" for p in found)
        if signer is not None:
            signers[provider.id] = signer
    if problems:
        raise ConfigError(problems)
    return MappingProxyType(signers)


def trust_roots(ca_file: Path | None) -> tuple[x509.Certificate, ...]:
    """The system store's roots plus our extra bundle, as a device's trust store stands in."""
    import ssl
    import warnings

    roots: list[x509.Certificate] = []
    paths = ssl.get_default_verify_paths()
    for candidate in (paths.cafile, paths.openssl_cafile, str(ca_file) if ca_file else None):
        if not candidate:
            continue
        try:
            with warnings.catch_warnings():  # some system roots predate RFC 5280's serial rule
                warnings.simplefilter("ignore")
                roots += x509.load_pem_x509_certificates(Path(candidate).read_bytes())
        except (OSError, ValueError):
            continue
    return tuple(roots)


def chain_trusted(signer: ProfileSigner, roots: tuple[x509.Certificate, ...],
                  now: dt.datetime | None = None) -> tuple[bool, str, str]:
    """Whether the signer's certificate chains (through its chain) to one of `roots`, every
    link signed by the next and within its dates; when it does not, why: a token of
    messages.REASON_WORDS (for the words) and the detail in English (for staff)."""
    now = now or dt.datetime.now(dt.UTC)
    current = signer.certificate
    pool = list(signer.chain)
    for _ in range(len(pool) + 2):
        if not current.not_valid_before_utc <= now <= current.not_valid_after_utc:
            return False, "signer_outside_dates", f"{current.subject.rfc4514_string()} is outside its validity dates"
        if any(_issued_by(current, root) for root in roots):
            return True, "", ""
        issuer = next((c for c in pool if _issued_by(current, c)), None)
        if issuer is None:
            return False, "no_trusted_root", f"no trusted root issued {current.issuer.rfc4514_string()}"
        pool.remove(issuer)
        current = issuer
    return False, "chain_too_long", "the chain is too long"
