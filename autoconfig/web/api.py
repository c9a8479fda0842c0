"""The JSON API under /api/v1."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from ..schemas.settings import settings_json
from .context import services, settings_for
from .limits import SETUP, limited

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.get("/settings")
@limited(SETUP)
def settings() -> Response:
    resolved = settings_for(request.args.get("email"))
    return jsonify(settings_json(resolved, services().config.service))
