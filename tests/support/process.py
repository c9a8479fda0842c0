"""Start and stop a real server process for the tests, and report why it failed.

Every fixture server (Dovecot, Knot, Redis) runs in its own session and process group,
so a stop takes down its children too, and a failed start raises ``ServerStartError``
carrying the server's own log, which the fixtures turn into ``pytest.fail``.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Self


class Service:
    """A server a test starts on entering a `with` block and stops on leaving it."""

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


class ServerStartError(RuntimeError):
    """A test server did not come up; the message holds its log tail."""


class PortedService(Service):
    """A server on a free port picked at start: if another test's server takes that port
    before ours binds it, the start is tried again on a fresh one (three times in all)."""

    ATTEMPTS = 3
    _process: ManagedProcess | None
    startup_s: float

    def _launch(self) -> ManagedProcess:
        """Pick the port, write what the server needs, start it."""
        raise NotImplementedError

    def _ready(self) -> bool:
        """Wait until it answers (False: it did not in time, or it died)."""
        raise NotImplementedError

    def _log_text(self) -> str:
        raise NotImplementedError

    def _start_failure(self) -> str:
        """Why it did not start, with its log."""
        raise NotImplementedError

    def start(self) -> None:
        started = time.monotonic()
        try:
            for attempt in range(self.ATTEMPTS):
                self._process = self._launch()
                if self._ready():
                    self.startup_s = time.monotonic() - started
                    return
                self._process.stop()
                self._process = None
                if attempt < self.ATTEMPTS - 1 and "in use" in self._log_text():
                    continue
                raise ServerStartError(self._start_failure())
        except BaseException:
            self.stop()
            raise


def tail(path: Path, lines: int = 80) -> str:
    """The last ``lines`` lines of a log file, or a note that there is none."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        return f"(no log at {path}: {exc.strerror})"
    return "\n".join(text.splitlines()[-lines:]) or f"(log {path} is empty)"


class ManagedProcess:
    """A child process with stdout+stderr in a file, stopped with its whole group."""

    def __init__(self, argv: Sequence[str | os.PathLike[str]], output_path: Path) -> None:
        self.argv = [os.fspath(arg) for arg in argv]
        self.output_path = output_path
        with output_path.open("ab") as output:
            self.popen = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # own group: stop() can signal its children too
            )
        self.pid = self.popen.pid
        # A crashed test run must not leave servers behind.
        atexit.register(self.stop)

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self, timeout: float = 5.0) -> None:
        """SIGTERM the group, SIGKILL it if it lingers, and reap the process."""
        atexit.unregister(self.stop)
        if self.popen.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGTERM)
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            # The leader is not reaped yet, so its pid still names our group only.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGKILL)
            self.popen.wait()
