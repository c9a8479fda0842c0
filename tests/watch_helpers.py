"""Shared set-up for the watch tests: a Dovecot of their own (they stop it and change its
certificate), a config whose servers are its listeners, and a watcher on a database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from autoconfig.model import Config
from tests.diagnostics_helpers import dovecot_servers, make, publish_example_zone, raw_config
from tests.support.ca import TestCA
from tests.support.dns import KnotServer
from tests.support.dovecot import DovecotServer


def watch_raw(dovecot: DovecotServer, ca: TestCA, knot: KnotServer, database_url: str,
              **watch: Any) -> dict[str, Any]:
    raw = raw_config(dovecot_servers(dovecot, protocols=("imap", "pop3", "smtp")), ca=ca, knot=knot,
                     budget_s=3, connect_timeout_s=1)
    raw["reports"] = {"database_url": database_url}
    raw["watch"] = {"interval_s": 0.5, "rounds_to_open": 2, **watch}
    return raw


def watch_config(dovecot: DovecotServer, ca: TestCA, knot: KnotServer, database_url: str, tmp: Path,
                 **watch: Any) -> Config:
    config = make(watch_raw(dovecot, ca, knot, database_url, **watch), tmp)
    publish_example_zone(knot, config)
    return config
