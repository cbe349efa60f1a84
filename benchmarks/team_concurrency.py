"""Four `kedro run`s at once into one team tracking server: is anything lost?

    python benchmarks/team_concurrency.py [--runs 4]

Starts PostgreSQL and an MLflow tracking server in a temporary folder (as `make services`
does), then runs the tiny configuration (KEDRO_ENV=test + conf/team) in N copies of the
project at the same time, each with its own fine-tuning learning rate. Counts what reached the
server against what each run logged: runs, metric points of every curve, registered versions,
and whether the champion is the best blessed version. Figures go to
benchmarks/results/team_concurrency.json (docs/team.md's table comes from there).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.recording import RESULTS, commit, record  # noqa: E402
from tests.conftest import BIN, project_env  # noqa: E402
from tests.team.conftest import make_team_project  # noqa: E402

MODEL = "lmforge-classifier"
CURVES = {"pretraining.train_loss": (5, 30)}  # conf/test: log_every 5, max_steps 30


def expected_points(client, run) -> tuple[int, int]:
    """(points on the server, points the run logged): curves by their steps, the rest once."""
    written = expected = 0
    for name in run.data.metrics:
        history = client.get_metric_history(run.info.run_id, name)
        written += len(history)
        if name in CURVES:
            every, last = CURVES[name]
            expected += last // every
        elif name.endswith(".train_loss"):
            expected += max(m.step for m in history) // 5  # fine-tuning: log_every 5
        else:
            expected += len({m.step for m in history})
    return written, expected


def champion_version(client):
    from mlflow.exceptions import MlflowException

    try:
        return client.get_model_version_by_alias(MODEL, "champion")
    except MlflowException:
        return None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=4)
    parser.add_argument("--results", type=Path, default=RESULTS / "team_concurrency.json")
    args = parser.parse_args()
    measured_at = commit()
    from mlflow.tracking import MlflowClient

    from lmforge.ports import free_port
    from lmforge.team.services import TeamServices

    state = Path(tempfile.mkdtemp(prefix="lmforge-team-"))
    state.chmod(0o755)  # as root, PostgreSQL runs as `postgres`, who must reach its folder
    team = TeamServices(state / ".services", postgres_port=free_port(), mlflow_port=free_port())
    try:
        started = time.perf_counter()
        team.start()
        print(f"services up in {time.perf_counter() - started:.1f} s ({team.tracking_uri})")
        processes = []
        start = time.perf_counter()
        for i in range(args.runs):
            project, env = make_team_project(state / f"project-{i}", team)
            lr = f"finetuning.training.lr={0.001 * (i + 1):g}"
            processes.append(
                subprocess.Popen(
                    [str(BIN / "kedro"), "run", "--params", lr],
                    cwd=project,
                    env=project_env(env),
                    stdout=(project / "run.log").open("w"),
                    stderr=subprocess.STDOUT,
                )
            )
        codes = [p.wait(timeout=1800) for p in processes]
        wall = time.perf_counter() - start
        client = MlflowClient(team.tracking_uri)
        experiment = client.get_experiment_by_name("lmforge")
        runs = client.search_runs([experiment.experiment_id]) if experiment else []
        finished = [r for r in runs if r.info.status == "FINISHED"]
        points = [expected_points(client, run) for run in finished]
        versions = client.search_model_versions(f"name = '{MODEL}'")
        blessed = [v for v in versions if v.tags.get("lmforge.blessed", "true") == "true"]
        best = max(blessed, key=lambda v: float(v.tags["lmforge.test_macro_f1"]), default=None)
        champion = champion_version(client)
        for v in sorted(versions, key=lambda v: int(v.version)):
            print(
                f"v{v.version}: test macro-F1 {v.tags.get('lmforge.test_macro_f1')}, blessed "
                f"{v.tags.get('lmforge.blessed')}: {v.tags.get('lmforge.promotion')}"
            )
        champion_ok = (champion and champion.version) == (best and best.version)
    finally:
        team.stop()
        shutil.rmtree(state, ignore_errors=True)
    figures = {
        "runs": args.runs,
        "exit_codes_zero": sum(code == 0 for code in codes),
        "runs_finished": len(finished),
        "metric_points_written": sum(w for w, _ in points),
        "metric_points_expected": sum(e for _, e in points),
        "versions_registered": len(versions),
        "champion_is_best_blessed": bool(champion_ok),
        "wall_s": round(wall, 1),
    }
    for key, value in figures.items():
        print(f"{key}: {value}")
    lost = (
        figures["runs_finished"] != args.runs
        or figures["metric_points_written"] != figures["metric_points_expected"]
        or figures["versions_registered"] != args.runs
        or not champion_ok
    )
    print("FAIL: something was lost" if lost else "PASS: nothing lost")
    record(
        args.results, {f"{args.runs} concurrent kedro runs, KEDRO_ENV=test": figures}, measured_at
    )
    print(f"results: {args.results}")
    sys.exit(1 if lost else 0)


if __name__ == "__main__":
    main()
