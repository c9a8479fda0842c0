"""The JSON API under /api/v1."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from ..schemas.settings import SettingsSchema
from ..settings import settings_for_address
from . import services

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.get("/settings")
def settings() -> Response:
    resolved = settings_for_address(services().directory, request.args.get("email"))
    return jsonify(SettingsSchema().dump(resolved))
