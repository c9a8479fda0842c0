"""The helpdesk console's front page lists the watch's incidents and maintenance (open ones
first, closed ones kept as history), to signed-in staff only."""

from __future__ import annotations

import datetime as dt

from autoconfig.watch.incidents import EndpointState, Opening
from autoconfig.watch.store import WatchStore
from autoconfig.web.context import services
from tests.test_helpdesk import AppFactory, make_app, sign_in, text

__all__ = ["make_app"]  # the fixture, shared with the console's own tests


def test_the_console_lists_incidents_open_first_and_keeps_the_closed_ones(make_app: AppFactory) -> None:
    # Given an incident that closed, one still open and planned maintenance
    app = make_app()
    store = WatchStore(services(app).database.ready())
    start = dt.datetime(2026, 12, 3, 8, 0, tzinfo=dt.UTC)
    down = EndpointState("mail.example.com", 995, "ipv4", "pop3", False, "net.refused", start)
    store.record_round("w", start, start, [down], [Opening("mail.example.com", 995, "net.refused", start)], [])
    store.record_round("w", start, start + dt.timedelta(minutes=9), [], [], [("mail.example.com", 995)])
    later = start + dt.timedelta(minutes=30)
    store.record_round("w", later, later, [], [Opening("mail.example.com", 993, "tls.expired", later)], [])
    store.add_maintenance("smtp.example.com", dt.datetime(2099, 1, 1, 10, 0, tzinfo=dt.UTC))
    client = app.test_client()
    # Then nobody signed out sees it
    assert "tls.expired" not in client.get("/helpdesk/", follow_redirects=True).get_data(as_text=True)
    # When staff sign in
    sign_in(client)
    page = text(client.get("/helpdesk/?lang=en"))
    # Then the open incident and the maintenance come before the closed one, with their times
    assert "Our servers: incidents and maintenance" in page
    assert page.index("mail.example.com:993 tls.expired 2026-12-03 08:30 open") < page.index(
        "mail.example.com:995 net.refused 2026-12-03 08:00 2026-12-03 08:09")
    assert "smtp.example.com planned maintenance" in page and "until 2099-01-01 10:00" in page
