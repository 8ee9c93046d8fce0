"""Every benchmark still runs: each on a tiny input, so that a change elsewhere cannot break
one silently. The figures of these runs mean nothing and are thrown away.

The benchmarks need PostgreSQL (and the load benchmark `wrk` and Redis): this runs in the
PostgreSQL pass, the five at once to keep the pass short.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from . import databases

ROOT = Path(__file__).resolve().parent.parent

#: Each benchmark, its tiny arguments, and words its report must hold.
RUNS = {
    "simulate": (
        ["--people", "30", "--workers", "1", "--cases", "own"],
        ["# ", "routing"],
    ),
    "places": (
        ["--places", "300", "--queries", "20", "--no-sweep", "--postgres", "{pg}"],
        ["# ", "ms", "Search targets"],
    ),
    "growth": (["--sizes", "50", "100", "--requests", "3", "--postgres", "{pg}"], ["# ", "ms"]),
    "load": (
        [
            *("--duration", "1", "--clients", "2", "--targets", "question page"),
            *("--people", "2", "--repeat", "5", "--postgres", "{pg}"),
        ],
        ["# ", "req/s"],
    ),
    "wire": (["--no-browser"], ["# ", "bytes"]),
}


@pytest.mark.skipif(
    not databases.is_postgres(), reason="the benchmarks run on PostgreSQL: PostgreSQL pass"
)
def test_every_benchmark_runs_on_a_tiny_input(tmp_path: Path) -> None:
    if shutil.which("wrk") is None:
        pytest.fail("the load benchmark needs wrk (Debian package wrk, installed by .ci/run)")
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    env.pop("TEST_DATABASE_URL", None)
    running = {}
    for name, (arguments, _words) in RUNS.items():
        out = tmp_path / f"{name}.md"
        command = [sys.executable, "-m", f"bench.{name}", *arguments, "--out", str(out)]
        command = [a.replace("{pg}", databases.test_database_url()) for a in command]
        log = (tmp_path / f"{name}.log").open("w")
        running[name] = (subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log), out)
    deadline = time.monotonic() + 600
    for name, (process, out) in running.items():
        rc = process.wait(timeout=max(1, deadline - time.monotonic()))
        log = (tmp_path / f"{name}.log").read_text()
        assert rc == 0, f"bench.{name} failed:\n{log[-3000:]}"
        report = out.read_text(encoding="utf-8")
        for words in RUNS[name][1]:
            assert words in report, f"bench.{name}: {words!r} missing from its report"
