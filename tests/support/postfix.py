"""A real Postfix submission server on loopback for the SMTP XCLIENT tests.

Debian's ``master -d -c <own config dir>`` runs from a private temp dir (its own queue and
data directories); /etc/postfix is never read. Only the services submission needs start:
smtpd on one free 127.0.0.1 port (STARTTLS with a test-CA certificate, SASL through a
Dovecot's auth socket), and the helpers smtpd calls (anvil, proxymap, trivial-rewrite,
tlsmgr). ``smtpd_authorized_xclient_hosts`` says who may announce a client's address.

Postfix logs to syslog, which the test machine may not run; what it did shows in how it
answers (XCLIENT, AUTH) and in the Dovecot behind its SASL.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import socket
import tempfile
import time
from pathlib import Path

from tests.support.ca import IssuedCert
from tests.support.ports import free_ports
from tests.support.process import ManagedProcess, PortedService, ServerStartError, tail

MASTER = "/usr/lib/postfix/sbin/master"
START_TIMEOUT_S = 10.0


class PostfixServer(PortedService):
    """``port`` takes STARTTLS submissions once started; ``host`` is 127.0.0.1 (Postfix
    binds only addresses an interface carries)."""

    host = "127.0.0.1"

    def __init__(self, hostname: str, cert: IssuedCert, sasl_socket: Path, xclient_hosts: str) -> None:
        self.hostname = hostname
        self.cert = cert
        self.sasl_socket = sasl_socket
        self.xclient_hosts = xclient_hosts
        self.port = 0
        self._process = None
        self.dir = Path(tempfile.mkdtemp(prefix="postfix-", dir="/tmp"))
        self.dir.chmod(0o755)
        self.output_path = self.dir / "master.out"

    def __repr__(self) -> str:
        return f"PostfixServer({self.host}:{self.port})"

    def _launch(self) -> ManagedProcess:
        self.port = free_ports(1, (self.host,))[0]
        queue, data = self.dir / "queue", self.dir / "data"
        shutil.rmtree(queue, ignore_errors=True)
        postfix, postdrop = pwd.getpwnam("postfix").pw_uid, grp.getgrnam("postdrop").gr_gid
        for sub in ("pid", "public", "private"):
            (queue / sub).mkdir(parents=True, exist_ok=True)
        data.mkdir(exist_ok=True)
        for path in (queue / "public", queue / "private", data):
            os.chown(path, postfix, -1)
        os.chown(queue / "public", -1, postdrop)
        (self.dir / "main.cf").write_text(self._main_cf(queue, data), encoding="utf-8")
        (self.dir / "master.cf").write_text(
            f"{self.host}:{self.port} inet n - n - - smtpd\n"
            "anvil unix - - n - 1 anvil\n"
            "proxymap unix - - n - - proxymap\n"
            "rewrite unix - - n - - trivial-rewrite\n"
            "tlsmgr unix - - n 1000? 1 tlsmgr\n",
            encoding="utf-8",
        )
        return ManagedProcess([MASTER, "-d", "-c", self.dir], self.output_path)

    def _main_cf(self, queue: Path, data: Path) -> str:
        return f"""# Written by tests/support/postfix.py.
compatibility_level = 3.6
queue_directory = {queue}
data_directory = {data}
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = {self.host}
inet_protocols = ipv4
myhostname = {self.hostname}
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
smtpd_authorized_xclient_hosts = {self.xclient_hosts}
smtpd_tls_cert_file = {self.cert.cert_path}
smtpd_tls_key_file = {self.cert.key_path}
smtpd_tls_security_level = may
smtpd_tls_auth_only = yes
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = {self.sasl_socket}
smtpd_relay_restrictions = permit_sasl_authenticated, reject_unauth_destination
"""

    def _ready(self) -> bool:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._process is None or not self._process.alive():
                return False
            try:
                with socket.create_connection((self.host, self.port), timeout=1) as sock:
                    if sock.recv(64).startswith(b"220"):
                        return True
            except OSError:
                pass
            time.sleep(0.1)
        return False

    def _log_text(self) -> str:
        return tail(self.output_path)

    def _start_failure(self) -> str:
        return f"Postfix on {self.host}:{self.port} did not greet in time.\n{self._log_text()}"

    def stop(self) -> None:
        if self._process is not None:
            self._process.stop()
            self._process = None
        shutil.rmtree(self.dir, ignore_errors=True)


__all__ = ["PostfixServer", "ServerStartError"]
