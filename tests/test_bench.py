"""The benchmarks run: each one, tiny, as anyone would rerun it."""

from __future__ import annotations

from pathlib import Path

from bench import simulate


def test_simulation_runs_tiny_and_writes_its_report(tmp_path: Path) -> None:
    out = tmp_path / "simulation.md"
    code = simulate.main(["--people", "4", "--workers", "1", "--cases", "own", "--out", str(out)])
    assert code == 0
    report = out.read_text(encoding="utf-8")
    for heading in (
        "## The rules being compared",
        "## Targets",
        "## The engine's own model",
        "## Other ways of testing",
        "## The routing threshold",
        "## Pilot items",
        "## Speed",
    ):
        assert heading in report, heading
    assert "| version 3 | version 2 |" in report
    assert "--people 4" in report
