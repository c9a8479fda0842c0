"""Every benchmark of the project in one run, and docs/performance.md written from it.

Run: .venv/bin/python -m tests.benchmarks.run_all [--only bench_autoconfig ...] [--load-seconds 60]

Runs each tests/benchmarks/bench_*.py and the load test (load_autoconfig.py) as its own
process, exactly as its docstring says to run it, keeps what it prints, then measures the
memory of gunicorn's workers after a warm-up. The page has the headline figures (each with
the command that produced it), every ratio against a baseline, each benchmark's whole
output, and the machine. A benchmark that fails, or whose figure cannot be found in its
output, is shown as failed or missing on the page, never left out; the exit status is 1
then. Loopback only: the benchmarks start their own servers on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import datetime as dt
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .harness import REPO, demo_config, gunicorn

HERE = Path(__file__).resolve().parent
OUT = REPO / "docs" / "performance.md"
LOAD = "load_autoconfig"
MEMORY_WARMUP_S = 10
TAIL_LINES = 25


@dataclass
class Run:
    """One benchmark's run: its command, how it ended, and what it printed."""

    name: str
    command: list[str]
    about: str = ""
    returncode: int | None = None
    seconds: float = 0.0
    stdout: str = ""
    stderr: str = ""
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    @property
    def shown_command(self) -> str:
        return " ".join([".venv/bin/python", *self.command[1:]])


@dataclass(frozen=True)
class Figure:
    """A headline figure: which run prints it, and the pattern that finds it there."""

    label: str
    run: str
    pattern: str
    unit: str = ""
    target: str = ""


FIGURES = (
    Figure("Thunderbird autoconfig, req/s", "bench_autoconfig", r"^autoconfig req/s\s+([\d.]+)"),
    Figure("bare Flask app (baseline), req/s", "bench_autoconfig", r"^bare Flask app req/s\s+([\d.]+)"),
    Figure("autoconfig / bare Flask ratio", "bench_autoconfig", r"^ratio \(target >= 0\.8\)\s+([\d.]+)",
           target="≥ 0.8"),
    Figure("autoconfig p99 latency", "bench_autoconfig", r"^autoconfig req/s.*p99\s+([\d.]+) ms", "ms"),
    Figure("mixed client endpoints at 64 connections, req/s", LOAD, r"^req/s\s+([\d.]+)"),
    Figure("mixed client endpoints, p99 latency", LOAD, r"^latency p99 \s+([\d.]+) ms", "ms"),
    Figure("mixed client endpoints, errors", LOAD, r"^errors\s+(\d+)", target="0"),
    Figure("mixed client endpoints, non-2xx answers", LOAD, r"^non-2xx\s+(\d+)", target="0"),
    Figure("diagnosis: whole / slowest part alone, loopback (CPU-bound)", "bench_diagnose",
           r"ratio whole / slowest part, loopback \([^)]*\): ([\d.]+)", target="≤ 1.25"),
    Figure("diagnosis: whole / slowest part alone, 30 ms round trip", "bench_diagnose",
           r"ratio whole / slowest part, 30 ms round trip \([^)]*\): ([\d.]+)", target="≤ 1.25"),
    Figure("discovery: whole (all clients) / slowest lookup alone, loopback (CPU-bound)", "bench_discovery",
           r"ratio whole / slowest lookup \([^)]*\): ([\d.]+)", target="—"),
    Figure("discovery: whole (all clients) / slowest lookup alone, 30 ms round trip", "bench_discovery",
           r"30 ms round trip \(median[\s\S]*?ratio whole / slowest lookup \([^)]*\): ([\d.]+)", target="≤ 1.5"),
    Figure("served autoconfig p99 under a flood of made-up domains on a silent resolver", "bench_dns_flood",
           r"^served autoconfig under the flood p99\s+([\d.]+) ms", "ms", target="< 50 ms"),
    Figure("storing a report: added to a diagnosis, SQLite (median)", "bench_reports",
           r"^1\. SQLite: storing a report .*? adds median ([\d.]+) ms", "ms", target="≤ 5 ms"),
    Figure("storing a report: added to a diagnosis, PostgreSQL (median)", "bench_reports",
           r"^1\. PostgreSQL: storing a report .*? adds median ([\d.]+) ms", "ms", target="≤ 5 ms"),
    Figure("lookup by code among 1,000,000 reports, SQLite (median)", "bench_reports",
           r"^2\. SQLite: lookup by code .*?: median ([\d.]+) ms", "ms", target="< 5 ms"),
    Figure("lookup by code among 1,000,000 reports, PostgreSQL (median)", "bench_reports",
           r"^2\. PostgreSQL: lookup by code .*?: median ([\d.]+) ms", "ms", target="< 5 ms"),
    Figure("watch: round of ~200 endpoints / slowest endpoint alone, loopback (CPU-bound)", "bench_watch",
           r"^round on loopback: .*ratio ([\d.]+)", target="≤ 1.5"),
    Figure("watch: round of ~200 endpoints / slowest endpoint alone, 5-40 ms round trips and one of 300 ms",
           "bench_watch", r"^round behind relays .*ratio ([\d.]+)", target="≤ 1.5"),
    Figure("watch: RSS slope over 100 rounds", "bench_watch", r"^memory: .*slope ([\d.-]+) KiB/round over all",
           "KiB/round", target="flat"),
    Figure("watch: CPU per 100 endpoints at a 300 s interval", "bench_watch", r"^cpu: .* interval ([\d.]+) %",
           "% of a core", target="< 1 %"),
    *(
        Figure(f"{name} / bare Flask, same bytes, 2 sync workers", "bench_clients",
               rf"^{name.replace('?', '[?]')}\s+\d+\s+\d+\s+\d+\s+([\d.]+)", target=f"≥ {target}")
        for name, target in (("Thunderbird autoconfig", "0.8"), ("Autodiscover POX", "0.8"),
                             ("signed profile", "0.8"), ("the page", "0.5"), ("the page with ?email=", "0.3"))
    ),
    Figure("production stack's fixed cost per request over bare Flask", "bench_clients",
           r"^stack fixed cost:.* ([\d-]+) µs per request", "µs"),
    Figure("autoconfig p99 with 200 diagnoses in flight on a silent server", "bench_outage",
           r"^p99 under the outage \(target < 100 ms\) ([\d.]+) ms", "ms", target="< 100 ms"),
    Figure("autoconfig throughput with 200 diagnoses in flight / idle", "bench_outage",
           r"^ratio busy / idle throughput \(target >= 0\.8\) ([\d.]+)", target="≥ 0.8"),
    Figure("memory per worker (RSS, after warm-up)", "memory", r"^worker RSS median\s+([\d.]+) MiB", "MiB"),
    Figure("memory per worker (PSS, after warm-up)", "memory", r"^worker PSS median\s+([\d.]+) MiB", "MiB"),
)


def discover(only: Sequence[str] = ()) -> list[Run]:
    """bench_*.py in name order, then the load test; each with its docstring's first line."""
    scripts = [*sorted(HERE.glob("bench_*.py")), HERE / f"{LOAD}.py"]
    runs = []
    for script in scripts:
        if only and script.stem not in only:
            continue
        doc = ast.get_docstring(ast.parse(script.read_text(encoding="utf-8"))) or ""
        runs.append(Run(script.stem, [sys.executable, "-m", f"tests.benchmarks.{script.stem}"],
                        about=" ".join(doc.split("\n\n")[0].split())))
    return runs


def execute(run: Run, timeout_s: float) -> Run:
    started = time.monotonic()
    try:
        done = subprocess.run(run.command, cwd=REPO, capture_output=True, text=True, timeout=timeout_s)
        run.returncode, run.stdout, run.stderr = done.returncode, done.stdout, done.stderr
    except subprocess.TimeoutExpired as exc:
        run.returncode = -1
        run.stdout = _text(exc.stdout)
        run.stderr = _text(exc.stderr)
        run.note = f"stopped after {timeout_s:.0f} s"
    except OSError as exc:
        run.returncode, run.note = -1, f"could not start: {exc}"
    run.seconds = time.monotonic() - started
    return run


def _text(value: str | bytes | None) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else (value or "")


# -- memory per worker ------------------------------------------------------------------


def _kib(pid: int | None, path: str, key: str) -> int:
    """A `key:  N kB` line of /proc/<pid>/<path> (or /proc/<path>), in KiB; 0 when gone."""
    try:
        where = Path("/proc") / (str(pid) if pid is not None else "") / path
        for line in where.read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _ppid(pid: int) -> int:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0
    return int(stat.rsplit(")", 1)[1].split()[1])


def gunicorn_processes(bind: str) -> tuple[int, list[int]]:
    """The master and worker pids of the gunicorn whose environment binds `bind`."""
    marker = f"AUTOCONFIG_BIND={bind}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environment = (entry / "environ").read_bytes().split(b"\0")
            if marker in environment and b"gunicorn" in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    masters = [pid for pid in found if _ppid(pid) not in found]
    if len(masters) != 1:
        raise RuntimeError(f"expected one gunicorn master for {bind}, found {masters}")
    return masters[0], sorted(pid for pid in found if _ppid(pid) == masters[0])


def memory(run: Run, warmup_s: int) -> Run:
    """RSS and PSS of each gunicorn worker (production settings, demo config) after the
    client mix has run through every worker for `warmup_s` seconds."""
    from .load_autoconfig import run_wrk

    started = time.monotonic()
    lines = []
    try:
        with tempfile.TemporaryDirectory() as work, gunicorn(
            "autoconfig:create_app()", env={"AUTOCONFIG_CONFIG": str(demo_config(Path(work)))}
        ) as url:
            run_wrk(url, seconds=1, connections=1, threads=1)  # the workers are up
            master, workers = gunicorn_processes(url.removeprefix("http://"))
            idle = {pid: _kib(pid, "status", "VmRSS") for pid in workers}
            load = run_wrk(url, seconds=warmup_s, connections=32, threads=2)
            rss = {pid: _kib(pid, "status", "VmRSS") for pid in workers}
            pss = {pid: _kib(pid, "smaps_rollup", "Pss") for pid in workers}
            master_rss = _kib(master, "status", "VmRSS")
        lines.append(f"workers {len(workers)}, warm-up {warmup_s} s of the client mix "
                     f"({load.requests} requests, {sum(load.statuses.values()) - load.statuses.get(200, 0)} non-200)")
        lines.append(f"master RSS            {master_rss / 1024:7.1f} MiB")
        for pid in workers:
            lines.append(f"worker {pid:<8} RSS {rss[pid] / 1024:7.1f} MiB   PSS {pss[pid] / 1024:7.1f} MiB   "
                         f"(RSS before warm-up {idle[pid] / 1024:6.1f} MiB)")
        rss_sorted, pss_sorted = sorted(rss.values()), sorted(pss.values())
        lines.append(f"worker RSS median     {rss_sorted[len(rss_sorted) // 2] / 1024:7.1f} MiB")
        lines.append(f"worker PSS median     {pss_sorted[len(pss_sorted) // 2] / 1024:7.1f} MiB")
        run.returncode = 0
    except Exception as exc:  # reported on the page as a failed run
        run.returncode, run.stderr = 1, f"{type(exc).__name__}: {exc}"
    run.stdout = "\n".join(lines) + ("\n" if lines else "")
    run.seconds = time.monotonic() - started
    return run


# -- the page ---------------------------------------------------------------------------


def ratio_lines(output: str) -> list[str]:
    """The lines that state a ratio; under a table header with a `ratio` column, its rows."""
    found: list[str] = []
    in_table = False
    for line in output.splitlines():
        if "ratio" in line.lower():
            found.append(line)
            in_table = not re.search(r"\d", line)  # a header: the rows below hold the ratios
        elif in_table and line.strip():
            found.append(line)
        else:
            in_table = False
    return found


def machine() -> dict[str, str]:
    cpu = "unknown"
    with contextlib.suppress(OSError, StopIteration):
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    threads = os.environ.get("AUTOCONFIG_THREADS", "16")
    workers = os.environ.get("AUTOCONFIG_WORKERS", str(min(2 * (os.cpu_count() or 1) + 1, 8)))
    return {
        "CPUs (nproc)": str(os.cpu_count()),
        "CPU": cpu,
        "memory": f"{_kib(None, 'meminfo', 'MemTotal') / 1024 / 1024:.1f} GiB",
        "Python": platform.python_version(),
        "kernel": platform.release(),
        "gunicorn": f"{workers} workers × {threads} threads (deploy/gunicorn.conf.py)",
        "wrk": _version(["wrk", "-v"]),
        "commit": _version(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"]),
        "working tree": _changes(),
    }


def _changes() -> str:
    """Uncommitted changes to what the benchmarks run: the figures are of the tree, not the commit."""
    try:
        done = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--", "autoconfig", "deploy",
                               "templates", "tests/benchmarks"], capture_output=True, text=True, timeout=10)
    except OSError:
        return "unknown"
    changed = sorted({line[3:] for line in done.stdout.splitlines()})
    return f"uncommitted changes in {', '.join(changed)}" if changed else "clean"


def _version(command: list[str]) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=10)
    except OSError:
        return "not found"
    text = (done.stdout or done.stderr).strip().splitlines()
    return text[0] if text else "unknown"


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


@dataclass
class Page:
    runs: list[Run]
    started: dt.datetime
    load_before: str
    load_after: str = ""
    missing: list[str] = field(default_factory=list)

    def figure(self, figure: Figure) -> tuple[str, Run | None]:
        run = next((r for r in self.runs if r.name == figure.run), None)
        if run is None:
            return "not run", None
        if not run.ok:
            return "**failed**", run
        found = re.search(figure.pattern, run.stdout, re.M)
        if found is None:
            self.missing.append(figure.label)
            return "**not found in the output**", run
        return f"{found.group(1)} {figure.unit}".strip(), run

    def render(self) -> str:
        info = machine()
        date = self.started.strftime("%Y-%m-%d %H:%M UTC")
        out = [
            "# autoconfig — performance",
            "",
            "<!-- generated by .venv/bin/python -m tests.benchmarks.run_all; do not edit by hand -->",
            "",
            f"Every benchmark of the project, run on {date} by `.venv/bin/python -m tests.benchmarks.run_all` "
            f"(commit `{info['commit']}`). Each figure names the command that produced it; run that command "
            "alone to measure it again.",
            "",
            "**Read the ratios, not the absolute numbers.** The machine is shared and noisy (other jobs run "
            f"beside the benchmarks: load average {self.load_before} before the run, {self.load_after} after), "
            "and the load generator (wrk) runs on the same cores as the service. Throughput against a "
            "baseline measured in the same run, on the same machine at the same time, is what compares from "
            "one run to the next; absolute requests per second and latencies only describe this machine on "
            "this day.",
            "",
            "## Machine",
            "",
            "| | |",
            "|---|---|",
            *(f"| {key} | {value} |" for key, value in info.items()),
            f"| benchmarks started | {date} |",
            "",
            "## Headline figures",
            "",
            "| figure | value | target | command |",
            "|---|---|---|---|",
        ]
        for figure in FIGURES:
            value, run = self.figure(figure)
            command = f"`{run.shown_command}`" if run else "—"
            out.append(f"| {figure.label} | {value} | {figure.target or '—'} | {command} |")
        out += [
            "",
            "## Every ratio against a baseline",
            "",
            "Each line of a benchmark's output that states a ratio, as printed.",
            "",
            "| benchmark | line |",
            "|---|---|",
        ]
        ratios = [(run.name, " ".join(line.split()).replace("|", "\\|"))
                  for run in self.runs for line in ratio_lines(run.stdout)]
        out += [f"| {name} | `{line}` |" for name, line in ratios] or ["| — | no benchmark printed a ratio |"]
        out += ["", "## Runs", "", "| benchmark | result | took | command |", "|---|---|---|---|"]
        for run in self.runs:
            result = "ok" if run.ok else f"**failed** (exit {run.returncode}{'; ' + run.note if run.note else ''})"
            out.append(f"| [{run.name}](#{run.name}) | {result} | {run.seconds:.0f} s | "
                       f"`{run.shown_command}` |")
        out.append("")
        for run in self.runs:
            out += [f"### {run.name}", ""]
            if run.about:
                out += [run.about, ""]
            out += [f"Command: `{run.shown_command}` — {'ok' if run.ok else '**failed**'}, {run.seconds:.0f} s.", ""]
            if run.stdout.strip():
                out += ["```text", run.stdout.rstrip("\n"), "```", ""]
            if not run.ok:
                tail = "\n".join((run.stderr or run.note or "(no output)").rstrip().splitlines()[-TAIL_LINES:])
                out += ["What it said when it failed (last lines):", "", "```text", tail, "```", ""]
        return "\n".join(out).rstrip("\n") + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run every benchmark and write docs/performance.md.")
    parser.add_argument("--only", nargs="*", default=(), help="benchmark names (e.g. bench_autoconfig memory)")
    parser.add_argument("--load-seconds", type=int, default=60, help="length of the load test")
    parser.add_argument("--timeout", type=float, default=1200, help="seconds before a benchmark is stopped")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)

    page = Page(discover(args.only), dt.datetime.now(dt.UTC), _load())
    for run in page.runs:
        if run.name == LOAD:
            run.command += ["--seconds", str(args.load_seconds)]
        print(f"running {run.shown_command} …", flush=True)
        execute(run, args.timeout)
        print(f"  {'ok' if run.ok else 'FAILED'} in {run.seconds:.0f} s", flush=True)
    if not args.only or "memory" in args.only:
        mem = Run("memory", [sys.executable, "-m", "tests.benchmarks.run_all", "--only", "memory"],
                  about="RSS and PSS of each gunicorn worker (production settings, demo configuration) "
                        f"after {MEMORY_WARMUP_S} s of the client mix; read from /proc.")
        print("measuring memory per worker …", flush=True)
        page.runs.append(memory(mem, MEMORY_WARMUP_S))
    page.load_after = _load()
    args.out.write_text(page.render(), encoding="utf-8")
    failed = [run.name for run in page.runs if not run.ok]
    print(f"wrote {args.out}" + (f"; failed: {', '.join(failed)}" if failed else ""))
    if page.missing:
        print(f"figures not found in the output: {', '.join(page.missing)}")
    return 1 if failed or page.missing else 0


if __name__ == "__main__":
    sys.exit(main())
