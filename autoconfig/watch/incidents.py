"""From rounds to incidents (pure): a server failing `rounds_to_open` rounds in a row opens
one; the first round where all its addresses answer well closes it.

A server is a (host, port); its endpoints are its address families. One family down is
already a problem on our side (clients that try it first wait, then fall back), so any
failing endpoint keeps the server's incident open.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .checks import Endpoint, EndpointKey, Round

Server = tuple[str, int]


@dataclass(frozen=True)
class EndpointState:
    """An endpoint's latest result and its run of failures."""

    host: str
    port: int
    family: str
    protocol: str
    ok: bool
    code: str
    checked_at: dt.datetime
    failed_rounds: int = 0
    failing_since: dt.datetime | None = None
    not_after: dt.datetime | None = None
    ip: str | None = None
    step: str | None = None

    @property
    def key(self) -> EndpointKey:
        return (self.host, self.port, self.family)


@dataclass(frozen=True)
class Opening:
    host: str
    port: int
    code: str
    since: dt.datetime


def advance(previous: Mapping[EndpointKey, EndpointState], round_: Round) -> tuple[EndpointState, ...]:
    """The endpoints' states after a round (endpoints no longer configured are dropped; one
    the round did not get to keeps its last state, or has none yet)."""
    states = []
    for seen in round_.endpoints:
        before = previous.get(seen.key)
        if seen.checked:
            states.append(_next(before, seen, round_.started_at))
        elif before is not None:
            states.append(before)
    return tuple(states)


def _next(before: EndpointState | None, seen: Endpoint, at: dt.datetime) -> EndpointState:
    if seen.ok:
        failed, since = 0, None
    else:
        failed = (before.failed_rounds if before is not None else 0) + 1
        since = before.failing_since if before is not None and before.failing_since is not None else at
    return EndpointState(seen.host, seen.port, seen.family, seen.protocol, seen.ok, seen.code, at, failed, since,
                         seen.not_after, seen.ip, seen.step)


def decide(states: Iterable[EndpointState], open_now: Iterable[Server],
           rounds_to_open: int) -> tuple[tuple[Opening, ...], tuple[Server, ...]]:
    """Which incidents to open and which to close after a round."""
    by_server: dict[Server, list[EndpointState]] = {}
    for state in states:
        by_server.setdefault((state.host, state.port), []).append(state)
    already = set(open_now)
    openings: list[Opening] = []
    for server, group in by_server.items():
        failing = [s for s in group if not s.ok]
        if server in already or not failing:
            continue
        if max(s.failed_rounds for s in failing) >= rounds_to_open:
            worst = max(failing, key=lambda s: s.failed_rounds)
            since = min(s.failing_since or s.checked_at for s in failing)
            openings.append(Opening(server[0], server[1], worst.code, since))
    closing = tuple(
        server for server in sorted(already)
        if not any(not s.ok for s in by_server.get(server, []))
    )
    return tuple(openings), closing


def current_codes(states: Iterable[EndpointState]) -> dict[Server, str]:
    """What each failing server fails with now: an open incident shows it (a server that
    stopped answering mid-shutdown, then refused, is `net.refused`, not the first glimpse)."""
    found: dict[Server, str] = {}
    for state in sorted(states, key=lambda s: (s.host, s.port, s.family)):
        if not state.ok:
            found.setdefault((state.host, state.port), state.code)
    return found
