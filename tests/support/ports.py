"""Free loopback ports for servers that cannot be handed an already bound socket.

Dovecot, Knot and Redis bind their own ports, so we pick ports the kernel says are free
and let the server bind them. Another process may grab one in between; the callers
therefore retry a start that fails with "address in use".
"""

from __future__ import annotations

import contextlib
import socket
import time


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def free_ports(count: int, hosts: tuple[str, ...] = ("127.0.0.1",), *, udp: bool = False) -> list[int]:
    """``count`` distinct ports free for TCP (and UDP if asked) on every host in ``hosts``.

    The first host picks a port (bind to port 0); it is kept only if it is also free on
    the other hosts and, with ``udp``, for UDP. All probe sockets are held until the end
    so the kernel does not hand the same port out twice.
    """
    ports: list[int] = []
    with contextlib.ExitStack() as held:
        for _ in range(count * 50):
            if len(ports) == count:
                break
            first = held.enter_context(socket.socket(_family(hosts[0]), socket.SOCK_STREAM))
            first.bind((hosts[0], 0))
            port: int = first.getsockname()[1]
            try:
                for host in hosts[1:]:
                    other = held.enter_context(socket.socket(_family(host), socket.SOCK_STREAM))
                    other.bind((host, port))
                if udp:
                    for host in hosts:
                        dgram = held.enter_context(socket.socket(_family(host), socket.SOCK_DGRAM))
                        dgram.bind((host, port))
            except OSError:
                continue
            ports.append(port)
    if len(ports) < count:
        raise RuntimeError(f"could not find {count} free ports on {hosts}")
    return ports


def accepts(host: str, port: int, timeout: float = 0.5) -> bool:
    """Whether a TCP connection to ``host:port`` is accepted right now."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_for_ports(endpoints: list[tuple[str, int]], deadline: float) -> list[tuple[str, int]]:
    """Poll until every endpoint accepts or ``deadline`` (``time.monotonic``) passes.

    Returns the endpoints that still do not accept (empty on success).
    """
    pending = list(endpoints)
    while True:
        pending = [(host, port) for host, port in pending if not accepts(host, port)]
        if not pending or time.monotonic() >= deadline:
            return pending
        time.sleep(0.05)


def ipv6_loopback_available() -> bool:
    """Whether ``::1`` can be bound (some containers run without IPv6 on lo)."""
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock:
            sock.bind(("::1", 0))
    except OSError:
        return False
    return True
