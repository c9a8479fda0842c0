"""gunicorn settings for autoconfig in production.

    AUTOCONFIG_CONFIG=/etc/autoconfig/autoconfig.toml \\
        gunicorn -c deploy/gunicorn.conf.py 'autoconfig:create_app()'

A diagnosis waits on other people's servers for up to `[diagnostics] budget_s`, so the
workers are threaded (gthread): a slow diagnosis holds one thread, not a whole process,
and the autoconfig answers keep flowing beside it. Timeouts are derived from budget_s.

Environment (all optional):
  AUTOCONFIG_BIND       where to listen (127.0.0.1:8000; nginx proxies to it)
  AUTOCONFIG_WORKERS    processes (2 x CPUs + 1, at most 8)
  AUTOCONFIG_THREADS    threads per process (16)
  AUTOCONFIG_LOG_LEVEL  debug, info, warning, error (info)
  PROMETHEUS_MULTIPROC_DIR  where workers keep their metrics so /metrics sums them all
                        (a private temporary directory when unset)
Command-line options (--bind, --workers, …) override these.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from autoconfig.config import config_path_from_env, load_config
from autoconfig.logs import logging_config

# Read and validate the configuration now: a broken file stops the master with its
# messages instead of crash-looping every worker.
_config = load_config(config_path_from_env())
_budget_s = _config.diagnostics.budget_s

wsgi_app = "autoconfig:create_app()"
bind = [os.environ.get("AUTOCONFIG_BIND", "127.0.0.1:8000")]
worker_class = "gthread"
workers = int(os.environ.get("AUTOCONFIG_WORKERS", min(2 * (os.cpu_count() or 1) + 1, 8)))
threads = int(os.environ.get("AUTOCONFIG_THREADS", "16"))
# A worker silent this long is killed: well above the longest diagnosis.
timeout = int(2 * _budget_s + 30)
# On reload or stop, running diagnoses may finish.
graceful_timeout = int(_budget_s + 10)
keepalive = 5
# Recycle workers now and then so no leak can grow without bound.
max_requests = 20000
max_requests_jitter = 2000
# Request line and headers: generous for Outlook, tight for abuse. Bodies are capped by the app.
limit_request_line = 4094
limit_request_fields = 64
limit_request_field_size = 8190
# Headers a front may set for the app (SCRIPT_NAME, PATH_INFO, X-Forwarded-Proto…) count only
# from a front we were told about: gunicorn's defaults trust them from 127.0.0.1, and a local
# client's SCRIPT_NAME then rewrote the page's script and form URLs. nginx (deploy/nginx/) sets
# none of the forwarder headers; with [service] trusted_proxies it connects from this host.
forwarder_headers = ""
forwarded_allow_ips = "127.0.0.1,::1" if _config.service.trusted_proxies else ""
# The heartbeat file on tmpfs, not on a (possibly slow) disk; gunicorn makes it private.
_SHM = Path("/dev/shm")  # noqa: S108
worker_tmp_dir = str(_SHM) if _SHM.is_dir() else None
# The app writes its own access log (JSON, with the request id and endpoint).
accesslog = None
errorlog = "-"
loglevel = os.environ.get("AUTOCONFIG_LOG_LEVEL", "info").lower()
logconfig_dict = logging_config(loglevel.upper())
proc_name = "autoconfig"
_OWN_METRICS_PREFIX = "autoconfig-metrics-"


def on_starting(server: Any) -> None:
    """Give the workers a metrics directory, empty: counters of a previous run must not be
    added to this one's. Set here, before any worker imports prometheus_client (it reads
    PROMETHEUS_MULTIPROC_DIR once, at import)."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix=_OWN_METRICS_PREFIX)
    metrics_dir = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    metrics_dir.mkdir(parents=True, exist_ok=True)
    for stale in metrics_dir.glob("*.db"):
        stale.unlink()


def when_ready(server: Any) -> None:
    log = logging.getLogger("gunicorn.error")
    storage = _config.limits.storage_uri
    if storage.startswith("memory://") and server.cfg.workers > 1:
        log.warning(
            "rate limits count per worker with storage_uri memory:// and %d workers: each limit is "
            "effectively %d times looser; use redis:// (docs/admin-guide.md)",
            server.cfg.workers, server.cfg.workers,
        )
    log.info(
        "autoconfig ready: %d worker(s) x %d thread(s), timeout %ss, budget_s %s",
        server.cfg.workers, server.cfg.threads, server.cfg.timeout, _budget_s,
    )


def post_fork(server: Any, worker: Any) -> None:
    """Tell the app its thread count (command-line --threads included): `[diagnostics]
    max_concurrent = 0` caps the diagnoses running at once at half of it."""
    os.environ["AUTOCONFIG_THREADS"] = str(worker.cfg.threads)


def child_exit(server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server: Any) -> None:
    metrics_dir = Path(os.environ.get("PROMETHEUS_MULTIPROC_DIR", ""))
    if metrics_dir.name.startswith(_OWN_METRICS_PREFIX) and metrics_dir.parent == Path(tempfile.gettempdir()):
        shutil.rmtree(metrics_dir, ignore_errors=True)
