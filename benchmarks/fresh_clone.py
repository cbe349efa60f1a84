"""`make test` (or `make run`) on a fresh clone, as CI runs it: the install and the command,
timed apart, written to benchmarks/results/fresh_clone.json (two measurements of each target:
the latest and, where there is one, the latest taken at another time of day, side by side;
docs/development.md's table comes from there).

usage: python benchmarks/fresh_clone.py [--target test|run] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import datetime
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.recording import RESULTS, record  # noqa: E402

INSTALL = {"test": ["install", "install-zh"], "run": ["install"]}
SUMMARY = re.compile(r"(\d+) passed(?:, (\d+) failed)?.* in ([\d.]+)s")


def timed(command: list[str], cwd: Path, log: Path) -> float:
    """Seconds `command` took; exits naming the log when it fails."""
    start = time.perf_counter()
    with log.open("w") as out:
        code = subprocess.run(command, cwd=cwd, stdout=out, stderr=subprocess.STDOUT).returncode
    if code != 0:
        sys.exit(f"{' '.join(command)} failed ({code}); log in {log}")
    return time.perf_counter() - start


def minutes_apart(a: str, b: str) -> int:
    """Minutes between two times of day ("HH:MM"), around the clock."""
    minutes = [int(t[:2]) * 60 + int(t[3:]) for t in (a, b)]
    gap = abs(minutes[0] - minutes[1])
    return min(gap, 24 * 60 - gap)


def keep_spread(path: Path, target: str, hours_apart: float = 3) -> None:
    """Two measurements of `target` stay: the latest, and the latest taken at least
    `hours_apart` from it in the time of day (else the one before it), so that a rerun within
    the hour does not push the other time of day out; older ones are superseded (git keeps
    them)."""
    entries = json.loads(path.read_text(encoding="utf-8"))
    mine = sorted((k for k, e in entries.items() if e["target"] == target), reverse=True)
    if len(mine) > 2:
        latest = entries[mine[0]]["started"]
        apart = [
            k for k in mine[1:] if minutes_apart(entries[k]["started"], latest) >= hours_apart * 60
        ]
        kept = {mine[0], (apart or mine[1:])[0]}
        for key in set(mine) - kept:
            del entries[key]
    path.write_text(json.dumps(entries, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--target", choices=("test", "run"), default="test")
    parser.add_argument("--workdir", type=Path, help="where the clone goes (default: temp dir)")
    parser.add_argument("--results", type=Path, default=RESULTS / "fresh_clone.json")
    args = parser.parse_args()
    started = datetime.datetime.now()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="lmforge-fresh-clone-"))
    clone = workdir / "clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    # what the clone holds: the committed HEAD (uncommitted changes never travel into a clone)
    head = ["git", "rev-parse", "--short", "HEAD"]
    measured_at = subprocess.run(head, cwd=clone, capture_output=True, text=True).stdout.strip()
    install_s = timed(["make", *INSTALL[args.target]], clone, workdir / "install.log")
    command_s = timed(["make", args.target], clone, workdir / f"{args.target}.log")
    figures = {
        "target": args.target,
        "install_min": round(install_s / 60, 2),
        "command_min": round(command_s / 60, 2),
        "total_min": round((install_s + command_s) / 60, 2),
        "started": started.strftime("%H:%M"),
    }
    if args.target == "test":
        found = SUMMARY.findall((workdir / "test.log").read_text())
        passed, failed, seconds = found[-1]
        figures |= {"passed": int(passed), "failed": int(failed or 0)}
        figures["suite_min"] = round(float(seconds) / 60, 2)
    record(args.results, {f"make {args.target} · {started:%Y-%m-%d %H:%M}": figures}, measured_at)
    keep_spread(args.results, args.target)
    print(json.dumps(figures, indent=2))
    print(f"\nresults: {args.results}")


if __name__ == "__main__":
    main()
