"""Regenerate the docs' pictures from a project where `make run` has run: the MLflow run list
and a run's curves, the kedro-viz DAG (headless Chromium), the compression Pareto plot.

usage: python docs/screenshots.py [--project DIR] [--chromium PATH]

Chromium: Debian's `chromium` package (`sudo apt-get install chromium`). Pictures go to
docs/figures/; the label-efficiency curves there come from benchmarks/real_data.py.
"""

from __future__ import annotations

import argparse
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIGURES = ROOT / "docs" / "figures"
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(command: list[str], cwd: Path, port: int, ready: str):
    """A server on loopback, stopped on exit; waits until `ready` answers 200."""
    process = subprocess.Popen(
        command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.time() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{ready}", timeout=2):
                    break
            except OSError:
                if time.time() > deadline or process.poll() is not None:
                    raise RuntimeError(f"{command[0]} did not start on port {port}") from None
                time.sleep(0.5)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)


def screenshot(chromium: str, url: str, out: Path, size: str = "1800,1100") -> None:
    subprocess.run(
        [
            chromium,
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            f"--window-size={size}",
            "--virtual-time-budget=90000",  # let the single-page apps fetch and draw
            f"--screenshot={out}",
            url,
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    print(f"wrote {out.relative_to(ROOT)}")


def latest_run(project: Path) -> tuple[str, str]:
    """The experiment id and the newest run id of the project's `lmforge` experiment."""
    from mlflow.tracking import MlflowClient

    client = MlflowClient(f"sqlite:///{project}/mlruns/mlflow.db")
    experiment = client.get_experiment_by_name("lmforge")
    if experiment is None:
        sys.exit(f"{project}: no MLflow experiment 'lmforge' (run `make run` first)")
    (run,) = client.search_runs([experiment.experiment_id], max_results=1)
    return experiment.experiment_id, run.info.run_id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--project", type=Path, default=ROOT)
    parser.add_argument("--chromium", default=shutil.which("chromium") or "chromium")
    args = parser.parse_args()
    project = args.project.resolve()
    FIGURES.mkdir(parents=True, exist_ok=True)

    experiment, run = latest_run(project)
    port = free_port()
    store = f"sqlite:///{project}/mlruns/mlflow.db"
    mlflow = [str(BIN / "mlflow"), "server", "--backend-store-uri", store]
    with serving(
        [*mlflow, "--host", "127.0.0.1", "--port", str(port)], project, port, "/health"
    ) as url:
        runs = f"{url}/#/experiments/{experiment}/runs"
        screenshot(args.chromium, runs, FIGURES / "mlflow_runs.png")
        screenshot(
            args.chromium,
            f"{url}/#/experiments/{experiment}/runs/{run}/model-metrics",
            FIGURES / "mlflow_run_metrics.png",
        )

    subprocess.run(
        [str(BIN / "kedro"), "viz", "build"], cwd=project, check=True, capture_output=True
    )
    port = free_port()
    server = [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"]
    with serving(server, project / "build", port, "/") as url:
        screenshot(args.chromium, f"{url}/", FIGURES / "kedro_viz.png", size="1800,1100")

    pareto = project / "data" / "08_reporting" / "compression.png"
    if pareto.is_file():
        shutil.copyfile(pareto, FIGURES / "compression.png")
        print(f"wrote {(FIGURES / 'compression.png').relative_to(ROOT)}")


if __name__ == "__main__":
    main()
