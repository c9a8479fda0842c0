"""The watch: endpoints' latest results, rounds, incidents and maintenance, the watcher lease.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "watch_endpoints",
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("port", sa.Integer(), nullable=False),
        sa.Column("family", sa.String(8), nullable=False),
        sa.Column("protocol", sa.String(8), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("ip", sa.String(64), nullable=True),
        sa.Column("step", sa.String(32), nullable=True),
        sa.Column("checked_at", Timestamp, nullable=False),
        sa.Column("failed_rounds", sa.Integer(), nullable=False),
        sa.Column("failing_since", Timestamp, nullable=True),
        sa.Column("not_after", Timestamp, nullable=True),
        sa.PrimaryKeyConstraint("host", "port", "family", name="pk_watch_endpoints"),
    )
    op.create_table(
        "watch_rounds",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("watcher", sa.String(128), nullable=False),
        sa.Column("started_at", Timestamp, nullable=False),
        sa.Column("finished_at", Timestamp, nullable=False),
        sa.Column("endpoints", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_watch_rounds"),
    )
    op.create_index("ix_watch_rounds_finished_at", "watch_rounds", ["finished_at"])
    op.create_table(
        "watch_incidents",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("port", sa.Integer(), nullable=True),
        sa.Column("code", sa.String(64), nullable=True),
        sa.Column("since", Timestamp, nullable=False),
        sa.Column("until", Timestamp, nullable=True),
        sa.Column("closed_at", Timestamp, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_watch_incidents"),
    )
    op.create_index("ix_watch_incidents_closed_at", "watch_incidents", ["closed_at"])
    op.create_table(
        "watch_lock",
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("holder", sa.String(128), nullable=False),
        sa.Column("expires_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_watch_lock"),
    )


def downgrade() -> None:
    op.drop_table("watch_lock")
    op.drop_index("ix_watch_incidents_closed_at", table_name="watch_incidents")
    op.drop_table("watch_incidents")
    op.drop_index("ix_watch_rounds_finished_at", table_name="watch_rounds")
    op.drop_table("watch_rounds")
    op.drop_table("watch_endpoints")
