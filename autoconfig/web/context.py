"""What a view needs from the app it runs in: its Services, the address lookup through them, the body cap.

One small module the blueprints and middleware import, so that none of them reaches into the
package's `__init__` (which only wires the app together).
"""

from __future__ import annotations

from flask import Flask, current_app

from ..directory import Admit
from ..lookup import settings_for_address
from ..model import Settings
from ..services import Services

EXTENSION = "autoconfig"
# Where limits.init_app leaves the per-address check for lookups that must ask DNS.
ADMIT_LOOKUP = "autoconfig.admit_lookup"
MAX_BODY = 64 * 1024  # bytes a client may send us; more is a 413


def install(app: Flask, app_services: Services) -> None:
    """Hand the app its collaborators (create_app does this once)."""
    app.extensions[EXTENSION] = app_services


def services(app: Flask | None = None) -> Services:
    """The collaborators of `app`, or of the app handling the current request."""
    return (app or current_app).extensions[EXTENSION]  # type: ignore[no-any-return]


def admit_lookup() -> Admit | None:
    """The check a lookup that must ask DNS passes first (the per-address limit), if any."""
    found: Admit | None = current_app.extensions.get(ADMIT_LOOKUP)
    return found


def settings_for(raw: str | None) -> Settings:
    """The settings for a typed address, through this app's directory and memo."""
    app_services = services()
    return settings_for_address(app_services.directory, raw, app_services.memo, admit_lookup())
