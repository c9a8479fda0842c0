"""Variants of the app that tests and benchmarks compare the real one with."""

from __future__ import annotations

from flask import Flask

from autoconfig.web.fastpath import ClientFastPath


def without_fast_path(app: Flask) -> Flask:
    """The same app with the fast path unhooked: every request reaches the Flask view."""
    layer = app.wsgi_app
    while not isinstance(getattr(layer, "app", None), ClientFastPath):
        layer = layer.app  # type: ignore[attr-defined]
    layer.app = layer.app.app  # type: ignore[attr-defined]
    return app
