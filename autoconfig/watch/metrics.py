"""The watch on /metrics, read from its snapshot at scrape time: whichever instance answers
the scrape reports what the one watcher last wrote (so nothing is summed over workers)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric

from .store import Snapshot


class WatchCollector:
    def __init__(self, snapshot: Callable[[], Snapshot], interval_s: float) -> None:
        self._snapshot = snapshot
        self.interval_s = interval_s

    def collect(self) -> Iterator[Metric]:
        snapshot = self._snapshot()
        up = GaugeMetricFamily("autoconfig_watch_up", "1 when the server answered well at this address family "
                               "in the watch's last round, else 0.", labels=["host", "port", "family"])
        expiry = GaugeMetricFamily("autoconfig_watch_certificate_expiry_timestamp_seconds",
                                   "When the server's certificate expires (the earliest over its addresses).",
                                   labels=["host", "port"])
        earliest: dict[tuple[str, str], float] = {}
        for state in snapshot.endpoints:
            port = str(state.port)
            up.add_metric([state.host, port, state.family], 1.0 if state.ok else 0.0)
            if state.not_after is not None:
                key = (state.host, port)
                moment = state.not_after.timestamp()
                earliest[key] = min(moment, earliest.get(key, moment))
        for (host, port), moment in sorted(earliest.items()):
            expiry.add_metric([host, port], moment)
        yield up
        yield expiry
        last = GaugeMetricFamily("autoconfig_watch_last_success_timestamp_seconds",
                                 "When the watch last finished a round (absent until it ever has).")
        if snapshot.last_round_at is not None:
            last.add_metric([], snapshot.last_round_at.timestamp())
        yield last
        yield GaugeMetricFamily("autoconfig_watch_interval_seconds", "[watch] interval_s: the alert on a silent "
                                "watch compares the last round's age with it.", value=self.interval_s)
