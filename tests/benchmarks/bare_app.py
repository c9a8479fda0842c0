"""The baseline: a bare Flask app answering a constant body of a given size, nothing else."""

from __future__ import annotations

import os

from flask import Flask, Response


def create_bare_app() -> Flask:
    body = b"x" * int(os.environ.get("BARE_BODY_BYTES", "2000"))
    app = Flask(__name__)

    @app.get("/mail/config-v1.1.xml")
    def constant() -> Response:
        return Response(body, content_type="application/xml; charset=utf-8")

    return app
