"""Reports storage, with baselines measured in the same run:

1. What storing a finished report adds to a diagnosis: the web layer's whole ticket step
   before the answer (one INSERT of the customer's copy with its hashes, the ticket; the
   other languages' copies follow on a background thread, outside the timing), timed on a
   real diagnosis of a healthy account (Dovecot, Knot on loopback), against that diagnosis's
   own duration. SQLite (the default, WAL) and PostgreSQL (a private cluster with fsync on).
   Target: at most 5 ms added, median.
2. A lookup by ticket code among ROWS stored reports (default 1,000,000), SQLite and
   PostgreSQL: the store's `by_code` (the console's and the helpdesk API's query), median
   and p99 of LOOKUPS random codes, and the database's own query plan (EXPLAIN) proving the
   unique index on `code` is used. Target: under 5 ms.

Run: .venv/bin/python -m tests.benchmarks.bench_reports [--rows 1000000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

from autoconfig import create_app
from autoconfig.db import Database
from autoconfig.db.schema import reports
from autoconfig.diagnose import DiagnosisRequest, Diagnostician
from autoconfig.probes import Secret
from autoconfig.reports import ReportStore
from autoconfig.schemas.diagnostics import ReportSchema
from autoconfig.tickets import ALPHABET, CODE_SYMBOLS
from autoconfig.web.context import services
from autoconfig.web.reports import ticketed
from tests.diagnostics_helpers import dovecot_servers, make, publish_example_zone, raw_config
from tests.support.ca import TestCA
from tests.support.dns import KnotServer
from tests.support.dovecot import ALICE, DovecotServer, healthy_spec
from tests.support.postgres import PostgresServer

STORES = 200
DIAGNOSES = 7
LOOKUPS = 1000
CHUNK = 20_000


def ms(values: list[float]) -> str:
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"median {statistics.median(values) * 1000:.2f} ms, p99 {p99 * 1000:.2f} ms"


def store_overhead(label: str, url: str, ca: TestCA, knot: KnotServer, dovecot: DovecotServer, tmp: Path) -> None:
    raw = raw_config(dovecot_servers(dovecot), ca=ca, knot=knot)
    raw["reports"] = {"database_url": url}
    config = make(raw, tmp)
    publish_example_zone(knot, config)
    app = create_app(config)
    svc = services(app)
    owner = Diagnostician(config, svc.directory, svc.resolver)
    whole: list[float] = []
    for _ in range(DIAGNOSES):
        started = time.perf_counter()
        diagnosis = owner.start(DiagnosisRequest(ALICE.address, Secret(ALICE.password), lang="it"))
        report = diagnosis.run()
        whole.append(time.perf_counter() - started)
    shown = ReportSchema().dump(report)
    added: list[float] = []
    with app.test_request_context("/api/v1/diagnostics", method="POST", environ_base={"REMOTE_ADDR": "192.0.2.7"}):
        assert ticketed(diagnosis, shown)["ticket"] is not None  # warm: schema, keys, pool
        for _ in range(STORES):
            started = time.perf_counter()
            ticket = ticketed(diagnosis, shown)["ticket"]
            added.append(time.perf_counter() - started)
            assert ticket is not None
            svc.reports.settle()  # the other languages, stored after the answer: not what the customer waits for
    svc.reports.close()
    median_added = statistics.median(added) * 1000
    print(f"1. {label}: storing a report ({len(report.checks)} checks, 2 languages) adds {ms(added)} "
          f"to a diagnosis of median {statistics.median(whole) * 1000:.0f} ms "
          f"(ratio {statistics.median(added) / statistics.median(whole):.4f}); "
          f"target <= 5 ms: {'OK' if median_added <= 5 else 'OVER'}")


def _codes(rows: int, rng: random.Random) -> list[str]:
    found: set[str] = set()
    while len(found) < rows:
        found.update("".join(rng.choices(ALPHABET, k=CODE_SYMBOLS)) for _ in range(rows - len(found)))
    return list(found)


def fill(database: Database, rows: int, rng: random.Random) -> list[str]:
    """`rows` reports (small bodies: the lookup reads one row by its index), in bulk."""
    database.upgrade()
    now = dt.datetime.now(dt.UTC)
    codes = _codes(rows, rng)
    body = '{"it": {"email": "x@example.com", "status": "ok", "checks": []}}'
    with database.engine.begin() as connection:
        for start in range(0, rows, CHUNK):
            connection.execute(sa.insert(reports), [
                {"code": code, "token_hash": hashlib.sha256(code.encode()).hexdigest(),
                 "email_hash": hashlib.sha256(str(n % 50_000).encode()).hexdigest(),
                 "client_hash": "0" * 64, "lang": "it", "status": "ok", "created_at": now,
                 "expires_at": now + dt.timedelta(days=30), "report": body}
                for n, code in enumerate(codes[start:start + CHUNK], start)
            ])
    return codes


def explain(database: Database, code: str) -> str:
    query = sa.select(reports).where(reports.c.code == code)
    compiled = query.compile(database.engine, compile_kwargs={"literal_binds": True})
    prefix = "EXPLAIN QUERY PLAN " if database.dialect == "sqlite" else "EXPLAIN "
    with database.engine.connect() as connection:
        rows = connection.execute(sa.text(prefix + str(compiled))).all()
    return " | ".join(str(row[-1]) for row in rows)


def lookup(label: str, url: str, rows: int) -> None:
    rng = random.Random(11)
    database = Database(url)
    started = time.perf_counter()
    codes = fill(database, rows, rng)
    loaded = time.perf_counter() - started
    if database.dialect == "postgresql":
        with database.engine.begin() as connection:
            connection.execute(sa.text("ANALYZE reports"))
    store = ReportStore(database, 30, "https://autoconfig.example.com", purge_every_s=float("inf"))
    wanted = rng.sample(codes, LOOKUPS)
    store.by_code(wanted[0])  # warm the pool
    times: list[float] = []
    for code in wanted:
        t0 = time.perf_counter()
        found = store.by_code(code)
        times.append(time.perf_counter() - t0)
        assert found is not None
    plan = explain(database, wanted[0])
    indexed = ("USING INDEX" in plan or "USING COVERING INDEX" in plan) if database.dialect == "sqlite" \
        else "Index Scan using uq_reports_code" in plan
    with database.engine.connect() as connection:
        count = connection.execute(sa.select(sa.func.count()).select_from(reports)).scalar_one()
    database.dispose()
    print(f"2. {label}: lookup by code among {count:,} reports (loaded in {loaded:.0f} s): {ms(times)}; "
          f"target < 5 ms: {'OK' if statistics.median(times) < 0.005 else 'OVER'}")
    print(f"   plan: {plan} -> {'index used' if indexed else 'NO INDEX'}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--only", choices=["store", "lookup"], default=None)
    options = parser.parse_args()
    rows = options.rows
    tmp = Path(tempfile.mkdtemp(prefix="bench-reports-"))
    ca = TestCA(tmp / "ca")
    with KnotServer() as knot, DovecotServer(healthy_spec(ca)) as dovecot, PostgresServer(durable=True) as pg:
        runs: list[tuple[str, Callable[[], str]]] = [
            ("SQLite", lambda: f"sqlite:///{tmp / 'store.db'}"), ("PostgreSQL", pg.create_database)]
        if options.only != "lookup":
            for label, url in runs:
                store_overhead(label, url(), ca, knot, dovecot, tmp)
        if options.only != "store":
            lookup("SQLite", f"sqlite:///{tmp / 'million.db'}", rows)
            lookup("PostgreSQL", pg.create_database(), rows)


if __name__ == "__main__":
    main()
