"""What `make run` produces: the default `kedro run` on the built-in corpus, in a fresh copy of
the project, timed, its figures written to benchmarks/results/default_run.json (the README's
and the docs' results tables come from there).

usage: python benchmarks/default_run.py [--workdir DIR] [--results FILE]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.recording import RESULTS, commit, record  # noqa: E402
from tests.conftest import copy_project, project_env  # noqa: E402

KEPT = ("accuracy", "macro_f1", "val_macro_f1", "no_pretrain_accuracy", "no_pretrain_macro_f1")
KEPT += ("tfidf_lr_accuracy", "tfidf_lr_macro_f1", "tfidf_lr_val_macro_f1")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--workdir", type=Path, help="where the project copy goes (default: a temp dir)"
    )
    parser.add_argument("--results", type=Path, default=RESULTS / "default_run.json")
    args = parser.parse_args()
    measured_at = commit()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="lmforge-default-run-"))
    project = copy_project(workdir / "project")
    start = time.perf_counter()
    kedro = Path(sys.executable).parent / "kedro"
    result = subprocess.run(
        [str(kedro), "run"], cwd=project, env=project_env(), capture_output=True, text=True
    )
    wall = time.perf_counter() - start
    (workdir / "kedro-run.log").write_text(result.stdout + result.stderr)
    if result.returncode != 0:
        sys.exit(f"kedro run failed, log in {workdir / 'kedro-run.log'}:\n{result.stderr[-3000:]}")
    reporting = project / "data" / "08_reporting"
    metrics = json.loads((reporting / "metrics.json").read_text())
    registration = json.loads((reporting / "registration.json").read_text())
    figures = {
        **{key: round(metrics[key], 4) for key in KEPT},
        "champion": bool(registration.get("promoted")),
        "pipeline_min": round(wall / 60, 1),
    }
    record(args.results, {"builtin · kedro run": figures}, measured_at)
    print(json.dumps(figures, indent=2))
    print(f"\nresults: {args.results}")


if __name__ == "__main__":
    main()
