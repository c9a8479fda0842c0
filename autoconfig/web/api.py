"""The JSON API under /api/v1."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from ..schemas.settings import SettingsSchema
from .context import settings_for

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.get("/settings")
def settings() -> Response:
    resolved = settings_for(request.args.get("email"))
    return jsonify(SettingsSchema().dump(resolved))
