"""Tiny hand-written TCP servers for behaviour no real mail server shows.

In the style of dnspython's ``tests/nanonameserver.py``: bind ``127.0.0.1:0`` in
``__enter__``, serve from a thread, expose ``.port``; ``__exit__`` closes every socket
and joins every thread (pytest runs with warnings as errors, so nothing may leak).

- ``SilentServer``: accepts and never says a word (probes must time out within budget).
- ``GarbageServer``: greets with an HTTP error line instead of a mail banner, then stays.
- ``CountingServer``: counts accepted connections (an SSRF test asserts it stays 0).
- ``SmtpRelayStub``: the minimal SMTP server Dovecot's submission service relays to.
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
from types import TracebackType
from typing import Self


class _ThreadedServer:
    """Accept loop in a thread; ``handle`` runs per connection in its own thread."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        self.connections = 0
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._threads: list[threading.Thread] = []
        self._conns: list[socket.socket] = []

    @property
    def address(self) -> tuple[str, int]:
        return (self.host, self.port)

    def __enter__(self) -> Self:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        listener = socket.socket(family, socket.SOCK_STREAM)
        try:
            listener.bind((self.host, self.port))
        except OSError:
            listener.close()
            raise
        listener.listen(16)
        self._listener = listener
        self.port = listener.getsockname()[1]
        self._start_thread(self._accept_loop)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._stop.set()
        for thread in list(self._threads):
            thread.join(5)
        with self._lock:
            for conn in self._conns:
                conn.close()
            self._conns.clear()
        if self._listener is not None:
            self._listener.close()
            self._listener = None

    def _start_thread(self, target: object, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)  # type: ignore[arg-type]
        with self._lock:
            self._threads.append(thread)
        thread.start()

    def _accept_loop(self) -> None:
        assert self._listener is not None
        while not self._stop.is_set():
            readable, _, _ = select.select([self._listener], [], [], 0.05)
            if not readable:
                continue
            try:
                conn, _peer = self._listener.accept()
            except OSError:
                continue
            with self._lock:
                self.connections += 1
                self._conns.append(conn)
            self._start_thread(self.handle, conn)

    def handle(self, conn: socket.socket) -> None:
        """Per-connection behaviour; the default holds the connection open, silent."""
        self._stop.wait()

    def _readline(self, conn: socket.socket, buffer: bytearray) -> bytes | None:
        """One CRLF line, or None when the peer left or the server stops."""
        conn.settimeout(0.1)
        while b"\n" not in buffer:
            if self._stop.is_set():
                return None
            try:
                chunk = conn.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                return None
            if not chunk:
                return None
            buffer.extend(chunk)
        line, _, rest = bytes(buffer).partition(b"\n")
        buffer[:] = rest
        return line.rstrip(b"\r")


class SilentServer(_ThreadedServer):
    """Accepts connections and never sends a byte: a firewall-dropped or hung service."""


class GarbageServer(_ThreadedServer):
    """Answers like a misrouted HTTP server instead of IMAP/POP3/SMTP, then stays open."""

    GREETING = b"HTTP/1.0 400 garbage\r\n"

    def handle(self, conn: socket.socket) -> None:
        try:
            conn.sendall(self.GREETING)
        except OSError:
            return
        self._stop.wait()


class CountingServer(_ThreadedServer):
    """Counts accepted connections (``.connections``) and hangs up at once.

    Give it the role of an internal host that the diagnostics must never reach.
    """

    def handle(self, conn: socket.socket) -> None:
        with contextlib.suppress(OSError):
            conn.shutdown(socket.SHUT_RDWR)


class SmtpRelayStub(_ThreadedServer):
    """Just enough ESMTP for Dovecot's submission service to open its relay session.

    Dovecot connects to ``submission_relay_host`` once a client authenticated; our
    probes stop right after AUTH, so nothing is ever relayed. MAIL/RCPT/DATA are
    refused, so a probe that did send mail would see it fail.
    """

    def handle(self, conn: socket.socket) -> None:
        buffer = bytearray()
        try:
            conn.sendall(b"220 relay.test ESMTP stub\r\n")
            while (line := self._readline(conn, buffer)) is not None:
                verb = line.split(b" ", 1)[0].upper()
                if verb in (b"EHLO", b"HELO"):
                    conn.sendall(b"250-relay.test\r\n250-PIPELINING\r\n250 8BITMIME\r\n")
                elif verb in (b"RSET", b"NOOP"):
                    conn.sendall(b"250 2.0.0 OK\r\n")
                elif verb == b"QUIT":
                    conn.sendall(b"221 2.0.0 Bye\r\n")
                    return
                else:
                    conn.sendall(b"554 5.7.1 This test relay never delivers mail\r\n")
        except OSError:
            return
