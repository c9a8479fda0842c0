"""What customers are told about our own servers (pure): an open incident or planned
maintenance on a (host, port), and which of an address's servers they touch."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from ..messages import words


class NoticeKind(StrEnum):
    INCIDENT = "incident"
    MAINTENANCE = "maintenance"


@dataclass(frozen=True)
class Notice:
    kind: NoticeKind
    host: str
    port: int | None  # maintenance may cover every port of a host
    code: str | None
    since: dt.datetime
    until: dt.datetime | None = None  # maintenance: its announced end

    def covers(self, host: str, port: int | None) -> bool:
        return self.host == host.lower() and (self.port is None or port is None or self.port == port)

    @property
    def catalogue_code(self) -> str:
        return "watch.maintenance" if self.kind is NoticeKind.MAINTENANCE else "watch.incident"

    def params(self) -> dict[str, str]:
        """The words' fields: times as HH:MM UTC, the day too when it is not today's."""
        values = {"since": clock(self.since), "host": self.host}
        if self.until is not None:
            values["until"] = clock(self.until)
        return values


@dataclass(frozen=True)
class DescribedNotice:
    """A notice with its words in one language (the status API, reports, the page)."""

    notice: Notice
    message: str
    remedy: str | None


def describe_notice(notice: Notice, lang: str) -> DescribedNotice:
    text = words(notice.catalogue_code, lang, notice.params())
    return DescribedNotice(notice, text.message, text.remedy)


def clock(moment: dt.datetime, now: dt.datetime | None = None) -> str:
    """`14:05 UTC`, or `2026-12-04 14:05 UTC` for another day."""
    moment = moment.astimezone(dt.UTC)
    today = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).date()
    shown = moment.strftime("%H:%M UTC")
    return shown if moment.date() == today else f"{moment:%Y-%m-%d} {shown}"


def effective(notices: Iterable[Notice]) -> tuple[Notice, ...]:
    """Planned maintenance replaces the incidents of the servers it covers."""
    everything = tuple(notices)
    planned = [n for n in everything if n.kind is NoticeKind.MAINTENANCE]
    return tuple(
        n for n in everything
        if n.kind is NoticeKind.MAINTENANCE or not any(m.covers(n.host, n.port) for m in planned)
    )


def touching(notices: Iterable[Notice], servers: Iterable[tuple[str, int]]) -> tuple[Notice, ...]:
    """The notices on any of these servers, each once."""
    wanted = list(servers)
    return tuple(n for n in notices if any(n.covers(host, port) for host, port in wanted))


def for_server(notices: Iterable[Notice], host: str, port: int) -> Notice | None:
    return next((n for n in notices if n.covers(host, port)), None)
