"""GET /api/v1/status (public): our servers, whether each works, and the incidents and
planned maintenance in force, as the watch last wrote them to the database.

Without `email` it lists the servers the configuration names literally; a host built
from %EMAILDOMAIN% stands for customers' domains, so it is shown only to an address it
serves (`?email=`). The page's banner reads the same answer for the typed address.
"""

from __future__ import annotations

from flask import Blueprint, Flask, Response, current_app, jsonify, request

from ..db import DatabaseError
from ..i18n import current_language
from ..model import Config, Protocol
from ..schemas.status import StatusSchema
from ..watch.notices import describe_notice, touching
from ..watch.store import HistoryEntry, Snapshot, WatchStore
from ..watch.view import WatchView
from .context import services, settings_for
from .limits import SETUP, limited

bp = Blueprint("status", __name__, url_prefix="/api/v1")
EXTENSION = "autoconfig.watch"

Service = tuple[Protocol, str, int]


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = WatchView(services(app).database)
    app.register_blueprint(bp)
    app.add_template_global(watch_history)  # the helpdesk console's list (templates/helpdesk/_watch.html)


def watch_history() -> tuple[HistoryEntry, ...]:
    """Incidents and maintenance, open ones first, then newest first (staff pages only)."""
    try:
        entries = WatchStore(services().database.ready()).history(limit=100)
    except DatabaseError:
        return ()
    return tuple(sorted(entries, key=lambda h: h.closed_at is not None))


def watch_view(app: Flask | None = None) -> WatchView:
    return (app or current_app).extensions[EXTENSION]  # type: ignore[no-any-return]


def _configured(config: Config) -> list[Service]:
    found: dict[Service, None] = {}
    for provider in config.providers:
        for server in provider.servers:
            if not server.hostname_is_templated:
                found[(server.protocol, server.hostname.lower(), server.port)] = None
    return list(found)


def status_document(snapshot: Snapshot, services_: list[Service], lang: str) -> dict[str, object]:
    """The answer for these services (pure): each one's state, the notices touching them."""
    failing = {(s.host, s.port) for s in snapshot.endpoints if not s.ok}
    checked = {(s.host, s.port) for s in snapshot.endpoints}
    rows = [
        {"protocol": str(protocol), "host": host, "port": port,
         "ok": None if (host, port) not in checked else (host, port) not in failing}
        for protocol, host, port in services_
    ]
    notices = touching(WatchView.effective(snapshot), [(host, port) for _p, host, port in services_])
    return StatusSchema().dump({
        "checked_at": snapshot.last_round_at,
        "services": rows,
        "incidents": [describe_notice(n, lang) for n in notices],
    })


@bp.get("/status")
@limited(SETUP)
def status() -> Response:
    email = request.args.get("email")
    if email is not None:
        settings = settings_for(email)
        wanted = list(dict.fromkeys((s.protocol, s.hostname.lower(), s.port) for s in settings.servers))
    else:
        wanted = _configured(services().config)
    response = jsonify(status_document(watch_view().snapshot(), wanted, current_language()))
    response.cache_control.no_store = True
    return response
