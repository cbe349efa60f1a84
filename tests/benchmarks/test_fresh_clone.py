"""Which fresh-clone measurements stay in benchmarks/results/fresh_clone.json."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks.fresh_clone import keep_spread, minutes_apart


def test_minutes_apart_goes_around_the_clock():
    assert minutes_apart("20:10", "06:07") == 597
    assert minutes_apart("23:50", "00:20") == 30
    assert minutes_apart("08:00", "08:00") == 0


def stored(path: Path, runs: dict[str, str]) -> set[str]:
    entries = {key: {"target": target, "started": key[-5:]} for key, target in runs.items()}
    path.write_text(json.dumps(entries))
    keep_spread(path, "test")
    return set(json.loads(path.read_text()))


def test_a_rerun_within_the_hour_keeps_the_other_time_of_day(tmp_path):
    runs = {
        "make test · 2026-12-06 06:07": "test",
        "make test · 2026-12-06 20:10": "test",
        "make test · 2026-12-06 20:37": "test",
        "make run · 2026-12-06 05:51": "run",
    }
    assert stored(tmp_path / "r.json", runs) == {
        "make test · 2026-12-06 06:07",
        "make test · 2026-12-06 20:37",
        "make run · 2026-12-06 05:51",
    }


def test_without_another_time_of_day_the_two_latest_stay(tmp_path):
    runs = {f"make test · 2026-12-06 20:{m}": "test" for m in ("10", "18", "37")}
    assert stored(tmp_path / "r.json", runs) == {
        "make test · 2026-12-06 20:18",
        "make test · 2026-12-06 20:37",
    }
