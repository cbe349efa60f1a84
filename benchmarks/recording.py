"""Where a benchmark's figures go: `benchmarks/results/<benchmark>.json`, one entry per setting,
each with the date, the commit the measurement started from and the machine. A new measurement
replaces the entry it supersedes (git keeps the history); the docs' tables are generated from
these files (docs/hooks.py)."""

from __future__ import annotations

import datetime
import json
import os
import platform
import subprocess
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"


def machine() -> dict[str, Any]:
    """Cores, torch threads, the GPU if any, the platform."""
    import torch

    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    return {
        "cores": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "gpu": gpu,
        "platform": platform.machine(),
    }


def commit() -> str:
    """The checked-out commit, `+dirty` when tracked files differ from it."""
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True)
    dirty = subprocess.run(["git", "diff", "--quiet", "HEAD"], cwd=ROOT).returncode != 0
    return (head.stdout.decode().strip() or "unknown") + ("+dirty" if dirty else "")


def record(path: Path, entries: dict[str, dict[str, Any]], measured_at: str) -> None:
    """Write `entries` (key → figures and settings) into `path`, each stamped with today's
    date, `measured_at` (the commit the runs started from) and the machine."""
    stored = json.loads(path.read_text()) if path.is_file() else {}
    stamp = {"date": datetime.date.today().isoformat(), "commit": measured_at}
    for key, figures in entries.items():
        stored[key] = {**figures, **stamp, "machine": machine()}
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(dict(sorted(stored.items())), indent=2, ensure_ascii=False)
    path.write_text(text + "\n", encoding="utf-8")
