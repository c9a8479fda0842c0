"""An outage must not take client setup down: Thunderbird autoconfig under wrk, idle and then
with 200 diagnoses in flight against a silent IMAP server, through the production settings
(deploy/gunicorn.conf.py: 5 workers x 16 threads, `max_concurrent = 0`: 8 diagnoses a worker,
the rest refused at once with 503). Targets: autoconfig p99 under 100 ms and throughput at
least 0.8 x the idle figure, both measured in the same run.

Run: .venv/bin/python -m tests.benchmarks.bench_outage
"""

from __future__ import annotations

import http.client
import json
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

from tests.benchmarks.harness import gunicorn, wrk
from tests.diagnostics_helpers import make, publish_example_zone, raw_config, server
from tests.support.ca import TestCA
from tests.support.dns import KnotServer
from tests.support.dovecot import ALICE, HEALTHY_HOSTNAME, HEALTHY_IP
from tests.support.procs import write_config
from tests.support.silent import SilentServer

IN_FLIGHT = 200
SECONDS = 5


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-outage-"))
    ca = TestCA(tmp / "ca")
    with KnotServer() as knot, SilentServer(HEALTHY_IP) as silent:
        servers = [server("imap", HEALTHY_HOSTNAME, silent.port, "tls"),
                   server("smtp", HEALTHY_HOSTNAME, silent.port, "tls")]
        raw = raw_config(servers, ca=ca, knot=knot, budget_s=12, connect_timeout_s=5)
        raw["limits"] = {"diagnostics_per_ip": "100000/minute", "diagnostics_per_account": "100000/hour",
                         "autoconfig_per_ip": "100000000/minute"}
        raw["reports"] = {"database_url": f"sqlite:///{tmp / 'reports.db'}"}
        publish_example_zone(knot, make(raw, tmp))
        config = write_config(raw, tmp / "autoconfig.toml")
        with gunicorn("autoconfig:create_app()", env={"AUTOCONFIG_CONFIG": str(config), "AUTOCONFIG_WORKERS": "5",
                                                      "AUTOCONFIG_THREADS": "16"}) as url:
            target = f"{url}/mail/config-v1.1.xml?emailaddress={ALICE.address}"
            probe = http.client.HTTPConnection(urlsplit(url).hostname, urlsplit(url).port, timeout=10)
            probe.request("GET", urlsplit(target).path + "?" + urlsplit(target).query)  # warm every path once
            assert probe.getresponse().status == 200
            probe.close()
            idle = wrk(target, seconds=SECONDS)
            statuses: Counter[int] = Counter()
            lock = threading.Lock()
            host = urlsplit(url)

            def diagnose() -> None:
                connection = http.client.HTTPConnection(host.hostname, host.port, timeout=60)
                try:
                    body = json.dumps({"email": ALICE.address, "protocols": ["imap"]})
                    connection.request("POST", "/api/v1/diagnostics", body=body,
                                       headers={"Content-Type": "application/json"})
                    status = connection.getresponse().status
                except OSError:
                    status = 0
                finally:
                    connection.close()
                with lock:
                    statuses[status] += 1

            # 200 customers press "check" at once; each waits for its answer (up to budget_s).
            threads = [threading.Thread(target=diagnose, daemon=True) for _ in range(IN_FLIGHT)]
            for thread in threads:
                thread.start()
            time.sleep(1)
            busy = wrk(target, seconds=SECONDS)  # within the 12 s the admitted diagnoses last
            for thread in threads:
                thread.join(30)
    print(f"idle autoconfig req/s {idle.requests_per_s:.0f} p99 {idle.p99_ms:.2f} ms errors {idle.errors}")
    print(f"with {IN_FLIGHT} diagnoses in flight: autoconfig req/s {busy.requests_per_s:.0f} p99 {busy.p99_ms:.2f} ms "
          f"errors {busy.errors}")
    print(f"diagnoses answered: {dict(statuses)} (200: ran to the end of budget_s, 503: refused at once)")
    print(f"ratio busy / idle throughput (target >= 0.8) {busy.requests_per_s / idle.requests_per_s:.2f}")
    print(f"p99 under the outage (target < 100 ms) {busy.p99_ms:.2f} ms")


if __name__ == "__main__":
    main()
