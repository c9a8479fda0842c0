"""The tables, as SQLAlchemy Core metadata: what the migrations create and the stores query.

Core rather than the ORM: a report is stored and read as one row of plain values, and a
store is on the path of every diagnosis (docs/performance.md).
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# An integer key that SQLite makes a rowid alias and PostgreSQL a bigint.
Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Timestamp = sa.DateTime(timezone=True)

reports = sa.Table(
    "reports",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("code", sa.String(6), nullable=False, unique=True),  # staff-only key, read over the phone
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),  # sha256 of the secret link token
    sa.Column("email_hash", sa.String(64), nullable=False),  # keyed hash of the lower-case address
    sa.Column("client_hash", sa.String(64), nullable=False),  # keyed hash of the client's IP address
    sa.Column("lang", sa.String(5), nullable=False),
    sa.Column("status", sa.String(8), nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("expires_at", Timestamp, nullable=False),
    sa.Column("report", sa.Text(), nullable=False),  # the report JSON as the customer saw it
    sa.Index(None, "email_hash", "created_at"),
    sa.Index(None, "expires_at"),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("at", Timestamp, nullable=False, index=True),
    sa.Column("actor", sa.String(200), nullable=False),  # staff name, or "token:<name>"
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("target", sa.String(300), nullable=False),
)

# Random keys the instances sharing a database must agree on (session signing, the keyed
# hashes); made once, on first use, by whichever instance comes first.
service_keys = sa.Table(
    "service_keys",
    metadata,
    sa.Column("name", sa.String(32), primary_key=True),
    sa.Column("value", sa.String(128), nullable=False),
)

# -- the watch (autoconfig watch) -------------------------------------------------------

# Each endpoint's latest result: what /metrics, /api/v1/status and the banner read.
watch_endpoints = sa.Table(
    "watch_endpoints",
    metadata,
    sa.Column("host", sa.String(255), primary_key=True),
    sa.Column("port", sa.Integer(), primary_key=True),
    sa.Column("family", sa.String(8), primary_key=True),  # ipv4 | ipv6 | any (no address at all)
    sa.Column("protocol", sa.String(8), nullable=False),
    sa.Column("ok", sa.Boolean(), nullable=False),
    sa.Column("code", sa.String(64), nullable=False),
    sa.Column("ip", sa.String(64), nullable=True),
    sa.Column("step", sa.String(32), nullable=True),
    sa.Column("checked_at", Timestamp, nullable=False),
    sa.Column("failed_rounds", sa.Integer(), nullable=False),
    sa.Column("failing_since", Timestamp, nullable=True),
    sa.Column("not_after", Timestamp, nullable=True),
)

# One row a round: that the watch runs (the "watch silent" alert), and how it went.
watch_rounds = sa.Table(
    "watch_rounds",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("watcher", sa.String(128), nullable=False),
    sa.Column("started_at", Timestamp, nullable=False),
    sa.Column("finished_at", Timestamp, nullable=False, index=True),
    sa.Column("endpoints", sa.Integer(), nullable=False),
    sa.Column("failed", sa.Integer(), nullable=False),
)

# Incidents (opened and closed by the watch) and planned maintenance (set by staff), kept as history.
watch_incidents = sa.Table(
    "watch_incidents",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(16), nullable=False),  # incident | maintenance
    sa.Column("host", sa.String(255), nullable=False),
    sa.Column("port", sa.Integer(), nullable=True),  # maintenance: None for every port of the host
    sa.Column("code", sa.String(64), nullable=True),
    sa.Column("since", Timestamp, nullable=False),
    sa.Column("until", Timestamp, nullable=True),  # maintenance: its announced end
    sa.Column("closed_at", Timestamp, nullable=True, index=True),  # None while open
)

# The lease that lets one watcher run at a time; renewed while it runs, taken over when it lapses.
watch_lock = sa.Table(
    "watch_lock",
    metadata,
    sa.Column("name", sa.String(32), primary_key=True),
    sa.Column("holder", sa.String(128), nullable=False),
    sa.Column("expires_at", Timestamp, nullable=False),
)
