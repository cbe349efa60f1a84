"""Load test of the served champion: `mlflow models serve` on loopback, concurrent clients.

    python benchmarks/serve_load.py [--requests 1000] [--clients 8]

Trains the tiny test configuration in a temporary copy of the project (`kedro run --env test`,
about a minute), serves `models:/lmforge-classifier@champion` with `mlflow models serve` on
127.0.0.1, then sends `--requests` requests (one review each, English and Chinese mixed) from
`--clients` threads. Prints errors, p50/p99 latency and requests per second. Nothing leaves
the machine.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.recording import RESULTS, commit, record  # noqa: E402
from tests.conftest import copy_project, kedro_run  # noqa: E402
from tests.e2e.conftest import serve_champion  # noqa: E402

TEXTS = ["Great screen, but the battery died.", "屏幕很清晰，推荐！", "Not bad at all.", "很差"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--results", type=Path, default=RESULTS / "serve_load.json")
    args = parser.parse_args()
    measured_at = commit()
    with tempfile.TemporaryDirectory(prefix="lmforge-serve-") as tmp:
        project = copy_project(Path(tmp) / "project")
        kedro_run(project, timeout=900)
        with serve_champion(project) as server:
            server.wait("/ping")
            latencies: list[float] = []
            errors: list[str] = []
            lock = threading.Lock()
            counter = iter(range(args.requests))

            def client() -> None:
                for i in counter:
                    body = {
                        "dataframe_split": {"columns": ["text"], "data": [[TEXTS[i % len(TEXTS)]]]}
                    }
                    request = urllib.request.Request(
                        server.url("/invocations"),
                        data=json.dumps(body).encode(),
                        headers={"Content-Type": "application/json"},
                    )
                    began = time.perf_counter()
                    try:
                        with urllib.request.urlopen(request, timeout=60) as response:
                            rows = json.loads(response.read())["predictions"]
                            ok = len(rows) == 1 and rows[0]["label"] is not None
                    except (urllib.error.URLError, OSError, ValueError) as err:
                        ok, rows = False, str(err)
                    elapsed = time.perf_counter() - began
                    with lock:
                        latencies.append(elapsed)
                        if not ok:
                            errors.append(str(rows)[:200])

            began = time.perf_counter()
            threads = [threading.Thread(target=client) for _ in range(args.clients)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            wall = time.perf_counter() - began
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    print(
        f"{len(latencies)} requests from {args.clients} clients in {wall:.1f} s: "
        f"{len(latencies) / wall:.1f} requests/s, errors {len(errors)}, "
        f"p50 {1000 * statistics.median(ordered):.1f} ms, p99 {1000 * p99:.1f} ms"
    )
    for error in errors[:5]:
        print("  error:", error)
    setting = f"{args.requests:,} requests, {args.clients} clients, one server worker"
    figures = {
        "errors": len(errors),
        "requests_per_s": round(len(latencies) / wall, 1),
        "p50_ms": round(1000 * statistics.median(ordered)),
        "p99_ms": round(1000 * p99),
    }
    record(args.results, {setting: figures}, measured_at)
    print(f"results: {args.results}")


if __name__ == "__main__":
    main()
