"""The reports database: where it lives by default, `autoconfig db upgrade` on SQLite and on a
real PostgreSQL, and the keys the instances sharing it agree on."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from autoconfig.cli import main
from autoconfig.config import build_config, database_url, state_dir
from autoconfig.db import Database, migrate
from autoconfig.errors import ConfigError
from tests.conftest import base_raw
from tests.support.procs import write_config


def _config_file(tmp_path: Path, url: str) -> Path:
    raw = base_raw()
    raw["reports"] = {"database_url": url, "retention_days": 7}
    return write_config(raw, tmp_path / "autoconfig.toml")


def test_db_upgrade_creates_the_tables_then_has_nothing_left_to_do(tmp_path: Path, database_url: str) -> None:
    # Given an empty database
    config = _config_file(tmp_path, database_url)
    # When the admin migrates it twice
    first = CliRunner().invoke(main, ["db", "upgrade", "--config", str(config)])
    second = CliRunner().invoke(main, ["db", "upgrade", "--config", str(config)])
    # Then the first creates revision 0001's tables and the second changes nothing
    assert first.exit_code == 0, first.output
    assert "empty → " + migrate.head() in first.output
    assert second.exit_code == 0 and "already at " + migrate.head() in second.output
    engine = Database(database_url).engine
    tables = set(sa.inspect(engine).get_table_names())
    assert {"reports", "audit_log", "service_keys", "alembic_version"} <= tables
    indexed = {tuple(ix["column_names"]) for ix in sa.inspect(engine).get_indexes("reports")}
    assert ("email_hash", "created_at") in indexed and ("expires_at",) in indexed
    engine.dispose()


def test_db_upgrade_names_the_database_it_cannot_reach_without_its_password(tmp_path: Path) -> None:
    config = _config_file(tmp_path, "postgresql://autoconfig:s3cret-pw@127.0.0.1:1/reports")
    result = CliRunner().invoke(main, ["db", "upgrade", "--config", str(config)])
    assert result.exit_code == 1
    assert "cannot migrate postgresql+psycopg://autoconfig:***@127.0.0.1:1/reports" in result.output
    assert "s3cret-pw" not in result.output
    # the driver's reason for operators, without our or the library's exception class names
    assert "connection" in result.output.lower()
    assert "Error" not in result.output and "(psycopg." not in result.output


def test_the_first_use_migrates_by_itself_and_instances_share_their_keys(database_url: str) -> None:
    # Given two instances on one database that nobody migrated
    one, two = Database(database_url), Database(database_url)
    # When both ask for the same key
    key = one.key("session")
    # Then the schema was made on the way, and both use the same random key
    assert two.key("session") == key and len(key) == 64
    assert one.key("other") != key
    one.dispose()
    two.dispose()


def test_the_sqlite_file_is_private_to_the_service(tmp_path: Path) -> None:
    path = tmp_path / "state" / "reports.db"
    database = Database(f"sqlite:///{path}")
    database.upgrade()
    database.dispose()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"AUTOCONFIG_STATE_DIR": "/srv/ac", "STATE_DIRECTORY": "/var/lib/autoconfig"}, "/srv/ac"),
        ({"STATE_DIRECTORY": "/var/lib/autoconfig:/var/lib/other"}, "/var/lib/autoconfig"),
        ({"XDG_STATE_HOME": "/home/u/.state"}, "/home/u/.state/autoconfig"),
    ],
)
def test_the_state_directory_comes_from_the_environment(environ: dict[str, str], expected: str) -> None:
    assert state_dir(environ) == Path(expected)
    assert database_url("", Path("/etc"), environ) == f"sqlite:///{expected}/reports.db"


def test_a_relative_sqlite_path_is_relative_to_the_config_file(tmp_path: Path) -> None:
    raw = base_raw()
    raw["reports"] = {"database_url": "sqlite:///data/reports.db"}
    config = build_config(raw, base_dir=tmp_path)
    assert config.reports.database_url == f"sqlite:///{tmp_path}/data/reports.db"
    assert config.reports.retention_days == 30


@pytest.mark.parametrize(
    ("reports", "message"),
    [
        ({"database_url": "mysql://x/y"}, "reports.database_url: must be sqlite:///PATH or postgresql://"),
        ({"retention_days": 0}, "reports.retention_days:"),
        ({"keep": 1}, "reports.keep: unknown key"),
    ],
)
def test_a_wrong_reports_section_names_the_key(tmp_path: Path, reports: dict[str, object], message: str) -> None:
    raw = base_raw()
    raw["reports"] = reports
    with pytest.raises(ConfigError) as caught:
        build_config(raw, base_dir=tmp_path)
    assert any(m.startswith(message) for m in caught.value.messages), caught.value.messages
