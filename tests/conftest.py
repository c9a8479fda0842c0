"""Shared fixtures: a config built from a dict, the app, its test client and CLI runner."""

from __future__ import annotations

import copy
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from autoconfig import create_app
from autoconfig.config import build_config
from autoconfig.model import Config

pytest_plugins = ["tests.support.fixtures"]


def pytest_configure(config: pytest.Config) -> None:
    """Every app a test builds keeps its default reports database in a folder of this run
    (not the home directory); the services the tests start inherit it."""
    if "AUTOCONFIG_STATE_DIR" not in os.environ:
        os.environ["AUTOCONFIG_STATE_DIR"] = tempfile.mkdtemp(prefix="autoconfig-state-")

REPO = Path(__file__).resolve().parent.parent
# Everything the tests read lives in the repository (public samples and schemas, see data/README.md).
DATA = Path(__file__).resolve().parent / "data"

BASE: dict[str, Any] = {
    "service": {
        "public_url": "https://autoconfig.example.com",
        "languages": ["it", "en"],
        "faq_url": "https://support.example.com/faq/pop3-imap",
        "support_url": "https://support.example.com",
    },
    "provider": [
        {
            "id": "example",
            "name": "Example Hosting S.r.l.",
            "short_name": "Example",
            "domains": ["example.com", "example.org", "bücher.example"],
            "domain_patterns": ["*.example.net"],
            "username": "%EMAILADDRESS%",
            "webmail_url": "https://webmail.example.com",
            "server": [
                {"protocol": "imap", "hostname": "mail.example.com", "port": 993, "security": "tls"},
                {"protocol": "pop3", "hostname": "mail.example.com", "port": 995, "security": "tls"},
                {"protocol": "smtp", "hostname": "smtp.example.com", "port": 587, "security": "starttls"},
            ],
            "mobileconfig": {"identifier": "com.example.mail"},
        }
    ],
}


def base_raw() -> dict[str, Any]:
    """A fresh, valid raw configuration that a test may change before building."""
    return copy.deepcopy(BASE)


ConfigFactory = Callable[..., Config]


@pytest.fixture
def make_config(tmp_path: Path) -> ConfigFactory:
    """Build a Config from `base_raw()` or a given raw dict; relative paths resolve in tmp_path."""

    def make(raw: dict[str, Any] | None = None) -> Config:
        return build_config(raw if raw is not None else base_raw(), base_dir=tmp_path)

    return make


@pytest.fixture
def config(make_config: ConfigFactory) -> Config:
    return make_config()


@pytest.fixture
def app(config: Config) -> Flask:
    app = create_app(config)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()
