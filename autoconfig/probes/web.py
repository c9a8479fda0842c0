"""HTTP(S) as a mail client fetches its setup documents, with the SSRF rule of the SPEC.

The names come from customers' DNS, so every hop: resolves the name once with our resolver,
refuses it when any address is internal (unless allowed), connects to the address it checked
(never a second lookup), speaks TLS with the name as SNI and verifies the certificate for the
name (system store plus `ca_file`), sends `Host:` with the name, and reads at most 64 KiB.
Redirects are followed by hand (at most 5, never into a loop); a redirect from HTTPS to HTTP
is refused, as is any redirect when the caller forbids them. Every hop's socket gets its share
of the caller's deadline and is closed when the caller cancels.

The outcome is a `Fetched` with one of the discovery codes' last parts (`ok`, `not_found`,
`tls_failed`, …); library exceptions are mapped here and nowhere else.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import socket
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from urllib.parse import urljoin, urlsplit

import dns.exception
import dns.resolver

from .base import Attempt, BudgetExhausted, Cancelled, Step, printable
from .netaddr import classify

MAX_BODY = 64 * 1024
MAX_REDIRECTS = 5
DEFAULT_PORTS: Mapping[str, int] = MappingProxyType({"https": 443, "http": 80})
USER_AGENT = "autoconfig-discovery/1.0"
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
OUT_OF_TIME = "the time for the whole check ran out"
_VERIFY_REASONS = {9: "not_yet_valid", 10: "expired", 62: "hostname_mismatch", 64: "hostname_mismatch"}


@dataclass(frozen=True)
class Hop:
    """One request: where it went and what came back (status None: no HTTP answer)."""

    url: str
    ip: str | None = None
    status: int | None = None


@dataclass(frozen=True)
class Fetched:
    """The end of a fetch. `outcome` is ok, not_found, unreachable, tls_failed, redirect_refused,
    bad_document (too large), timeout or private_address_refused. `why` says why as a token of
    messages.REASON_WORDS, with its `why_params` (the page's words in each language); `reason` says
    it in English with the library's detail, for staff."""

    url: str
    outcome: str
    hops: tuple[Hop, ...] = ()
    body: bytes = b""
    reason: str = ""
    why: str = ""
    why_params: tuple[tuple[str, str], ...] = ()
    tls: str = ""  # tls_failed: expired, hostname_mismatch, not_yet_valid, untrusted, handshake
    location: str | None = None  # a redirect that was not followed (follow=False)

    @property
    def final_url(self) -> str:
        return self.hops[-1].url if self.hops else self.url

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"


@dataclass(frozen=True)
class WebToolkit:
    """What fetching needs, built once: the resolver, a strict verifying TLS context (a client's
    defaults: TLS 1.2+, default security level), and the ports of the two schemes (tests map
    them to free loopback ports; customers cannot)."""

    resolver: dns.resolver.Resolver
    tls: ssl.SSLContext
    allow_private: bool = False
    ports: Mapping[str, int] = field(default_factory=lambda: DEFAULT_PORTS)

    @staticmethod
    def client_context(ca_file: str | None) -> ssl.SSLContext:
        context = ssl.create_default_context()
        if ca_file:
            context.load_verify_locations(cafile=ca_file)
        return context


class _Stop(Exception):
    """A hop ended without a usable answer; carries the Fetched fields."""

    def __init__(self, outcome: str, reason: str, why: str, tls: str = "", **why_params: object) -> None:
        super().__init__(reason)
        self.outcome = outcome
        self.reason = reason
        self.why = why
        self.why_params = _why(**why_params)
        self.tls = tls


def _why(**values: object) -> tuple[tuple[str, str], ...]:
    return tuple((k, str(v)) for k, v in values.items())


def _addresses(kit: WebToolkit, host: str, attempt: Attempt) -> list[str]:
    """The host's addresses, IPv4 first; an IP literal is its own address."""
    with contextlib.suppress(ValueError):
        return [str(ipaddress.ip_address(host.strip("[]")))]
    found: list[str] = []
    nxdomain = False
    for rtype in ("A", "AAAA"):
        lifetime = min(attempt.begin(Step.RESOLVE), float(kit.resolver.lifetime))
        try:
            answer = kit.resolver.resolve(host + ".", rtype, lifetime=lifetime, search=False)
        except dns.resolver.NXDOMAIN:
            nxdomain = True
            break
        except dns.resolver.NoAnswer:
            continue
        except dns.exception.Timeout:
            raise _Stop("timeout", f"no DNS answer for {host} in time", "dns_timeout", host=host) from None
        except dns.exception.DNSException as exc:
            raise _Stop("not_found", f"DNS lookup of {host} failed ({type(exc).__name__})", "dns_failed",
                        host=host) from None
        found += [r.to_text() for r in answer]
    if not found:
        if nxdomain:
            raise _Stop("not_found", f"the name {host} does not exist", "no_such_name", host=host)
        raise _Stop("not_found", f"{host} has no address", "no_address", host=host)
    return list(dict.fromkeys(found))


def _connect(kit: WebToolkit, host: str, port: int, attempt: Attempt) -> tuple[socket.socket, str]:
    addresses = _addresses(kit, host, attempt)
    if not kit.allow_private:
        internal = [(a, c.reason) for a in addresses if (c := classify(a)).internal]
        if internal:
            ip, why = internal[0]
            raise _Stop("private_address_refused", f"{host} resolves to {ip} ({why}); not connected",
                        "internal_address", host=host, ip=ip)
    last: BaseException | None = None
    for ip in addresses:
        timeout = attempt.begin(Step.CONNECT)
        family = socket.AF_INET6 if ":" in ip else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        attempt.track(sock)
        sock.settimeout(timeout)
        try:
            sock.connect((ip, port))
            return sock, ip
        except TimeoutError:
            sock.close()
            raise _Stop("timeout", f"{host} ({ip}) port {port} did not answer in time", "connect_timeout",
                        host=host, port=port) from None
        except OSError as exc:
            sock.close()
            last = exc
    raise _Stop("unreachable", f"{host} port {port}: {getattr(last, 'strerror', None) or 'connection failed'}",
                "connect_failed", host=host, port=port)


def _tls(kit: WebToolkit, sock: socket.socket, host: str, attempt: Attempt) -> ssl.SSLSocket:
    attempt.begin(Step.TLS_HANDSHAKE, sock)
    try:
        wrapped = kit.tls.wrap_socket(sock, server_hostname=host)
    except ssl.SSLCertVerificationError as exc:
        why = _VERIFY_REASONS.get(exc.verify_code or 0, "untrusted")
        raise _Stop("tls_failed", f"{host}: {exc.verify_message or 'certificate not verified'}", f"cert_{why}", why,
                    host=host) from None
    except TimeoutError:
        raise _Stop("timeout", f"{host}: the TLS handshake did not end in time", "tls_timeout", host=host) from None
    except (ssl.SSLError, OSError) as exc:
        reason = getattr(exc, "reason", None) or printable(exc)
        raise _Stop("tls_failed", f"{host}: TLS handshake failed ({reason})", "tls_handshake", "handshake",
                    host=host) from None
    attempt.track(wrapped)
    return wrapped


def _request(method: str, host: str, target: str, body: bytes | None, content_type: str | None) -> bytes:
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host}", f"User-Agent: {USER_AGENT}", "Accept: */*",
             "Connection: close"]
    if body is not None:
        lines += [f"Content-Type: {content_type or 'application/octet-stream'}", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii") + (body or b"")


def _hop(kit: WebToolkit, url: str, method: str, body: bytes | None, content_type: str | None,
         attempt: Attempt) -> tuple[Hop, int, str | None, bytes]:
    """One request; returns the hop, its status, its Location and its body (≤ 64 KiB)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host:
        raise _Stop("redirect_refused", f"{printable(url)} is not an http(s) URL", "not_http_url",
                    target=printable(url))
    port = parts.port or kit.ports[parts.scheme]
    sock, ip = _connect(kit, host, port, attempt)
    try:
        if parts.scheme == "https":
            sock = _tls(kit, sock, host, attempt)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        attempt.begin(Step.GREETING, sock)
        try:
            sock.sendall(_request(method, host, target, body, content_type))
            response = http.client.HTTPResponse(sock, method=method)
            response.begin()
            data = response.read(MAX_BODY + 1) if response.status not in _REDIRECTS else b""
        except TimeoutError:
            raise _Stop("timeout", f"{host} did not answer in time", "http_timeout", host=host) from None
        except (http.client.HTTPException, OSError) as exc:
            raise _Stop("unreachable", f"{host}: no HTTP answer ({type(exc).__name__})", "no_http_answer",
                        host=host) from None
        if len(data) > MAX_BODY:
            raise _Stop("bad_document", f"{host}: the document is larger than {MAX_BODY // 1024} KiB", "too_large",
                        host=host, size_kb=MAX_BODY // 1024)
        return Hop(url, ip, response.status), response.status, response.getheader("Location"), data
    finally:
        with contextlib.suppress(OSError):
            sock.close()


def fetch(kit: WebToolkit, url: str, attempt: Attempt, *, method: str = "GET", body: bytes | None = None,
          content_type: str | None = None, follow: bool = True) -> Fetched:
    """Fetch `url` within the attempt's deadline; never raises for anything a server does."""
    hops: list[Hop] = []
    seen = {url}
    current = url
    try:
        for _ in range(MAX_REDIRECTS + 1):
            try:
                hop, status, location, data = _hop(kit, current, method, body, content_type, attempt)
            except _Stop as stop:
                hops.append(Hop(current))
                if attempt.cancelled or attempt.deadline.expired:  # our own cut, not the server's fault
                    return Fetched(url, "timeout", tuple(hops), reason=OUT_OF_TIME, why="time_ran_out")
                return Fetched(url, stop.outcome, tuple(hops), reason=stop.reason, why=stop.why,
                               why_params=stop.why_params, tls=stop.tls)
            hops.append(hop)
            if status in _REDIRECTS and location:
                nxt = urljoin(current, location.strip())
                if not follow:
                    return Fetched(url, "redirect", tuple(hops), location=nxt,
                                   reason=f"HTTP {status} to {printable(nxt)}", why="redirect",
                                   why_params=_why(http_status=status, target=printable(nxt)))
                if current.startswith("https:") and not nxt.startswith("https:"):
                    return Fetched(url, "redirect_refused", tuple(hops),
                                   reason=f"HTTPS redirects to {printable(nxt)}, which is not HTTPS",
                                   why="redirect_not_https", why_params=_why(target=printable(nxt)))
                if nxt in seen:
                    return Fetched(url, "redirect_refused", tuple(hops),
                                   reason=f"a redirect loop back to {printable(nxt)}", why="redirect_loop",
                                   why_params=_why(target=printable(nxt)))
                seen.add(nxt)
                current = nxt
                continue
            if 200 <= status < 300:
                return Fetched(url, "ok", tuple(hops), body=data)
            return Fetched(url, "not_found", tuple(hops), reason=f"HTTP {status}", why="http_status",
                           why_params=_why(http_status=status))
        return Fetched(url, "redirect_refused", tuple(hops), reason=f"more than {MAX_REDIRECTS} redirects",
                       why="too_many_redirects", why_params=_why(count=MAX_REDIRECTS))
    except (BudgetExhausted, Cancelled):
        hops.append(Hop(current))
        return Fetched(url, "timeout", tuple(hops), reason=OUT_OF_TIME, why="time_ran_out")


def elapsed_ms(started: float) -> int:
    return max(0, round((time.monotonic() - started) * 1000))
