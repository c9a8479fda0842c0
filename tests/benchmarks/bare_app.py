"""Baselines for the throughput benchmarks.

- `create_bare_app()`: a bare Flask app answering a constant body: Flask's floor.
- `create_stack_app()`: our app (config from AUTOCONFIG_CONFIG) with one more endpoint that
  answers a constant body through the whole production stack (request id, limits, metrics,
  access log, security headers) and Flask: what the autoconfig view itself costs on top.
- `create_view_app()`: our app with the fast path unhooked, so Thunderbird's request goes
  through the Flask view: what the fast path saves.
"""

from __future__ import annotations

import os

from flask import Flask, Response

from autoconfig import create_app
from autoconfig.web.context import services
from autoconfig.web.limits import SETUP_BUCKET, SetupBucket
from tests.support.apps import without_fast_path

PATH = "/mail/config-v1.1.xml"
STACK_PATH = "/bench/constant.xml"


def _constant() -> Response:
    body = b"x" * int(os.environ.get("BARE_BODY_BYTES", "2000"))
    return Response(body, content_type="application/xml; charset=utf-8")


def create_bare_app() -> Flask:
    app = Flask(__name__)
    app.add_url_rule(PATH, "constant", _constant)
    return app


def create_stack_app() -> Flask:
    app = create_app()
    app.add_url_rule(STACK_PATH, "bench_constant", _constant)
    bucket: SetupBucket = app.extensions[SETUP_BUCKET]
    app.extensions[SETUP_BUCKET] = SetupBucket(
        services(app).config.limits.autoconfig_per_ip,
        bucket.endpoints | {"bench_constant"},
        app.extensions["autoconfig.limiter"],
    )
    return app


def create_view_app() -> Flask:
    return without_fast_path(create_app())
