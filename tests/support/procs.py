"""The service as operations runs it: gunicorn with deploy/gunicorn.conf.py, as a child process.

``ServiceProcess`` writes nothing itself: give it a config file (``write_config`` turns a
raw dict like ``tests.conftest.base_raw()`` into TOML). It binds a free loopback port, waits
until /healthz answers and stops the whole process group on exit. Used by the deployment,
limit and end-to-end tests and by the benchmarks::

    with ServiceProcess(config_path, workers=2) as service:
        status, headers, body = service.get("/healthz")
"""

from __future__ import annotations

import http.client
import shutil
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import tomli_w

from tests.support.ports import free_ports
from tests.support.process import ManagedProcess, PortedService, tail

REPO = Path(__file__).resolve().parents[2]
GUNICORN_CONF = REPO / "deploy" / "gunicorn.conf.py"
APP = "autoconfig:create_app()"
START_TIMEOUT_S = 30.0


def write_config(raw: Mapping[str, Any], path: Path) -> Path:
    """Write a raw configuration dict as the TOML file the service reads."""
    path.write_text(tomli_w.dumps(dict(raw)), encoding="utf-8")
    return path


class ServiceProcess(PortedService):
    """``gunicorn -c deploy/gunicorn.conf.py 'autoconfig:create_app()'`` on 127.0.0.1:<free port>."""

    def __init__(
        self,
        config_path: Path | None,
        *,
        workers: int = 1,
        threads: int = 4,
        env: Mapping[str, str] | None = None,
        args: tuple[str, ...] = (),
        host: str = "127.0.0.1",
        log_level: str = "info",
    ) -> None:
        self.config_path = config_path
        self.workers = workers
        self.threads = threads
        self.extra_env = dict(env or {})
        self.extra_args = args
        self.host = host
        self.log_level = log_level
        self.port = 0
        self.startup_s = 0.0
        self.dir = Path(tempfile.mkdtemp(prefix="autoconfig-gunicorn-"))
        self.log_path = self.dir / "gunicorn.log"
        self.metrics_dir = self.dir / "metrics"
        self._process: ManagedProcess | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def __repr__(self) -> str:
        return f"ServiceProcess({self.url}, workers={self.workers})"

    def argv(self) -> list[str]:
        """The command line; environment variables go first through env(1) so the pid is gunicorn's."""
        environment = {
            "PROMETHEUS_MULTIPROC_DIR": str(self.metrics_dir),
            "AUTOCONFIG_LOG_LEVEL": self.log_level,
            **self.extra_env,
        }
        if self.config_path is not None:
            environment["AUTOCONFIG_CONFIG"] = str(self.config_path)
        return [
            "/usr/bin/env", *(f"{k}={v}" for k, v in environment.items()),
            sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONF),
            "--bind", f"{self.host}:{self.port}",
            "--workers", str(self.workers), "--threads", str(self.threads),
            *self.extra_args, APP,
        ]

    def _launch(self) -> ManagedProcess:
        self.port = free_ports(1, (self.host,))[0]
        return ManagedProcess(self.argv(), self.log_path)

    def _ready(self) -> bool:
        return self._wait_ready()

    def _log_text(self) -> str:
        return tail(self.log_path)

    def _start_failure(self) -> str:
        return (
            f"gunicorn did not answer /healthz on {self.url} within {START_TIMEOUT_S:.0f}s."
            f"\n--- {self.log_path} ---\n{tail(self.log_path)}"
        )

    def _wait_ready(self) -> bool:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline and self._process is not None and self._process.alive():
            try:
                status, _, _ = self.request("GET", "/healthz", timeout=1.0)
            except OSError:
                time.sleep(0.05)
                continue
            if status == 200:
                return True
            time.sleep(0.05)
        return False

    def alive(self) -> bool:
        return self._process is not None and self._process.alive()

    @property
    def pid(self) -> int:
        assert self._process is not None, "not started"
        return self._process.pid

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    def log_once_written(self, text: str, timeout_s: float = 5.0) -> str:
        """The log as soon as it holds `text`, or as it is after `timeout_s`.

        A request's access line is written when gunicorn closes the body, which may be just
        after the client has read the answer.
        """
        deadline = time.monotonic() + timeout_s
        while text not in (log := self.log()) and time.monotonic() < deadline:
            time.sleep(0.02)
        return log

    def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float = 30.0,
    ) -> tuple[int, http.client.HTTPMessage, bytes]:
        """One request on a fresh connection: (status, headers, body)."""
        connection = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            connection.request(method, path, body=body, headers=dict(headers or {}))
            response = connection.getresponse()
            return response.status, response.headers, response.read()
        finally:
            connection.close()

    def get(self, path: str, headers: Mapping[str, str] | None = None) -> tuple[int, http.client.HTTPMessage, bytes]:
        return self.request("GET", path, headers=headers)

    def stop(self) -> None:
        if self._process is not None:
            self._process.stop(timeout=15.0)
            self._process = None
        shutil.rmtree(self.dir, ignore_errors=True)

