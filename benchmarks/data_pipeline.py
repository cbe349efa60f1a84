"""Data pipeline throughput: builtin rows through clean → validate → split → augment.

    python benchmarks/data_pipeline.py [--sizes 10000,100000,1000000]

Each size runs in its own process (so peak RSS is that size's), with the project's default
parameters. Prints rows/s, seconds and peak RSS per size, and the time-per-row ratio between
the two largest sizes. Targets: 1M rows in <= 120 s on 2 cores, peak RSS <= 4 GiB, and time
per row at 1M within 1.5x of that at 100k. The figures go to
benchmarks/results/data_pipeline.json (docs/benchmarks.md's table comes from there).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def parameters() -> dict:
    params: dict = {}
    for path in sorted((ROOT / "conf" / "base").glob("parameters_data_processing.yml")):
        params.update(yaml.safe_load(path.read_text()))
    return params


def measure(rows: int) -> dict:
    from lmforge.data.builtin import BuiltinConfig, generate_builtin_corpus
    from lmforge.pipelines.data_processing import nodes

    params = parameters()
    raw = generate_builtin_corpus(BuiltinConfig(n_documents=rows))  # input, not timed
    timings = {}
    start = time.perf_counter()
    clean, label_map, duplicates = nodes.clean_corpus(raw, params["cleaning"])
    timings["clean"] = time.perf_counter() - start
    mark = time.perf_counter()
    validated, rejected = nodes.validate_corpus(
        clean, label_map, duplicates, params["cleaning"], params["validation"]
    )
    timings["validate"] = time.perf_counter() - mark
    mark = time.perf_counter()
    train, validation, test, _ = nodes.split_corpus(validated, params["split"])
    timings["split"] = time.perf_counter() - mark
    mark = time.perf_counter()
    augmented = nodes.augment_train(train, validation, test, params["augmentation"])
    timings["augment"] = time.perf_counter() - mark
    seconds = time.perf_counter() - start
    return {
        "rows": rows,
        "seconds": seconds,
        "rows_per_s": rows / seconds,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "steps": timings,
        "train_rows": len(augmented),
        "rejected": len(rejected),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--results", type=Path, default=None)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one)))
        return
    from benchmarks.recording import RESULTS, commit, record

    measured_at = commit()
    results = []
    for size in (int(s) for s in args.sizes.split(",")):
        out = subprocess.run(
            [sys.executable, __file__, "--one", str(size)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        result = json.loads(out.strip().splitlines()[-1])
        results.append(result)
        steps = ", ".join(f"{k} {v:.1f}s" for k, v in result["steps"].items())
        print(
            f"{size:>9,} rows: {result['seconds']:7.1f} s  {result['rows_per_s']:>9,.0f} rows/s"
            f"  peak RSS {result['peak_rss_mib']:7.0f} MiB  ({steps})"
        )
    entries = {
        f"{r['rows']:,} rows": {
            "rows": r["rows"],
            "seconds": round(r["seconds"], 1),
            "rows_per_s": round(r["rows_per_s"]),
            "peak_rss_mib": round(r["peak_rss_mib"]),
            "steps_s": {k: round(v, 2) for k, v in r["steps"].items()},
        }
        for r in results
    }
    path = args.results or RESULTS / "data_pipeline.json"
    record(path, entries, measured_at)
    print(f"results: {path}")
    if len(results) >= 2:
        small, large = results[-2], results[-1]
        ratio = (large["seconds"] / large["rows"]) / (small["seconds"] / small["rows"])
        print(
            f"time per row at {large['rows']:,} / at {small['rows']:,}: {ratio:.2f}x "
            "(target <= 1.5x)"
        )
        print(
            f"{large['rows']:,} rows in {large['seconds']:.1f} s (target <= 120 s), "
            f"peak RSS {large['peak_rss_mib'] / 1024:.2f} GiB (target <= 4 GiB)"
        )


if __name__ == "__main__":
    main()
