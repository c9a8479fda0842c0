"""TCP: resolve the host name ourselves, refuse internal addresses, connect, time it.

Both address families are tried at once (one check each, like Happy Eyeballs tries
them), and the session goes on over the connection that was made, so the server we
judge is the one at the address we checked (never a second lookup of the name). A
family that fails while the other works is a `warning`: clients fall back.
"""

from __future__ import annotations

import errno
import os
import selectors
import socket
import time
from dataclasses import dataclass

import dns.exception
import dns.resolver

from ..model import Status
from .base import (
    BudgetExhausted,
    Cancelled,
    CheckResult,
    Details,
    Kind,
    Step,
    Timer,
    elapsed_ms,
    failure_for,
    params,
)
from .netaddr import classify
from .session import Need, Session, Stage

FAMILIES = (("ipv6", "AAAA", socket.AF_INET6), ("ipv4", "A", socket.AF_INET))
_POLL_S = 0.05


@dataclass(frozen=True)
class TcpDetails(Details):
    ip: str | None
    family: str
    connect_ms: int | None = None
    addresses: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Outcome:
    family: str
    ip: str | None
    sock: socket.socket | None = None
    error: BaseException | None = None
    refused_reason: str | None = None  # internal address, not connected
    connect_ms: int | None = None
    addresses: tuple[str, ...] = ()


def resolve(session: Session) -> dict[str, tuple[str, ...]]:
    """A and AAAA of the host, with the app's resolver, within the step's timeout.

    Returns {"ipv4": (...), "ipv6": (...)} with the families that have addresses;
    raises the resolver's exception when neither has any."""
    t = session.target
    found: dict[str, tuple[str, ...]] = {}
    errors: list[BaseException] = []
    for family, rtype, _af in FAMILIES:
        if t.family is not None and family != t.family:
            continue
        lifetime = session.attempt.begin(Step.RESOLVE)
        lifetime = min(lifetime, float(session.toolkit.resolver.lifetime))
        try:
            answer = session.toolkit.resolver.resolve(t.hostname + ".", rtype, lifetime=lifetime, search=False)
        except (dns.resolver.NoAnswer, dns.resolver.NXDOMAIN) as exc:
            errors.append(exc)
            if isinstance(exc, dns.resolver.NXDOMAIN):
                break  # the name does not exist: no need to ask for the other type
            continue
        except dns.exception.DNSException as exc:
            errors.append(exc)
            continue
        found[family] = tuple(dict.fromkeys(r.to_text() for r in answer))
    if not found:
        nxdomain = next((e for e in errors if isinstance(e, dns.resolver.NXDOMAIN)), None)
        raise nxdomain or (errors[-1] if errors else dns.resolver.NoAnswer())
    return found


def _connect_all(session: Session, wanted: list[tuple[str, str]]) -> dict[str, _Outcome]:
    """Connect to one address per family at once; each gets the step's timeout."""
    port = session.target.port
    timeout = session.attempt.begin(Step.CONNECT)
    outcomes: dict[str, _Outcome] = {}
    pending: dict[socket.socket, tuple[str, str, float]] = {}
    selector = selectors.DefaultSelector()
    try:
        for family, ip in wanted:
            af = socket.AF_INET6 if family == "ipv6" else socket.AF_INET
            try:
                sock = socket.socket(af, socket.SOCK_STREAM)
            except OSError as exc:
                outcomes[family] = _Outcome(family, ip, error=exc)
                continue
            session.attempt.track(sock)
            sock.setblocking(False)
            started = time.monotonic()
            code = sock.connect_ex((ip, port))
            if code not in (0, errno.EINPROGRESS, errno.EWOULDBLOCK):
                sock.close()
                outcomes[family] = _Outcome(family, ip, error=OSError(code, os.strerror(code)))
                continue
            pending[sock] = (family, ip, started)
            selector.register(sock, selectors.EVENT_WRITE)
        until = time.monotonic() + timeout
        while pending:
            if session.attempt.cancelled:
                raise Cancelled()
            left = until - time.monotonic()
            if left <= 0:
                break
            for key, _events in selector.select(min(left, _POLL_S)):
                sock = key.fileobj  # type: ignore[assignment]
                family, ip, started = pending.pop(sock)
                selector.unregister(sock)
                code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if code:
                    sock.close()
                    outcomes[family] = _Outcome(family, ip, error=OSError(code, os.strerror(code)))
                else:
                    sock.setblocking(True)
                    outcomes[family] = _Outcome(family, ip, sock=sock, connect_ms=elapsed_ms(started))
        for sock, (family, ip, _started) in pending.items():
            sock.close()
            error: BaseException = (
                BudgetExhausted(Step.CONNECT) if session.attempt.deadline.expired else TimeoutError("timed out")
            )
            outcomes[family] = _Outcome(family, ip, error=error)
    except BaseException:
        for sock in pending:
            sock.close()
        for outcome in outcomes.values():
            if outcome.sock is not None:
                outcome.sock.close()
        raise
    finally:
        selector.close()
    return outcomes


def run(session: Session) -> tuple[CheckResult, ...]:
    timer = Timer()
    t = session.target
    try:
        found = resolve(session)
    except Exception as exc:
        failure = failure_for(exc, Step.RESOLVE)
        return (
            session.result(STAGE, failure.status, failure.code, failure.params, timer.ms,
                           TcpDetails(None, "any")),
        )
    resolve_ms = timer.ms
    guard = t.templated and not session.toolkit.options.allow_private_addresses
    outcomes: dict[str, _Outcome] = {}
    wanted: list[tuple[str, str]] = []
    for family, _rtype, _af in FAMILIES:
        if family not in found:
            continue
        ip = found[family][0]
        verdict = classify(ip)
        if guard and verdict.internal:
            outcomes[family] = _Outcome(family, ip, refused_reason=verdict.reason, addresses=found[family])
        else:
            wanted.append((family, ip))
    if wanted:
        try:
            connected = _connect_all(session, wanted)
        except Exception as exc:
            connected = {family: _Outcome(family, ip, error=exc) for family, ip in wanted}
        for family, outcome in connected.items():
            outcomes[family] = _Outcome(
                family, outcome.ip, outcome.sock, outcome.error, None, outcome.connect_ms, found[family]
            )
    # The session goes on over IPv6 when it connected (as clients prefer), else IPv4.
    chosen = next((o for f, _r, _a in FAMILIES if (o := outcomes.get(f)) and o.sock is not None), None)
    for outcome in outcomes.values():
        if outcome.sock is not None and outcome is not chosen:
            outcome.sock.close()
            if outcome.ip is not None:
                session.other_address = (outcome.family, outcome.ip)  # tls shakes hands there too
    if chosen is not None:
        session.sock, session.ip = chosen.sock, chosen.ip
    return tuple(
        _judge(session, outcomes[family], any_ok=chosen is not None, extra_ms=resolve_ms)
        for family, _r, _a in FAMILIES
        if family in outcomes
    )


def _judge(session: Session, outcome: _Outcome, *, any_ok: bool, extra_ms: int) -> CheckResult:
    details = TcpDetails(outcome.ip, outcome.family, outcome.connect_ms, outcome.addresses)
    suffix = f"{STAGE.name}-{outcome.family}"
    values = params(ip=outcome.ip, family=outcome.family)
    duration = extra_ms + (outcome.connect_ms or 0)
    if outcome.refused_reason is not None:
        return session.result(STAGE, Status.ERROR, "net.private_address_refused",
                              params(**values, range=outcome.refused_reason), duration, details, suffix)
    if outcome.sock is not None:
        return session.result(STAGE, Status.OK, "net.ok", params(**values, ms=outcome.connect_ms),
                              duration, details, suffix)
    assert outcome.error is not None
    failure = failure_for(outcome.error, Step.CONNECT)
    # One family down while the other works: clients fall back, so it is a warning.
    status = Status.WARNING if any_ok and not failure.code.startswith("diag.") else failure.status
    return session.result(STAGE, status, failure.code, params(**values, **failure.params), duration, details, suffix)


STAGE = Stage(name="tcp", kind=Kind.TCP, needs=Need.NOTHING, run=run)
