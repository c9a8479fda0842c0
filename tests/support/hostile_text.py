"""An IMAP server whose words are hostile to whoever shows them: C0 and C1 control codes,
bidirectional overrides and a 5,000-character capability token. No real server sends
these on purpose, so a hand-written one (in the style of ``silent.py``) plays it."""

from __future__ import annotations

import contextlib
import socket

from tests.support.silent import _ThreadedServer

LONG_TOKEN = "X-" + "A" * 5000
# ESC [ 31 m (a terminal colour), CSI as one C1 code (U+009B), a right-to-left override
# (U+202E) that would show "exe.gnp" as "png.exe", a line separator, a zero-width space.
HOSTILE = "Benvenuto \x1b[31m rosso \u009b31m \u202egnp.exe\u202c \u2028fine\u200b"
CAPABILITY = f"IMAP4rev1 LOGINDISABLED {LONG_TOKEN} X-\x1b[31mEVIL"
UNSAFE = ("\x1b", "\u009b", "\u202e", "\u202c", "\u2028", "\u200b", LONG_TOKEN)


class HostileTextImapServer(_ThreadedServer):
    """Plain IMAP: a hostile greeting and CAPABILITY, then LOGOUT. With `non_ascii`, the
    capability also holds a right-to-left override, which IMAP (ASCII) does not allow."""

    def __init__(self, *, non_ascii: bool = False) -> None:
        super().__init__()
        self.capability = CAPABILITY + (" X-\u202eEVIL" if non_ascii else "")

    def handle(self, conn: socket.socket) -> None:
        with contextlib.suppress(OSError):
            conn.sendall(f"* OK {HOSTILE}\r\n".encode())
            buffer = bytearray()
            while (line := self._readline(conn, buffer)) is not None:
                tag, _, rest = line.partition(b" ")
                verb = rest.split(b" ", 1)[0].upper()
                if verb == b"CAPABILITY":
                    conn.sendall(f"* CAPABILITY {self.capability}\r\n".encode() + tag + b" OK done\r\n")
                elif verb == b"LOGOUT":
                    conn.sendall(b"* BYE\r\n" + tag + b" OK bye\r\n")
                    return
                else:
                    conn.sendall(tag + b" NO " + HOSTILE.encode() + b"\r\n")
