"""The watch's tables: what one round leaves behind, what the web side reads back.

Each round is written in one transaction (endpoints' latest state, the round, incidents
opened and closed), so a reader never sees half a round.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa

from ..db.schema import watch_endpoints, watch_incidents, watch_rounds
from .checks import EndpointKey
from .incidents import EndpointState, Opening, Server, current_codes
from .notices import Notice, NoticeKind


def utc(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite hands timestamps back without their zone; every one we write is UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


@dataclass(frozen=True)
class Snapshot:
    """What the web side shows: the endpoints' latest states, the notices in force, the
    end of the last round (None: the watch never ran on this database)."""

    endpoints: tuple[EndpointState, ...]
    notices: tuple[Notice, ...]
    last_round_at: dt.datetime | None


EMPTY = Snapshot((), (), None)


@dataclass(frozen=True)
class HistoryEntry:
    id: int
    kind: NoticeKind
    host: str
    port: int | None
    code: str | None
    since: dt.datetime
    until: dt.datetime | None
    closed_at: dt.datetime | None


class WatchStore:
    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    # -- the watcher's side ------------------------------------------------------------

    def endpoint_states(self) -> dict[EndpointKey, EndpointState]:
        with self.engine.connect() as connection:
            rows = connection.execute(sa.select(watch_endpoints)).all()
        states = (_state(row) for row in rows)
        return {s.key: s for s in states}

    def open_incidents(self) -> set[Server]:
        query = sa.select(watch_incidents.c.host, watch_incidents.c.port).where(
            watch_incidents.c.kind == NoticeKind.INCIDENT.value, watch_incidents.c.closed_at.is_(None)
        )
        with self.engine.connect() as connection:
            return {(row.host, row.port) for row in connection.execute(query)}

    def record_round(self, watcher: str, started_at: dt.datetime, finished_at: dt.datetime,
                     states: Iterable[EndpointState], openings: Iterable[Opening], closing: Iterable[Server]) -> None:
        states = tuple(states)
        with self.engine.begin() as connection:
            connection.execute(sa.delete(watch_endpoints))
            if states:
                connection.execute(sa.insert(watch_endpoints), [_row(s) for s in states])
            connection.execute(sa.insert(watch_rounds).values(
                watcher=watcher, started_at=started_at, finished_at=finished_at,
                endpoints=len(states), failed=sum(1 for s in states if not s.ok),
            ))
            for opening in openings:
                connection.execute(sa.insert(watch_incidents).values(
                    kind=NoticeKind.INCIDENT.value, host=opening.host, port=opening.port, code=opening.code,
                    since=opening.since,
                ))
            for (host, port), code in current_codes(states).items():
                connection.execute(
                    sa.update(watch_incidents)
                    .where(watch_incidents.c.kind == NoticeKind.INCIDENT.value, watch_incidents.c.host == host,
                           watch_incidents.c.port == port, watch_incidents.c.closed_at.is_(None),
                           watch_incidents.c.code != code)
                    .values(code=code)
                )
            for host, port in closing:
                connection.execute(
                    sa.update(watch_incidents)
                    .where(watch_incidents.c.kind == NoticeKind.INCIDENT.value, watch_incidents.c.host == host,
                           watch_incidents.c.port == port, watch_incidents.c.closed_at.is_(None))
                    .values(closed_at=finished_at)
                )

    def purge_rounds(self, before: dt.datetime) -> int:
        with self.engine.begin() as connection:
            return connection.execute(sa.delete(watch_rounds).where(watch_rounds.c.finished_at < before)).rowcount

    # -- staff ---------------------------------------------------------------------------

    def add_maintenance(self, host: str, until: dt.datetime, port: int | None = None,
                        now: dt.datetime | None = None) -> int:
        since = now or dt.datetime.now(dt.UTC)
        with self.engine.begin() as connection:
            result = connection.execute(sa.insert(watch_incidents).values(
                kind=NoticeKind.MAINTENANCE.value, host=host.lower().rstrip("."), port=port, since=since, until=until,
            ))
            key = result.inserted_primary_key
            assert key is not None
            return int(key[0])

    def history(self, limit: int = 100) -> tuple[HistoryEntry, ...]:
        """Incidents and maintenance, newest first (the helpdesk console's list)."""
        query = sa.select(watch_incidents).order_by(watch_incidents.c.since.desc(), watch_incidents.c.id.desc())
        with self.engine.connect() as connection:
            rows = connection.execute(query.limit(limit)).all()
        return tuple(
            HistoryEntry(row.id, NoticeKind(row.kind), row.host, row.port, row.code, utc(row.since) or row.since,
                         utc(row.until), utc(row.closed_at))
            for row in rows
        )

    # -- the web side ----------------------------------------------------------------------

    def snapshot(self, now: dt.datetime | None = None) -> Snapshot:
        now = now or dt.datetime.now(dt.UTC)
        with self.engine.connect() as connection:
            endpoints = tuple(_state(row) for row in connection.execute(
                sa.select(watch_endpoints).order_by(watch_endpoints.c.host, watch_endpoints.c.port,
                                                    watch_endpoints.c.family)))
            rows = connection.execute(
                sa.select(watch_incidents).where(sa.or_(
                    sa.and_(watch_incidents.c.kind == NoticeKind.INCIDENT.value, watch_incidents.c.closed_at.is_(None)),
                    sa.and_(watch_incidents.c.kind == NoticeKind.MAINTENANCE.value, watch_incidents.c.until > now,
                            watch_incidents.c.since <= now),
                )).order_by(watch_incidents.c.since)
            ).all()
            last = connection.execute(sa.select(sa.func.max(watch_rounds.c.finished_at))).scalar()
        notices = tuple(
            Notice(NoticeKind(row.kind), row.host, row.port, row.code, utc(row.since) or now, utc(row.until))
            for row in rows
        )
        return Snapshot(endpoints, notices, utc(last))


def _row(state: EndpointState) -> dict[str, object]:
    return {
        "host": state.host, "port": state.port, "family": state.family, "protocol": state.protocol,
        "ok": state.ok, "code": state.code, "ip": state.ip, "step": state.step, "checked_at": state.checked_at,
        "failed_rounds": state.failed_rounds, "failing_since": state.failing_since, "not_after": state.not_after,
    }


def _state(row: sa.Row[tuple[object, ...]]) -> EndpointState:
    m = row._mapping
    return EndpointState(
        host=m["host"], port=m["port"], family=m["family"], protocol=m["protocol"], ok=bool(m["ok"]),
        code=m["code"], checked_at=utc(m["checked_at"]) or m["checked_at"], failed_rounds=m["failed_rounds"],
        failing_since=utc(m["failing_since"]), not_after=utc(m["not_after"]), ip=m["ip"], step=m["step"],
    )
