"""An IMAP server whose certificate has expired and that hangs up right after a STARTTLS
handshake succeeds, before the capabilities that follow it.

The diagnosis's verified handshake fails (the certificate has expired), so the TLS check
opens a side connection without verification to describe the certificate; this server
then drops that connection halfway through STARTTLS, which is where a side connection
once left its TLS socket for the garbage collector.
"""

from __future__ import annotations

import contextlib
import socket
import ssl

from tests.support.ca import IssuedCert
from tests.support.silent import _ThreadedServer


class DropAfterTlsImapServer(_ThreadedServer):
    """STARTTLS with `cert`; after a handshake that succeeds, the connection is closed."""

    def __init__(self, cert: IssuedCert, host: str = "127.0.0.1") -> None:
        super().__init__(host)
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert.cert_path, cert.key_path)
        self.dropped = 0

    def handle(self, conn: socket.socket) -> None:
        with contextlib.suppress(OSError, ssl.SSLError), conn:
            conn.sendall(b"* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] ready\r\n")
            buffer = bytearray()
            while (line := self._readline(conn, buffer)) is not None:
                tag, _, rest = line.partition(b" ")
                if rest.upper().startswith(b"STARTTLS"):
                    conn.sendall(tag + b" OK begin TLS\r\n")
                    conn.settimeout(5)
                    with self.context.wrap_socket(conn, server_side=True):
                        self.dropped += 1
                    return
                if rest.upper().startswith(b"CAPABILITY"):
                    conn.sendall(b"* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED\r\n" + tag + b" OK done\r\n")
                else:
                    conn.sendall(tag + b" OK\r\n")
