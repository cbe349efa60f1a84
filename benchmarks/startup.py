"""How long `kedro run --pipelines data_processing` takes to start its first node.

    python benchmarks/startup.py [--repeats 3] [--pipeline data_processing]

The figures go to benchmarks/results/startup.json (docs/benchmarks.md's table comes from there).

Runs the real CLI in a temporary copy of the project on the test configuration and reads its
log as it streams: the figure is the wall time from starting the process to the line in which
Kedro announces the first node. Also prints which heavy libraries the pipeline registry
imports (none of torch, transformers, sklearn, matplotlib or Dask should be among them).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.recording import RESULTS, commit, record  # noqa: E402
from tests.conftest import BIN, copy_project, project_env  # noqa: E402

HEAVY = ("torch", "transformers", "sklearn", "matplotlib", "distributed", "peft", "mlflow")
PROBE = f"""
import sys
from kedro.framework.project import configure_project
configure_project("lmforge")
from lmforge.pipeline_registry import register_pipelines
import lmforge.settings
from lmforge.parameters import pipeline_settings
register_pipelines(); pipeline_settings()
print(",".join(m for m in {HEAVY!r} if m in sys.modules) or "none")
"""


def time_to_first_node(project: Path, pipeline: str) -> float:
    start = time.perf_counter()
    process = subprocess.Popen(
        [str(BIN / "kedro"), "run", "--env", "test", "--pipelines", pipeline],
        cwd=project,
        env=project_env({"COLUMNS": "200"}),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    try:
        for line in process.stdout:
            if "Running node" in line or "Loading data from" in line:
                return time.perf_counter() - start
        raise RuntimeError(f"kedro run exited ({process.wait()}) before any node")
    finally:
        process.kill()
        process.wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--pipeline", default="data_processing")
    parser.add_argument("--results", type=Path, default=RESULTS / "startup.json")
    args = parser.parse_args()
    measured_at = commit()
    probe = subprocess.run(
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env=project_env({"PYTHONPATH": str(ROOT / "src")}),
    )
    heavy = probe.stdout.strip().splitlines()[-1]
    with tempfile.TemporaryDirectory() as tmp:
        project = copy_project(Path(tmp) / "project")
        time_to_first_node(project, args.pipeline)  # warm the file cache and .pyc files
        times = [time_to_first_node(project, args.pipeline) for _ in range(args.repeats)]
    print(f"heavy libraries imported by the pipeline registry: {heavy}")
    print(
        f"kedro run --pipelines {args.pipeline}: first node after "
        f"{statistics.median(times):.2f} s (median of {args.repeats}; "
        f"min {min(times):.2f}, max {max(times):.2f})"
    )
    figures = {
        "median_s": round(statistics.median(times), 2),
        "min_s": round(min(times), 2),
        "max_s": round(max(times), 2),
        "repeats": args.repeats,
        "heavy_imports_in_registry": heavy,
    }
    record(args.results, {f"kedro run --pipelines {args.pipeline}": figures}, measured_at)
    print(f"results: {args.results}")


if __name__ == "__main__":
    main()
