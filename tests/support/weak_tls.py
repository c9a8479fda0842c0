"""An IMAP server that speaks only TLS 1.0, at OpenSSL's security level 0.

No real server in the fixtures can be held to TLS 1.0 alone (Dovecot 2.3 has a minimum,
no maximum), so this is a hand-written one in the style of ``silent.py``: implicit TLS or
STARTTLS, a CAPABILITY answer that offers a password login, and a record of the command
names it received (never their arguments), so a test can say no LOGIN ever arrived.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import warnings

from tests.support.ca import IssuedCert
from tests.support.silent import _ThreadedServer

CAPABILITY = b"IMAP4rev1 AUTH=PLAIN"


def tls10_server_context(cert: IssuedCert) -> ssl.SSLContext:
    """A server context held to TLS 1.0 (Debian's OpenSSL allows it at @SECLEVEL=0)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        context.minimum_version = ssl.TLSVersion.TLSv1
        context.maximum_version = ssl.TLSVersion.TLSv1
    context.set_ciphers("DEFAULT:@SECLEVEL=0")
    context.load_cert_chain(cert.cert_path, cert.key_path)
    return context


class Tls10ImapServer(_ThreadedServer):
    """IMAP over TLS 1.0 only; ``commands`` lists the command names received, in order."""

    def __init__(self, cert: IssuedCert, *, implicit: bool, host: str = "127.0.0.1") -> None:
        super().__init__(host)
        self.implicit = implicit
        self.context = tls10_server_context(cert)
        self.commands: list[str] = []

    def handle(self, conn: socket.socket) -> None:
        holder = [conn]
        try:
            with contextlib.suppress(OSError, ssl.SSLError):
                self._converse(holder)
        finally:
            holder[-1].close()

    def _converse(self, holder: list[socket.socket]) -> None:
        """The conversation; `holder[-1]` is the socket in use (plain, then TLS)."""
        sock = holder[-1]
        if self.implicit:
            sock = self.context.wrap_socket(sock, server_side=True)
            holder.append(sock)
        caps = CAPABILITY if self.implicit else b"IMAP4rev1 STARTTLS LOGINDISABLED"
        sock.sendall(b"* OK [CAPABILITY " + caps + b"] old server ready\r\n")
        buffer = bytearray()
        while (line := self._readline(sock, buffer)) is not None:
            tag, _, rest = line.partition(b" ")
            verb = rest.split(b" ", 1)[0].upper()
            self.commands.append(verb.decode("ascii", "replace"))
            if verb == b"CAPABILITY":
                sock.sendall(b"* CAPABILITY " + caps + b"\r\n" + tag + b" OK done\r\n")
            elif verb == b"STARTTLS" and not self.implicit:
                sock.sendall(tag + b" OK begin TLS\r\n")
                sock = self.context.wrap_socket(sock, server_side=True)
                holder.append(sock)
                caps, buffer = CAPABILITY, bytearray()
            elif verb == b"LOGOUT":
                sock.sendall(b"* BYE\r\n" + tag + b" OK bye\r\n")
                return
            elif verb in (b"LOGIN", b"AUTHENTICATE"):
                sock.sendall(tag + b" OK [CAPABILITY " + CAPABILITY + b"] logged in\r\n")
            else:
                sock.sendall(tag + b" BAD unknown\r\n")
