"""How long a `dvc repro` takes when nothing changed (target: <= 5 s).

    python benchmarks/dvc_noop.py [--repeats 5]

Builds a temporary git repository from the project, reproduces the pipeline once on the tiny
configuration (KEDRO_ENV=test), then times repeated no-op `dvc repro` runs.
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

from tests.conftest import copy_project, project_env  # noqa: E402


def run(args: list[str], cwd: Path) -> str:
    env = project_env({"KEDRO_ENV": "test"})
    return subprocess.run(args, cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
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
        print(
            f"first dvc repro (4 stages, tiny configuration): {time.perf_counter() - start:.1f} s"
        )
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


if __name__ == "__main__":
    main()
