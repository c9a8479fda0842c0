"""A real authoritative DNS server (Knot DNS) on loopback for the DNS checks.

``KnotServer`` runs Debian's ``knotd`` with its own config, rundir, database and zone
files in a temp dir, on 127.0.0.1 at a free UDP+TCP port. Tests write zones with
``set_zone``; it returns only once Knot answers with the new content, so a test never
races a reload.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import textwrap
import threading
import time
from collections.abc import Callable
from pathlib import Path

import dns.exception
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype

from tests.support.ports import accepts, free_ports
from tests.support.process import ManagedProcess, PortedService, tail

KNOTD = "/usr/sbin/knotd"
KNOTC = "/usr/sbin/knotc"
START_TIMEOUT_S = 10.0
RELOAD_TIMEOUT_S = 10.0


def _origin(origin: str) -> str:
    """Canonical zone name without the trailing dot (IDN → A-labels)."""
    return dns.name.from_text(origin).to_text(omit_final_dot=True).lower()


class KnotServer(PortedService):
    """Knot DNS serving the zones given to ``set_zone``; a context manager.

    ``nameserver`` is ``"127.0.0.1:PORT"``, the form of our config's ``[dns] nameservers``.
    """

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = 0
        self.startup_s = 0.0
        self.dir = Path(tempfile.mkdtemp(prefix="knot-"))
        self.zones_dir = self.dir / "zones"
        self.log_path = self.dir / "knot.log"
        self.output_path = self.dir / "knotd.stdout"
        self.config_path = self.dir / "knot.conf"
        self.socket_path = self.dir / "run" / "knot.sock"
        self._zones: set[str] = set()
        self._serial = int(time.time())
        self._lock = threading.Lock()
        self._log_mark = 0
        self._process: ManagedProcess | None = None

    @property
    def nameserver(self) -> str:
        return f"{self.host}:{self.port}"

    def __repr__(self) -> str:
        return f"KnotServer({self.nameserver}, zones={sorted(self._zones)})"

    # -- lifecycle -------------------------------------------------------------------

    def _launch(self) -> ManagedProcess:
        for sub in ("run", "db", "zones"):
            (self.dir / sub).mkdir(exist_ok=True)
        self.port = free_ports(1, (self.host,), udp=True)[0]
        self._write_config()
        return ManagedProcess([KNOTD, "-c", self.config_path], self.output_path)

    def _ready(self) -> bool:
        return self._wait_answering(time.monotonic() + START_TIMEOUT_S)

    def _log_text(self) -> str:
        return self._logs()

    def _start_failure(self) -> str:
        return f"knotd did not answer on {self.nameserver} within {START_TIMEOUT_S:.0f}s.\n{self._logs()}"

    def stop(self) -> None:
        if self._process is not None:
            self._process.stop()
            self._process = None
        shutil.rmtree(self.dir, ignore_errors=True)

    def _logs(self) -> str:
        return f"--- {self.log_path} ---\n{tail(self.log_path)}\n--- {self.output_path} ---\n{tail(self.output_path)}"

    def _query(self, name: str, rdtype: str, timeout: float = 1.0) -> dns.message.Message:
        query = dns.message.make_query(name, rdtype)
        return dns.query.udp(query, self.host, port=self.port, timeout=timeout)

    def _wait_answering(self, deadline: float) -> bool:
        while time.monotonic() < deadline:
            if self._process is None or not self._process.alive():
                return False
            if not accepts(self.host, self.port, timeout=0.2):  # refused at once until bound
                time.sleep(0.02)
                continue
            try:
                self._query("invalid.", "SOA", timeout=0.2)  # REFUSED is an answer too
                return True
            except (dns.exception.Timeout, OSError):
                time.sleep(0.05)
        return False

    def _write_config(self) -> None:
        zones = "".join(f"  - domain: {zone}\n" for zone in sorted(self._zones))
        self.config_path.write_text(
            f"""# Written by tests/support/dns.py
server:
    rundir: "{self.dir / "run"}"
    listen: {self.host}@{self.port}
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1

control:
    listen: "{self.socket_path}"

database:
    storage: "{self.dir / "db"}"

log:
  - target: "{self.log_path}"
    any: info

template:
  - id: default
    storage: "{self.zones_dir}"
    file: "%s.zone"
    semantic-checks: off
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
"""
            + (f"\nzone:\n{zones}" if zones else ""),
            encoding="utf-8",
        )

    def _knotc(self, *args: str) -> None:
        result = subprocess.run(
            [KNOTC, "-s", str(self.socket_path), "-t", "5", *args],
            capture_output=True,
            text=True,
            timeout=15,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"knotc {' '.join(args)} failed ({result.returncode}): {result.stdout}{result.stderr}\n{self._logs()}"
            )

    # -- zones -------------------------------------------------------------------------

    def set_zone(self, origin: str, records: str) -> None:
        """Serve ``records`` (zone-file lines relative to ``origin``) as the whole zone.

        The text is dedented, so an indented triple-quoted block works; a line that
        starts with blanks after that continues the previous owner, as in any zone file.

        SOA and NS are added; a previous version of the zone is replaced. Returns once
        Knot answers the new SOA serial, or raises with Knot's log.
        """
        zone = _origin(origin)
        with self._lock:
            self._serial += 1
            serial = self._serial
            text = (
                f"$ORIGIN {zone}.\n$TTL 60\n"
                f"@ IN SOA ns.invalid. hostmaster.invalid. {serial} 3600 600 86400 60\n"
                f"@ IN NS ns.invalid.\n"
                f"{textwrap.dedent(records).strip()}\n"
            )
            (self.zones_dir / f"{zone}.zone").write_text(text, encoding="utf-8")
            self._log_mark = self._log_size()
            if zone in self._zones:
                self._knotc("zone-reload", f"{zone}.")
            else:
                self._zones.add(zone)
                self._write_config()
                self._knotc("reload")
            self._wait_serial(zone, serial)

    def remove_zone(self, origin: str) -> None:
        """Stop serving a zone; returns once Knot refuses queries for it."""
        zone = _origin(origin)
        with self._lock:
            if zone not in self._zones:
                return
            self._zones.discard(zone)
            self._log_mark = self._log_size()
            self._write_config()
            self._knotc("reload")
            self._wait_for(zone, lambda r: r.rcode() == dns.rcode.REFUSED, "REFUSED")
            (self.zones_dir / f"{zone}.zone").unlink(missing_ok=True)

    def _log_size(self) -> int:
        try:
            return self.log_path.stat().st_size
        except OSError:
            return 0

    def _load_error(self, zone: str) -> str | None:
        """Knot's error lines about ``zone`` logged since the last change, if any."""
        try:
            with self.log_path.open("rb") as log:
                log.seek(self._log_mark)
                new = log.read().decode("utf-8", "replace")
        except OSError:
            return None
        errors = [ln for ln in new.splitlines() if f"[{zone}.]" in ln and " error: " in ln]
        return "\n".join(errors) or None

    def _wait_serial(self, zone: str, serial: int) -> None:
        def has_serial(response: dns.message.Message) -> bool:
            return response.rcode() == dns.rcode.NOERROR and any(
                rrset.rdtype == dns.rdatatype.SOA and rrset[0].serial == serial for rrset in response.answer
            )

        self._wait_for(zone, has_serial, f"SOA serial {serial}")

    def _wait_for(self, zone: str, done: Callable[[dns.message.Message], bool], what: str) -> None:
        deadline = time.monotonic() + RELOAD_TIMEOUT_S
        last = "no answer"
        while time.monotonic() < deadline:
            try:
                response = self._query(f"{zone}.", "SOA", timeout=0.5)
            except (dns.exception.Timeout, OSError) as exc:
                last = repr(exc)
            else:
                if done(response):
                    return
                last = response.to_text()
            if error := self._load_error(zone):
                raise RuntimeError(f"knot could not load zone {zone}:\n{error}")
            time.sleep(0.05)
        raise RuntimeError(
            f"knot did not serve {zone} with {what} within {RELOAD_TIMEOUT_S:.0f}s "
            f"(last: {last}); the zone file may be invalid.\n{self._logs()}"
        )
