"""deploy/prometheus/alerts.yml: valid for Prometheus (promtool check rules), firing when and
only when it should (promtool test rules, alerts.test.yml), and written against the metric
names the service really exports once a watch round is in the database."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from autoconfig import create_app
from autoconfig.config import build_config
from autoconfig.db import Database
from autoconfig.watch.incidents import EndpointState
from autoconfig.watch.store import WatchStore
from tests.conftest import REPO, base_raw

RULES = REPO / "deploy" / "prometheus" / "alerts.yml"
RULE_TESTS = REPO / "deploy" / "prometheus" / "alerts.test.yml"
PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"


def _promtool(*args: str) -> subprocess.CompletedProcess[str]:
    if not Path(PROMTOOL).exists():
        pytest.fail("promtool is missing: apt-get install prometheus (tests/debian-packages.txt)")
    return subprocess.run([PROMTOOL, *args], capture_output=True, text=True, timeout=60, cwd=RULES.parent)


def test_prometheus_accepts_the_rules() -> None:
    result = _promtool("check", "rules", RULES.name)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 4 rules found" in result.stdout


def test_the_rules_fire_when_they_should_and_not_before() -> None:
    # down for 5 minutes, a certificate within 14 days, the watch silent for 3 intervals
    result = _promtool("test", "rules", RULE_TESTS.name)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_rules_use_the_metrics_the_service_exports(tmp_path: Path) -> None:
    # Given a watch round in the service's database
    raw = base_raw()
    raw["reports"] = {"database_url": f"sqlite:///{tmp_path / 'r.db'}"}
    config = build_config(raw, base_dir=tmp_path)
    database = Database(config.reports.database_url)
    now = dt.datetime.now(dt.UTC)
    state = EndpointState("mail.example.com", 993, "ipv4", "imap", True, "tls.ok", now,
                          not_after=now + dt.timedelta(days=10))
    WatchStore(database.ready()).record_round("test", now, now, [state], [], [])
    database.dispose()
    # When Prometheus scrapes /metrics
    exposition = create_app(config).test_client().get("/metrics").get_data(as_text=True)
    # Then every metric an alert reads is there
    exported = set(re.findall(r"^(autoconfig_\w+)", exposition, re.M))
    rules = yaml.safe_load(RULES.read_text())["groups"][0]["rules"]
    used = {name for rule in rules for name in re.findall(r"autoconfig_\w+", rule["expr"])}
    assert used and used <= exported, used - exported
    assert 'autoconfig_watch_up{family="ipv4",host="mail.example.com",port="993"} 1.0' in exposition
