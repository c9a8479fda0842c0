"""Thin Flask views around the pure formats, probes and advice."""

from __future__ import annotations

from flask import Flask

from .context import MAX_BODY, services


def init_app(app: Flask) -> None:
    from .. import i18n
    from . import (
        advice,
        api,
        apple,
        clients,
        dav,
        diagnostics,
        discovery,
        dns,
        errors,
        helpdesk,
        helpdesk_api,
        jsonbody,
        limits,
        observability,
        ops,
        outlook,
        pages,
        qr,
        reports,
        security,
        slots,
        staffauth,
        status,
    )

    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY
    # No redirect for `//mail//config-v1.1.xml`: werkzeug's would name the host the client's
    # Host header chose. Such a path is a 404, like any other we do not serve.
    app.url_map.merge_slashes = False
    jsonbody.init_app(app)  # unsorted keys, and a depth bound on request bodies
    observability.init_app(app)  # first: every later hook knows the endpoint
    ops.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    i18n.init_app(app)
    app.register_blueprint(clients.bp)
    app.register_blueprint(dav.bp)
    app.register_blueprint(qr.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(outlook.bp)
    app.register_blueprint(apple.bp)
    app.register_blueprint(dns.bp)
    app.register_blueprint(advice.bp)
    app.register_blueprint(pages.bp)
    reports.init_app(app)
    staffauth.init_app(app)
    helpdesk.init_app(app)
    helpdesk_api.init_app(app)
    status.init_app(app)  # before diagnostics: they read the watch's incidents
    slots.init_app(app)  # diagnoses and discoveries share them
    diagnostics.init_app(app)
    discovery.init_app(app)
    limits.init_app(app)  # after the blueprints: attaches limits to their views
    _wrap_middleware(app)


def _wrap_middleware(app: Flask) -> None:
    """The WSGI layers around Flask, innermost first; each request crosses them in reverse.

    ProxyFix (outermost, when proxies are trusted) gives the others the client's address;
    the security headers and the request observer (request id, metrics, access log) see
    every answer, including those of the fast path, which answers the most frequent client
    request without Flask.
    """
    from . import fastpath, observability, security

    app.wsgi_app = fastpath.ClientFastPath(app.wsgi_app, app)  # type: ignore[method-assign]
    app.wsgi_app = observability.RequestObserver(app.wsgi_app, observability.metrics(app))  # type: ignore[method-assign]
    app.wsgi_app = security.SecurityHeaders(app.wsgi_app)  # type: ignore[method-assign]
    security.trust_proxies(app, services(app).config.service.trusted_proxies)
