"""A real nginx (Debian's) on loopback, serving the sites a test writes.

``NginxServer(sites)`` runs ``nginx -p DIR -c DIR/nginx.conf -g 'daemon off;'`` with its own
prefix, logs, pid and temp paths, on two free ports picked at start: one for HTTPS, one for
plain HTTP. ``sites`` is the text of the ``server`` blocks; ``@HTTPS@`` and ``@HTTP@`` stand
for the two ports (nginx's own syntax uses braces and dollars). Extra loopback addresses
(``127.0.0.4``…) may be listened on with the same ports.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from tests.support.ports import accepts, free_ports
from tests.support.process import ManagedProcess, PortedService, tail

NGINX = "/usr/sbin/nginx"
START_TIMEOUT_S = 10.0


class NginxServer(PortedService):
    def __init__(self, sites: str, hosts: tuple[str, ...] = ("127.0.0.1",)) -> None:
        self.sites = sites
        self.hosts = hosts
        self.https_port = 0
        self.http_port = 0
        self.startup_s = 0.0
        self.dir = Path(tempfile.mkdtemp(prefix="nginx-"))
        self.dir.chmod(0o755)  # workers (nobody when started as root) read below it
        self.error_log = self.dir / "error.log"
        self.output_path = self.dir / "nginx.stdout"
        self.config_path = self.dir / "nginx.conf"
        self._process: ManagedProcess | None = None

    @property
    def ports(self) -> dict[str, int]:
        """The port map discovery uses instead of 443 and 80."""
        return {"https": self.https_port, "http": self.http_port}

    def __repr__(self) -> str:
        return f"NginxServer(https={self.https_port}, http={self.http_port})"

    def _launch(self) -> ManagedProcess:
        self.https_port, self.http_port = free_ports(2, self.hosts)
        for sub in ("tmp", "logs"):
            (self.dir / sub).mkdir(exist_ok=True)
        user = "user root root;\n" if os.geteuid() == 0 else ""
        sites = self.sites.replace("@HTTPS@", str(self.https_port)).replace("@HTTP@", str(self.http_port))
        tmp = self.dir / "tmp"
        self.config_path.write_text(
            f"""# Written by tests/support/nginx.py
{user}worker_processes 1;
pid {self.dir / "nginx.pid"};
error_log {self.error_log} info;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    server_names_hash_bucket_size 128;
    default_type application/octet-stream;
{sites}
}}
""",
            encoding="utf-8",
        )
        return ManagedProcess(
            [NGINX, "-p", self.dir, "-c", self.config_path, "-g", "daemon off;"], self.output_path
        )

    def _ready(self) -> bool:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._process is None or not self._process.alive():
                return False
            if all(accepts(self.hosts[0], port, 0.2) for port in (self.https_port, self.http_port)):
                return True
            time.sleep(0.05)
        return False

    def _log_text(self) -> str:
        return f"{tail(self.error_log)}\n{tail(self.output_path)}"

    def _start_failure(self) -> str:
        check = subprocess.run([NGINX, "-t", "-p", str(self.dir), "-c", str(self.config_path)],
                               capture_output=True, text=True, check=False)
        return (f"nginx did not listen on {self.hosts[0]}:{self.https_port}/{self.http_port} within "
                f"{START_TIMEOUT_S:.0f}s.\n{check.stderr}\n{self._log_text()}")

    def stop(self) -> None:
        if self._process is not None:
            self._process.stop()
            self._process = None
        shutil.rmtree(self.dir, ignore_errors=True)
