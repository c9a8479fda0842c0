"""imapclient, poplib and smtplib, each driven over a socket we connected ourselves.

The probes connect to the very address they checked (never a second lookup of the name)
and verify TLS against the configured host name; the standard clients only know "connect
to this name". Each adapter therefore hands its library a socket that is already open
(overriding the one factory method each library has for it) while the library keeps the
host name for STARTTLS's `server_hostname`. Nothing here logs or raises a password.
"""

from __future__ import annotations

import base64
import imaplib
import poplib
import smtplib
import socket
import ssl
from typing import Any

import imapclient

from ..model import ClientAddress, Protocol, Secret
from .base import UnexpectedReply, printable


class Forwarded:
    """Whether a server took the customer's address (the login check's data says it)."""

    ACCEPTED = "accepted"  # POP3 +OK, SMTP 220
    SENT = "sent"  # IMAP ID: servers never say whether they trusted it
    REFUSED = "refused"
    NOT_OFFERED = "not_offered"  # SMTP without XCLIENT in EHLO


def _imap_quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class LoginRefused(Exception):
    """The server said no to a login; `reply` is its printable answer (never our words)."""

    def __init__(self, reply: str, smtp_code: int | None = None) -> None:
        super().__init__(reply)
        self.reply = reply
        self.smtp_code = smtp_code


DRAIN_S = 1.0


def drain(sock: socket.socket | None) -> None:
    """After QUIT/LOGOUT, wait (briefly) for the server to hang up: only then has it
    counted the session as over, and a server allowing one connection per user will let
    our next login in."""
    if sock is None:
        return
    try:
        timeout = sock.gettimeout()
        sock.settimeout(min(timeout, DRAIN_S) if timeout else DRAIN_S)
        while sock.recv(4096):
            pass
    except (OSError, ValueError):
        pass


class _Goodbye:
    """Mixin flag: set once QUIT/LOGOUT was answered, so closing waits for the hang-up."""

    said_goodbye = False


def sasl_plain(username: str, password: Secret) -> str:
    """RFC 4616 PLAIN, UTF-8 (so non-ASCII passwords work), base64."""
    raw = b"\0" + username.encode("utf-8") + b"\0" + password_bytes(password)
    return base64.b64encode(raw).decode("ascii")


def password_bytes(password: Secret) -> bytes:
    """The password in UTF-8. Inputs refuse lone surrogates; should one get here, the error
    says nothing of where it was (UnicodeEncodeError's position is the length before it)."""
    try:
        return password.reveal().encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("the password is not valid Unicode text") from None


# -- IMAP --------------------------------------------------------------------------------


class _Imap4OnSocket(imaplib.IMAP4, _Goodbye):
    """imaplib on a given socket; imaplib reads the greeting and CAPABILITY in __init__."""

    def __init__(self, host: str, sock: socket.socket) -> None:
        self._given = sock
        super().__init__(host, 0)

    def _create_socket(self, timeout: float | None = None) -> socket.socket:
        return self._given

    def _simple_command(self, name: str, *args: Any) -> Any:
        result = super()._simple_command(name, *args)  # type: ignore[misc]
        if name == "LOGOUT":
            self.said_goodbye = True
        return result

    def shutdown(self) -> None:
        if self.said_goodbye:
            drain(self.sock)
        super().shutdown()


class _ImapClientOnSocket(imapclient.IMAPClient):  # type: ignore[misc]
    def __init__(self, host: str, port: int, sock: socket.socket, implicit_tls: bool) -> None:
        self._given = sock
        super().__init__(host, port=port, ssl=implicit_tls, timeout=sock.gettimeout())
        # imapclient logs every line at DEBUG; keep the conversation out of the logs.
        self._imap.debug = 0

    def _create_IMAP4(self) -> imaplib.IMAP4:
        return _Imap4OnSocket(self.host, self._given)


class ImapAdapter:
    protocol = Protocol.IMAP

    def __init__(self, hostname: str, port: int, sock: socket.socket, implicit_tls: bool) -> None:
        self.client = _ImapClientOnSocket(hostname, port, sock, implicit_tls)
        self.greeting = printable(self.client._imap.welcome)

    @property
    def sock(self) -> socket.socket:
        return self.client._imap.sock  # type: ignore[no-any-return]

    def capabilities(self) -> frozenset[str]:
        return frozenset(c.decode("ascii", "replace").upper() for c in self.client.capabilities())

    def starttls_offered(self, caps: frozenset[str]) -> bool:
        return "STARTTLS" in caps

    def starttls(self, context: ssl.SSLContext) -> None:
        self.client.starttls(context)

    def login_offered(self, caps: frozenset[str]) -> bool:
        return "LOGINDISABLED" not in caps

    def forward(self, client: ClientAddress) -> str:
        """RFC 2971 ID with Dovecot's x-originating-ip/-port, sent whether or not the
        server lists ID (a server that does not trust us ignores the fields)."""
        fields = ["x-originating-ip", client.ip]
        if client.port is not None:
            fields += ["x-originating-port", str(client.port)]
        imap = self.client._imap
        try:
            typ, data = imap._simple_command("ID", "(" + " ".join(_imap_quoted(f) for f in fields) + ")")
        except imaplib.IMAP4.abort:
            raise
        except imaplib.IMAP4.error:  # BAD: a server without ID
            return Forwarded.REFUSED
        imap._untagged_response(typ, data, "ID")
        return Forwarded.SENT if typ == "OK" else Forwarded.REFUSED

    def login(self, username: str, password: Secret, caps: frozenset[str]) -> str:
        """SASL PLAIN when offered (UTF-8 safe), else LOGIN for ASCII passwords."""
        try:
            if "AUTH=PLAIN" in caps or not password.reveal().isascii():
                plain = sasl_plain(username, password)
                self.client.sasl_login("PLAIN", lambda _challenge: base64.b64decode(plain))
            else:
                self.client.login(username, password.reveal())
        except imapclient.exceptions.LoginError as exc:
            raise LoginRefused(printable(exc.args[0] if exc.args else "")) from None
        return "PLAIN" if "AUTH=PLAIN" in caps else "LOGIN"

    def close(self) -> None:
        try:
            self.client.logout()
        except Exception:
            self.client._imap.shutdown()


# -- POP3 --------------------------------------------------------------------------------


class _Pop3OnSocket(poplib.POP3, _Goodbye):
    def __init__(self, host: str, port: int, sock: socket.socket) -> None:
        self._given = sock
        super().__init__(host, port)

    def _create_socket(self, timeout: Any) -> socket.socket:
        return self._given

    def quit(self) -> bytes:
        resp = self._shortcmd("QUIT")  # type: ignore[attr-defined]
        self.said_goodbye = True
        self.close()
        return resp  # type: ignore[no-any-return]

    def close(self) -> None:
        if self.said_goodbye:
            drain(self.sock)
        super().close()


class Pop3Adapter:
    protocol = Protocol.POP3

    def __init__(self, hostname: str, port: int, sock: socket.socket) -> None:
        self.client = _Pop3OnSocket(hostname, port, sock)
        self.greeting = printable(self.client.welcome)

    @property
    def sock(self) -> socket.socket:
        return self.client.sock

    def capabilities(self) -> frozenset[str]:
        """CAPA as "NAME" and "NAME=ARG" tokens (SASL PLAIN → SASL=PLAIN); a server
        without CAPA (RFC 1939 only) gets USER, which every POP3 server has."""
        try:
            caps = self.client.capa()
        except poplib.error_proto:
            return frozenset({"USER"})
        tokens = {name.upper() for name in caps}
        tokens.update(f"{name.upper()}={arg.upper()}" for name, args in caps.items() for arg in args)
        return frozenset(tokens)

    def starttls_offered(self, caps: frozenset[str]) -> bool:
        return "STLS" in caps

    def starttls(self, context: ssl.SSLContext) -> None:
        self.client.stls(context)

    def login_offered(self, caps: frozenset[str]) -> bool:
        return "SASL=PLAIN" in caps or "USER" in caps

    def forward(self, client: ClientAddress) -> str:
        """XCLIENT ADDR= (Dovecot takes it from trusted networks without listing it in CAPA)."""
        command = f"XCLIENT ADDR={client.ip}" + (f" PORT={client.port}" if client.port is not None else "")
        try:
            self.client._shortcmd(command)  # type: ignore[attr-defined]
        except poplib.error_proto:
            return Forwarded.REFUSED
        return Forwarded.ACCEPTED

    def login(self, username: str, password: Secret, caps: frozenset[str]) -> str:
        try:
            if "SASL=PLAIN" in caps or not password.reveal().isascii():
                command = self.client._shortcmd  # type: ignore[attr-defined]
                reply = command("AUTH PLAIN " + sasl_plain(username, password))
                if not reply.startswith(b"+OK"):  # "+ " asks for the credentials again
                    command(sasl_plain(username, password))
                return "PLAIN"
            self.client.user(username)
            self.client.pass_(password.reveal())
            return "USER"
        except poplib.error_proto as exc:
            raise LoginRefused(printable(exc.args[0] if exc.args else "")) from None

    def stat(self) -> tuple[int, int]:
        count, size = self.client.stat()
        return int(count), int(size)

    def uidl(self) -> int:
        """How many messages UIDL lists; raises poplib.error_proto when unsupported."""
        _resp, lines, _octets = self.client.uidl()
        return len(lines)

    def close(self) -> None:
        try:
            self.client.quit()  # no DELE was ever sent: QUIT changes nothing
        except Exception:
            self.client.close()


# -- SMTP --------------------------------------------------------------------------------


class _SmtpOnSocket(smtplib.SMTP, _Goodbye):
    def __init__(self, sock: socket.socket, local_hostname: str) -> None:
        self._given = sock
        super().__init__(local_hostname=local_hostname)

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        return self._given

    def quit(self) -> tuple[int, bytes]:
        reply = self.docmd("QUIT")
        self.said_goodbye = True
        self.close()
        return reply

    def close(self) -> None:
        if self.said_goodbye:
            drain(self.sock)
        super().close()


class SmtpAdapter:
    protocol = Protocol.SMTP

    def __init__(self, hostname: str, port: int, sock: socket.socket) -> None:
        # An address literal for EHLO: valid, and no getfqdn() lookup of our own name.
        local = sock.getsockname()[0]
        literal = f"[IPv6:{local}]" if ":" in local else f"[{local}]"
        self.client = _SmtpOnSocket(sock, literal)
        self.client._host = hostname  # type: ignore[attr-defined]  # STARTTLS's server_hostname
        code, message = self.client.connect(hostname, port)
        if code != 220:  # smtplib checks this only when it connects by itself
            raise UnexpectedReply(_smtp_text(code, message))
        self.greeting = _smtp_text(code, message)
        self._ehlo()

    def _ehlo(self) -> None:
        code, message = self.client.ehlo()
        if code != 250:
            raise UnexpectedReply(_smtp_text(code, message))

    @property
    def sock(self) -> socket.socket:
        sock = self.client.sock
        assert sock is not None
        return sock  # type: ignore[no-any-return]

    def capabilities(self) -> frozenset[str]:
        features = self.client.esmtp_features
        tokens = {name.upper() for name in features}
        tokens.update(f"AUTH={m.upper()}" for m in features.get("auth", "").split())
        return frozenset(tokens)

    def starttls_offered(self, caps: frozenset[str]) -> bool:
        return "STARTTLS" in caps

    def starttls(self, context: ssl.SSLContext) -> None:
        self.client.starttls(context=context)
        self._ehlo()  # RFC 3207: forget what was said before TLS

    def login_offered(self, caps: frozenset[str]) -> bool:
        return "AUTH=PLAIN" in caps or "AUTH=LOGIN" in caps

    def forward(self, client: ClientAddress) -> str:
        """XCLIENT ADDR= when EHLO lists XCLIENT; the server greets anew (220), so EHLO again."""
        if "XCLIENT" not in self.capabilities():
            return Forwarded.NOT_OFFERED
        address = f"IPV6:{client.ip}" if ":" in client.ip else client.ip  # Postfix's XCLIENT syntax
        args = f"ADDR={address}" + (f" PORT={client.port}" if client.port is not None else "")
        code, _message = self.client.docmd("XCLIENT", args)
        if code != 220:
            return Forwarded.REFUSED
        self._ehlo()
        return Forwarded.ACCEPTED

    def login(self, username: str, password: Secret, caps: frozenset[str]) -> str:
        """AUTH PLAIN with UTF-8 credentials, or AUTH LOGIN; then stop: no MAIL FROM."""
        if "AUTH=PLAIN" in caps:
            code, message = self.client.docmd("AUTH", "PLAIN " + sasl_plain(username, password))
            mechanism = "PLAIN"
        else:
            mechanism = "LOGIN"
            code, message = self.client.docmd("AUTH", "LOGIN")
            if code == 334:
                user = base64.b64encode(username.encode("utf-8")).decode("ascii")
                code, message = self.client.docmd(user)
            if code == 334:
                secret = base64.b64encode(password_bytes(password)).decode("ascii")
                code, message = self.client.docmd(secret)
        if code != 235:
            raise LoginRefused(_smtp_text(code, message), smtp_code=code)
        return mechanism

    def close(self) -> None:
        try:
            self.client.quit()
        except Exception:
            self.client.close()


def _smtp_text(code: int, message: bytes | str) -> str:
    text = printable(message)
    return f"{code} {text}" if code > 0 else text


Adapter = ImapAdapter | Pop3Adapter | SmtpAdapter


def open_adapter(protocol: Protocol, hostname: str, port: int, sock: socket.socket, implicit_tls: bool) -> Adapter:
    """Start the protocol on an open socket: reads and checks the greeting."""
    if protocol is Protocol.IMAP:
        return ImapAdapter(hostname, port, sock, implicit_tls)
    if protocol is Protocol.POP3:
        return Pop3Adapter(hostname, port, sock)
    return SmtpAdapter(hostname, port, sock)
