"""Real Dovecot 2.3 instances on loopback for the diagnostics tests.

Each ``DovecotServer`` runs Debian's ``/usr/sbin/dovecot -F -c <own config>`` from a
private temp dir (base_dir, state_dir, log, passwd-file, maildirs); the system config in
/etc/dovecot is never read. A ``DovecotSpec`` says how the instance (mis)behaves.

Why each instance listens on its own 127.0.0.x (never 127.0.0.1): Dovecot treats a
connection whose remote IP equals its local IP as "secured" and then allows plaintext
logins before STARTTLS, whatever ``disable_plaintext_auth`` and ``ssl = required`` say.
Clients dialling 127.0.0.2 come from 127.0.0.1, so Dovecot sees a real remote client and
advertises LOGINDISABLED. IPv6 has only ::1, so on the healthy server's ::1 listener a
plaintext connection counts as secured (no LOGINDISABLED, plaintext LOGIN accepted): test
"no password before TLS" over IPv4 only. TLS itself behaves the same on both.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import pwd
import secrets
import shutil
import stat
import subprocess
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from tests.support.ca import IssuedCert, TestCA
from tests.support.ports import free_ports, wait_for_ports
from tests.support.process import ManagedProcess, ServerStartError, Service, tail
from tests.support.silent import SmtpRelayStub

DOVECOT = "/usr/sbin/dovecot"
DOVEADM = "/usr/bin/doveadm"
DH_PARAMS = Path("/usr/share/dovecot/dh.pem")
MAIL_USER = "mail"  # Debian's uid/gid 8: owns the maildirs; Dovecot refuses uid 0 for mail
START_TIMEOUT_S = 10.0

SERVICES = ("imap", "imaps", "pop3", "pop3s", "submission", "submissions")
_PROTOCOL_OF = {
    "imap": "imap",
    "imaps": "imap",
    "pop3": "pop3",
    "pop3s": "pop3",
    "submission": "submission",
    "submissions": "submission",
}
_IMPLICIT_TLS = {"imaps", "pop3s", "submissions"}

SPECIAL_USE = {"Drafts": "\\Drafts", "Sent": "\\Sent", "Trash": "\\Trash", "Junk": "\\Junk"}
UNSUBSCRIBED_FOLDER = "Progetti"  # exists on the server, not subscribed


@dataclass(frozen=True)
class MailUser:
    """A mailbox with known contents; the password never shows in a repr."""

    address: str
    password: str = field(repr=False)
    quota: str = "100M"  # Dovecot quota_rule storage
    inbox_seen: int = 1
    inbox_unseen: int = 2
    fill_percent: int = 0  # add one big INBOX message filling this share of the quota

    @property
    def local_part(self) -> str:
        return self.address.split("@", 1)[0]

    @property
    def domain(self) -> str:
        return self.address.split("@", 1)[1]

    @property
    def inbox_count(self) -> int:
        return self.inbox_seen + self.inbox_unseen + (1 if self.fill_percent else 0)


ALICE = MailUser("alice@example.test", "Correct-Horse-7")
BRUNO = MailUser("bruno@example.test", "pässwörd-Ünïcode-€", inbox_seen=1, inbox_unseen=0)
FULL = MailUser("full@example.test", "Quota-Full-95", quota="1M", inbox_seen=1, inbox_unseen=0, fill_percent=95)
DEFAULT_USERS = (ALICE, BRUNO, FULL)


@dataclass(frozen=True)
class DovecotSpec:
    """How one Dovecot instance is set up; the defaults are the healthy server."""

    name: str = "healthy"
    listen: tuple[str, ...] = ("127.0.0.2",)
    hostname: str = "mail.example.test"
    cert: IssuedCert | None = None  # None: ssl = no, no implicit-TLS listeners
    protocols: tuple[str, ...] = ("imap", "pop3", "submission")
    ssl: Literal["yes", "required"] = "required"
    disable_plaintext_auth: bool = True
    max_userip_connections: int = 10
    users: tuple[MailUser, ...] = DEFAULT_USERS
    # (listen address, certificate): what that address presents instead of ``cert``, as
    # when a host's A and AAAA records lead to two servers (Dovecot ``local <ip> { }``).
    address_certs: tuple[tuple[str, IssuedCert], ...] = ()
    # Dovecot's anvil auth penalty (off by default: it makes timings depend on test order).
    auth_penalty: bool = False
    # Login processes kept running, each serving many clients (Dovecot's "high-performance
    # mode"); None: one process per connection, Dovecot's default (benchmarks open hundreds).
    login_processes: int | None = None
    # login_trusted_networks: clients here may announce the customer's address (IMAP ID
    # x-originating-ip, POP3 XCLIENT), which Dovecot then logs and penalises instead.
    trusted_networks: tuple[str, ...] = ()
    # SASL mechanisms offered; "oauthbearer xoauth2" alone makes a server that takes only OAuth2 tokens
    auth_mechanisms: str = "plain login"
    # A SASL socket anyone may use (Postfix's smtpd_sasl_path), at ``sasl_socket_path``.
    sasl_socket: bool = False
    # imap_capability after login ("+…" adds); None: Dovecot's own list (with IDLE, QRESYNC…).
    imap_capability: str | None = None

    def services(self) -> tuple[str, ...]:
        """The listeners this spec opens, in ``SERVICES`` order."""
        return tuple(s for s in SERVICES if _PROTOCOL_OF[s] in self.protocols and (self.cert or s not in _IMPLICIT_TLS))


def _ssha256(password: str) -> str:
    """Dovecot's {SSHA256}: base64(sha256(password + salt) + salt)."""
    salt = secrets.token_bytes(8)
    digest = hashlib.sha256(password.encode("utf-8") + salt).digest()
    return "{SSHA256}" + base64.b64encode(digest + salt).decode("ascii")


def _quota_bytes(quota: str) -> int:
    units = {"K": 1024, "M": 1024**2, "G": 1024**3}
    return int(quota[:-1]) * units[quota[-1].upper()] if quota[-1].isalpha() else int(quota)


def _vsize(data: bytes) -> int:
    return len(data) + data.count(b"\n")


def _message(n: int, user: MailUser, subject: str, body: str) -> bytes:
    return (
        f"From: Support <support@example.test>\n"
        f"To: {user.address}\n"
        f"Subject: {subject}\n"
        f"Message-ID: <fixture-{n}-{user.local_part}@example.test>\n"
        f"Date: Sat, 28 Nov 2026 12:00:{n:02d} +0100\n"
        f"MIME-Version: 1.0\n"
        f"Content-Type: text/plain; charset=utf-8\n"
        f"\n{body}\n"
    ).encode()


def _traversable_tmp() -> Path:
    """A temp root whose every ancestor the dovecot/dovenull/mail users may enter."""
    for candidate in (Path(tempfile.gettempdir()), Path("/tmp"), Path("/var/tmp")):
        path = candidate.resolve()
        if all(p.stat().st_mode & stat.S_IXOTH for p in (path, *path.parents)):
            return path
    raise ServerStartError("no temp dir traversable by other users (checked TMPDIR, /tmp)")


class DovecotServer(Service):
    """One running Dovecot; use as a context manager or call start()/stop().

    ``ports`` maps each service that listens (``imap`` … ``submissions``) to its port;
    ``closed_ports`` gives, for the services this instance does not run, a port on the
    same IP where nothing listens (for "connection refused" cases). ``host_ip`` is the
    first listen address.
    """

    def __init__(self, spec: DovecotSpec) -> None:
        self.spec = spec
        self.host_ip = spec.listen[0]
        self.hostname = spec.hostname
        self.users = {user.address: user for user in spec.users}
        self.ports: dict[str, int] = {}
        self.closed_ports: dict[str, int] = {}
        self.startup_s = 0.0
        self._started = 0.0
        self.dir = Path(tempfile.mkdtemp(prefix=f"dovecot-{spec.name}-", dir=_traversable_tmp()))
        self.dir.chmod(0o755)  # dovenull/dovecot/mail must traverse it
        self.log_path = self.dir / "dovecot.log"
        self.output_path = self.dir / "dovecot.stdout"
        self.config_path = self.dir / "dovecot.conf"
        self._process: ManagedProcess | None = None
        self._relay: SmtpRelayStub | None = None

    def __repr__(self) -> str:
        return f"DovecotServer({self.spec.name!r}, {self.host_ip}, {self.ports})"

    # -- lifecycle -------------------------------------------------------------------

    def start(self) -> None:
        """Write the config and mailboxes, start Dovecot, wait until every port accepts."""
        self.launch()
        self.wait_ready()

    def launch(self) -> None:
        """Start the process without waiting (lets a group of instances boot together)."""
        started = time.monotonic()
        try:
            self._prepare()
            self._launch()
        except BaseException:
            self.stop()
            raise
        self._started = started

    def wait_ready(self) -> None:
        """Block until all listeners accept; on failure retry fresh ports, then raise."""
        try:
            for attempt in range(3):
                if self._wait_ports():
                    self.startup_s = time.monotonic() - self._started
                    return
                log = self.log_text()
                if attempt < 2 and "Address already in use" in log:
                    self._stop_process()  # a port was taken meanwhile: new ports, again
                    self._launch()
                    continue
                code = self._process.popen.poll() if self._process else None
                how = f"exited with code {code}" if code is not None else "did not accept in time"
                raise ServerStartError(
                    f"Dovecot {self.spec.name!r} on {self.spec.listen} ports {self.ports} {how}.\n"
                    f"--- {self.log_path} ---\n{tail(self.log_path)}\n"
                    f"--- {self.output_path} ---\n{tail(self.output_path)}"
                )
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop Dovecot and the relay stub and delete the temp dir."""
        self._stop_process()
        if self._relay is not None:
            self._relay.close()
            self._relay = None
        shutil.rmtree(self.dir, ignore_errors=True)

    def halt(self) -> None:
        """Stop the process only: its ports stay reserved for ``resume`` (an outage)."""
        self._stop_process()

    def resume(self, cert: IssuedCert | None = None) -> None:
        """Start again on the same ports, optionally with another certificate, and wait."""
        self._stop_process()
        if cert is not None:
            self.spec = replace(self.spec, cert=cert)
        self.config_path.write_text(self._config(), encoding="utf-8")
        self._process = ManagedProcess([DOVECOT, "-F", "-c", self.config_path], self.output_path)
        if not self._wait_ports():
            raise ServerStartError(f"Dovecot {self.spec.name!r} did not come back.\n{tail(self.log_path)}")

    def log_text(self) -> str:
        """Everything Dovecot logged so far (the secrets test reads this)."""
        parts = []
        for path in (self.log_path, self.output_path):
            with contextlib.suppress(OSError):
                parts.append(path.read_text(encoding="utf-8", errors="replace"))
        return "\n".join(parts)

    def _stop_process(self) -> None:
        if self._process is not None:
            self._process.stop()
            self._process = None

    def _launch(self) -> None:
        wanted = self.spec.services()
        numbers = free_ports(len(SERVICES), self.spec.listen)
        self.ports = {s: p for s, p in zip(SERVICES, numbers, strict=True) if s in wanted}
        self.closed_ports = {s: p for s, p in zip(SERVICES, numbers, strict=True) if s not in wanted}
        self.config_path.write_text(self._config(), encoding="utf-8")
        self._process = ManagedProcess([DOVECOT, "-F", "-c", self.config_path], self.output_path)

    def _wait_ports(self) -> bool:
        deadline = time.monotonic() + START_TIMEOUT_S
        endpoints = [(ip, port) for ip in self.spec.listen for port in self.ports.values()]
        while time.monotonic() < deadline:
            pending = wait_for_ports(endpoints, min(deadline, time.monotonic() + 0.5))
            if not pending:
                return True
            if self._process is None or not self._process.alive():
                return False
        return False

    # -- files -------------------------------------------------------------------------

    def _prepare(self) -> None:
        mail = pwd.getpwnam(MAIL_USER)
        self._mail_uid, self._mail_gid = mail.pw_uid, mail.pw_gid
        for sub in ("run", "state"):
            (self.dir / sub).mkdir(mode=0o755)
        self.passwd_path = self.dir / "users.passwd"
        self.passwd_path.write_text(
            "".join(
                f"{u.address}:{_ssha256(u.password)}::::::userdb_quota_rule=*:storage={u.quota}\n"
                for u in self.spec.users
            ),
            encoding="utf-8",
        )
        self.passwd_path.chmod(0o644)  # read by the auth process (user dovecot)
        self.home_root = self.dir / "home"
        self.home_root.mkdir(mode=0o755)
        for user in self.spec.users:
            self._populate(user)
        for path in (self.home_root, *self.home_root.rglob("*")):
            os.chown(path, self._mail_uid, self._mail_gid)
        if "submission" in self.spec.protocols:
            self._relay = SmtpRelayStub().__enter__()

    def home(self, user: MailUser) -> Path:
        return self.home_root / user.domain / user.local_part

    def _populate(self, user: MailUser) -> None:
        """A Maildir++ with a few INBOX messages (some unseen), the special-use folders
        (created by Dovecot itself, auto = subscribe) and one unsubscribed folder."""
        maildir = self.home(user) / "Maildir"
        for folder in (maildir, maildir / f".{UNSUBSCRIBED_FOLDER}"):
            for sub in ("cur", "new", "tmp"):
                (folder / sub).mkdir(parents=True)
        (maildir / "subscriptions").write_text("INBOX\n", encoding="utf-8")
        (maildir / f".{UNSUBSCRIBED_FOLDER}" / "maildirfolder").touch()
        stamp = 1795000000
        messages: list[tuple[bytes, bool]] = []
        for n in range(user.inbox_seen):
            messages.append((_message(n, user, f"Benvenuto {n}", "Messaggio letto."), True))
        for n in range(user.inbox_seen, user.inbox_seen + user.inbox_unseen):
            messages.append((_message(n, user, f"Nuovo {n}", "Messaggio non letto."), False))
        if user.fill_percent:
            # Quota counts virtual sizes (quota_vsizes = yes): every LF counts as CRLF.
            target = _quota_bytes(user.quota) * user.fill_percent // 100
            used = sum(_vsize(data) for data, _seen in messages)
            head = _message(59, user, "Allegato grande", "")
            line = b"x" * 75 + b"\n"
            body = line * ((target - used - _vsize(head)) // _vsize(line))
            messages.append((head + body, True))
        for n, (data, seen) in enumerate(messages):
            base = f"{stamp + n}.M{n}P1.fixture,S={len(data)}"
            path = maildir / "cur" / f"{base}:2,S" if seen else maildir / "new" / base
            path.write_bytes(data)

    def _penalty_config(self) -> str:
        if self.spec.auth_penalty:
            return "# The anvil auth penalty is on: logins from an address slow down after a failed one."
        return """# No anvil auth penalty: it delays every login from 127.0.0.1 after any failed one,
# which would make test timings depend on test order. auth_failure_delay stays (2s).
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}"""

    @property
    def sasl_socket_path(self) -> Path:
        return self.dir / "run" / "auth-postfix"

    def _sasl_config(self) -> str:
        if not self.spec.sasl_socket:
            return ""
        return "service auth {\n  unix_listener auth-postfix {\n    mode = 0666\n  }\n}"

    def penalties(self) -> str:
        """`doveadm penalty`: the addresses the auth penalty counts now, one a line."""
        done = subprocess.run([DOVEADM, "-c", str(self.config_path), "penalty"], capture_output=True,
                              text=True, timeout=10, check=False)
        return done.stdout + done.stderr

    def _config(self) -> str:
        spec = self.spec
        listeners = {
            proto: "\n".join(
                f"  inet_listener {svc} {{\n    port = {port}\n"
                + ("    ssl = yes\n" if svc in _IMPLICIT_TLS else "")
                + "  }"
                for svc, port in self.ports.items()
                if _PROTOCOL_OF[svc] == proto
            )
            for proto in ("imap", "pop3", "submission")
        }
        if spec.cert:
            ssl = (
                f"ssl = {spec.ssl}\n"
                f"ssl_cert = <{spec.cert.cert_path}\n"
                f"ssl_key = <{spec.cert.key_path}\n"
                f"ssl_dh = <{DH_PARAMS}\n"
                "ssl_min_protocol = TLSv1.2\n"
            )
            for address, (cert_path, key_path) in spec.address_certs:
                ssl += f"local {address} {{\n  ssl_cert = <{cert_path}\n  ssl_key = <{key_path}\n}}\n"
        else:
            ssl = "ssl = no\n"
        mailboxes = "\n".join(
            f"  mailbox {name} {{\n    special_use = {flag}\n    auto = subscribe\n  }}"
            for name, flag in SPECIAL_USE.items()
        )
        relay_port = self._relay.port if self._relay else 25
        return f"""# Written by tests/support/dovecot.py for the {spec.name!r} test instance.
base_dir = {self.dir / "run"}
state_dir = {self.dir / "state"}
instance_name = autoconfig-test-{spec.name}-{self.dir.name}
log_path = {self.log_path}
info_log_path = {self.log_path}
debug_log_path = {self.log_path}
protocols = {" ".join(spec.protocols)}
listen = {", ".join(spec.listen)}
hostname = {spec.hostname}
login_greeting = Dovecot ready.
default_internal_user = dovecot
default_login_user = dovenull
mail_uid = {self._mail_uid}
mail_gid = {self._mail_gid}
first_valid_uid = {self._mail_uid}
first_valid_gid = {self._mail_gid}
mail_location = maildir:~/Maildir
mail_plugins = $mail_plugins quota
disable_plaintext_auth = {"yes" if spec.disable_plaintext_auth else "no"}
auth_mechanisms = {spec.auth_mechanisms}
auth_verbose = no
auth_verbose_passwords = no
auth_debug = no
auth_debug_passwords = no
mail_debug = no
verbose_ssl = no
mail_max_userip_connections = {spec.max_userip_connections}
{ssl}
passdb {{
  driver = passwd-file
  args = scheme=SSHA256 {self.passwd_path}
}}
userdb {{
  driver = passwd-file
  args = {self.passwd_path}
  default_fields = uid={self._mail_uid} gid={self._mail_gid} home={self.home_root}/%d/%n
}}
namespace inbox {{
  inbox = yes
{mailboxes}
}}
plugin {{
  quota = count:User quota
  quota_vsizes = yes
  quota_rule = *:storage=100M
}}
protocol imap {{
  mail_plugins = $mail_plugins imap_quota
{f"  imap_capability = {spec.imap_capability}" if spec.imap_capability else ""}
}}
submission_relay_host = 127.0.0.1
submission_relay_port = {relay_port}
{self._penalty_config()}
login_trusted_networks = {" ".join(spec.trusted_networks)}
{self._sasl_config()}
service imap-login {{
{listeners["imap"]}{self._login_mode()}
}}
service pop3-login {{
{listeners["pop3"]}{self._login_mode()}
}}
service submission-login {{
{listeners["submission"]}{self._login_mode()}
}}
"""

    def _login_mode(self) -> str:
        count = self.spec.login_processes
        return "" if count is None else f"\n  service_count = 0\n  process_min_avail = {count}"


# -- the scenarios the tests use ---------------------------------------------------------

HEALTHY_IP = "127.0.0.2"
HEALTHY_HOSTNAME = "mail.example.test"

# name -> (IPv4 loopback address, hostname). Each fault runs on its own address, so a
# test's DNS zone can point a name at exactly one behaviour.
FAULT_ADDRESSES: dict[str, tuple[str, str]] = {
    "expired": ("127.0.0.3", "expired.example.test"),
    "wrong_name": ("127.0.0.4", "wrongname.example.test"),
    "self_signed": ("127.0.0.5", "selfsigned.example.test"),
    "no_tls": ("127.0.0.6", "notls.example.test"),
    "no_pop3": ("127.0.0.7", "nopop3.example.test"),
    "limited": ("127.0.0.8", "limited.example.test"),
}


def healthy_spec(ca: TestCA, *, ipv6: bool = True) -> DovecotSpec:
    """The good server: 127.0.0.2 (and ::1), trusted cert for mail.example.test.

    The cert also names both IPs so a test can dial an IP directly and still verify.
    """
    listen = (HEALTHY_IP, "::1") if ipv6 else (HEALTHY_IP,)
    cert = ca.issue([HEALTHY_HOSTNAME, *listen])
    return DovecotSpec(name="healthy", listen=listen, hostname=HEALTHY_HOSTNAME, cert=cert)


def fault_specs(ca: TestCA) -> dict[str, DovecotSpec]:
    """One spec per misconfiguration; everything not named is as on the healthy server.

    The certificates also carry the instance's IP, so a test may dial the IP and still
    verify; only ``wrong_name`` lacks it (its cert names other.invalid alone).
    """
    specs: dict[str, DovecotSpec] = {}
    for name, (ip, hostname) in FAULT_ADDRESSES.items():
        names = [hostname, HEALTHY_HOSTNAME, ip]
        spec = DovecotSpec(name=name, listen=(ip,), hostname=hostname)
        match name:
            case "expired":
                spec = replace(spec, cert=ca.expired(names))
            case "wrong_name":
                spec = replace(spec, cert=ca.issue(["other.invalid"]))
            case "self_signed":
                spec = replace(spec, cert=ca.self_signed(names))
            case "no_tls":
                # No TLS at all, and plaintext logins accepted on the wire: the probe must
                # refuse to send a password by its own rule, not because the server says no.
                spec = replace(spec, cert=None, disable_plaintext_auth=False)
            case "no_pop3":
                spec = replace(spec, cert=ca.issue(names), protocols=("imap", "submission"))
            case "limited":
                spec = replace(spec, cert=ca.issue(names), max_userip_connections=1)
        specs[name] = spec
    return specs


# name -> (IPv4 loopback address, hostname, which family presents the odd certificate, how).
# Each also listens on ::1 (other ports): the host name has an A and an AAAA record (zone
# families.test, see ``split_records``) leading to one Dovecot that presents different
# certificates per address.
SPLIT_ADDRESSES: dict[str, tuple[str, str, Literal["ipv4", "ipv6"], Literal["expired", "other"]]] = {
    "ipv4_expired": ("127.0.0.21", "v4expired.families.test", "ipv4", "expired"),
    "ipv6_expired": ("127.0.0.22", "v6expired.families.test", "ipv6", "expired"),
    "ipv4_other": ("127.0.0.23", "v4other.families.test", "ipv4", "other"),
}


def split_specs(ca: TestCA) -> dict[str, DovecotSpec]:
    """Hosts whose IPv4 and IPv6 addresses present different certificates for the same
    name: one trusted certificate on one family, and on the other an expired one
    (``*_expired``) or another trusted, valid one (``*_other``, like a server renewed
    on one address only)."""
    specs: dict[str, DovecotSpec] = {}
    for name, (ip, hostname, odd_family, how) in SPLIT_ADDRESSES.items():
        good = ca.issue([hostname])
        odd = ca.expired([hostname]) if how == "expired" else ca.issue([hostname])
        odd_address = ip if odd_family == "ipv4" else "::1"
        specs[name] = DovecotSpec(
            name=f"split-{name}", listen=(ip, "::1"), hostname=hostname, cert=good,
            address_certs=((odd_address, odd),),
        )
    return specs


def split_records() -> str:
    """The families.test zone: A and AAAA (::1) for each split host."""
    return "\n".join(f"{host.split('.')[0]} A {ip}\n{host.split('.')[0]} AAAA ::1"
                     for ip, host, _family, _how in SPLIT_ADDRESSES.values())
