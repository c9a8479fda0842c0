"""Thin Flask views around the pure formats, probes and advice."""

from __future__ import annotations

from flask import Flask, current_app

from ..model import Settings
from ..services import Services
from ..settings import settings_for_address

MAX_BODY = 64 * 1024


def services() -> Services:
    return current_app.extensions["autoconfig"]  # type: ignore[no-any-return]


def settings_for(raw: str | None) -> Settings:
    """The settings for a typed address, through this app's directory and memo."""
    app_services = services()
    return settings_for_address(app_services.directory, raw, app_services.memo)


def init_app(app: Flask) -> None:
    from .. import i18n
    from . import (
        advice,
        api,
        apple,
        clients,
        diagnostics,
        dns,
        errors,
        limits,
        observability,
        outlook,
        pages,
        security,
    )

    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY
    app.json.sort_keys = False  # type: ignore[attr-defined]
    observability.init_app(app)  # first: the request id and timing wrap everything else
    security.init_app(app)
    errors.init_app(app)
    i18n.init_app(app)
    app.register_blueprint(clients.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(outlook.bp)
    app.register_blueprint(apple.bp)
    app.register_blueprint(dns.bp)
    app.register_blueprint(advice.bp)
    app.register_blueprint(pages.bp)
    diagnostics.init_app(app)
    limits.init_app(app)  # last: attaches limits to the views registered above
