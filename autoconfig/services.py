"""The collaborators one app instance holds; built once in create_app, never at import."""

from __future__ import annotations

from dataclasses import dataclass, field

import dns.resolver

from .db import Database
from .directory import Directory
from .memo import Memo
from .model import Config
from .reports import ReportStore
from .resolver import make_resolver


@dataclass(frozen=True)
class Services:
    config: Config
    directory: Directory
    resolver: dns.resolver.Resolver
    database: Database
    reports: ReportStore
    memo: Memo = field(default_factory=Memo)

    @classmethod
    def build(cls, config: Config) -> Services:
        resolver = make_resolver(config.dns)
        database = Database(config.reports.database_url)
        return cls(
            config=config,
            directory=Directory(  # its MX cache bounds TTLs itself: no second, unbounded cache under it
                config.providers, make_resolver(config.dns, cache=False),
                max_lookups_in_flight=config.dns.max_lookups_in_flight,
                max_cache_ttl_s=config.dns.max_cache_ttl_s,
            ),
            resolver=resolver,
            database=database,
            reports=ReportStore(database, config.reports.retention_days, config.service.public_url),
        )
