"""The TLS check's side connections (to describe a failed certificate, a weak server, the
other address family) close their sockets however the server ends them: a socket left to
the garbage collector is a file descriptor held for a while, and a ResourceWarning that
the test run turns into a failure at some random later moment."""

from __future__ import annotations

import gc
import warnings
from collections.abc import Callable
from pathlib import Path

from autoconfig import create_app
from tests.diagnostics_helpers import make, raw_config, server
from tests.support.ca import TestCA
from tests.support.dns import KnotServer
from tests.support.drop_after_tls import DropAfterTlsImapServer

HOST = "imap.dropping.test"


def test_a_server_that_hangs_up_inside_starttls_leaves_no_socket_open(
    test_ca: TestCA, dns_server: KnotServer, dns_zones: Callable[[str, str], None], tmp_path: Path
) -> None:
    # Given a STARTTLS server with an expired certificate that hangs up after a good handshake
    dns_zones("dropping.test", "imap A 127.0.0.1\n")
    with DropAfterTlsImapServer(test_ca.expired([HOST])) as stub:
        raw = raw_config([server("imap", HOST, stub.port, "starttls"), server("smtp", HOST, 1, "tls")],
                         ca=test_ca, knot=dns_server, domains=["example.test"])
        client = create_app(make(raw, tmp_path)).test_client()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ResourceWarning)
            # When the diagnosis checks it (the side connection that reads the certificate is dropped)
            report = client.post("/api/v1/diagnostics", json={"email": "alice@example.test",
                                                                "protocols": ["imap"]}).json
            gc.collect()
        dropped = stub.dropped
    # Then the expiry is reported, the side connection did happen, and no socket was left open
    assert report is not None
    tls = next(c for c in report["checks"] if c["kind"] == "tls")
    assert tls["code"] == "tls.expired", tls
    assert dropped >= 1
    assert [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)] == []
