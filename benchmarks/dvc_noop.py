"""How long a `dvc repro` takes when nothing changed (target: <= 5 s).

    python benchmarks/dvc_noop.py [--repeats 5]

Builds a temporary git repository from the project, reproduces the pipeline once on the tiny
configuration (KEDRO_ENV=test), then times repeated no-op `dvc repro` runs. The figures go to
benchmarks/results/dvc_noop.json (docs/benchmarks.md's table comes from there).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.recording import RESULTS, commit, record  # noqa: E402
from tests.conftest import copy_project, project_env  # noqa: E402


def run(args: list[str], cwd: Path) -> str:
    env = project_env({"KEDRO_ENV": "test"})
    return subprocess.run(args, cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--results", type=Path, default=RESULTS / "dvc_noop.json")
    args = parser.parse_args()
    measured_at = commit()
    dvc = str(Path(sys.executable).parent / "dvc")
    with tempfile.TemporaryDirectory() as tmp:
        repo = copy_project(Path(tmp) / "repo")
        for command in (
            ["git", "init", "-q"],
            ["git", "add", "-A"],
            ["git", "-c", "user.name=b", "-c", "user.email=b@b", "commit", "-qm", "bench"],
        ):
            run(command, repo)
        start = time.perf_counter()
        run([dvc, "repro", "-q"], repo)
        first = time.perf_counter() - start
        stages = len(run([dvc, "stage", "list", "--name-only"], repo).split())
        print(f"first dvc repro ({stages} stages, tiny configuration): {first:.1f} s")
        timings = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            out = run([dvc, "repro"], repo)
            timings.append(time.perf_counter() - start)
            assert "Running stage" not in out, out
        median = statistics.median(timings)
        print(
            f"no-op dvc repro: median {median:.2f} s, max {max(timings):.2f} s over "
            f"{args.repeats} runs (target <= 5 s): {'PASS' if max(timings) <= 5 else 'FAIL'}"
        )
        shutil.rmtree(repo, ignore_errors=True)
    figures = {
        "stages": stages,
        "first_repro_s": round(first, 1),
        "noop_median_s": round(median, 2),
        "noop_max_s": round(max(timings), 2),
        "repeats": args.repeats,
    }
    record(args.results, {"dvc repro, KEDRO_ENV=test": figures}, measured_at)
    print(f"results: {args.results}")


if __name__ == "__main__":
    main()
