"""Domain lookups stay O(1): time per lookup with 100 vs 100,000 domains in a domains_file.

Run: .venv/bin/python -m tests.benchmarks.bench_directory
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from autoconfig.config import build_config
from autoconfig.directory import Directory
from tests.conftest import base_raw

LOOKUPS = 200_000


def per_lookup_ns(size: int, folder: Path) -> tuple[float, float]:
    path = folder / f"domains-{size}.txt"
    path.write_text("".join(f"cliente{i}.it\n" for i in range(size)))
    raw = base_raw()
    raw["provider"][0]["domains_file"] = str(path)
    started = time.perf_counter()
    directory = Directory(build_config(raw, base_dir=folder).providers, resolver=None)
    load_s = time.perf_counter() - started
    names = [f"cliente{i % size}.it" for i in range(LOOKUPS)]
    started = time.perf_counter()
    for name in names:
        directory.lookup_static(name)
    return (time.perf_counter() - started) / LOOKUPS * 1e9, load_s


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        small, small_load = per_lookup_ns(100, folder)
        large, large_load = per_lookup_ns(100_000, folder)
    print(f"100 domains        {small:7.0f} ns/lookup  (file read {small_load * 1000:6.1f} ms)")
    print(f"100,000 domains    {large:7.0f} ns/lookup  (file read {large_load * 1000:6.1f} ms)")
    print(f"ratio 100k / 100   {large / small:7.2f}  (O(1): close to 1)")


if __name__ == "__main__":
    main()
