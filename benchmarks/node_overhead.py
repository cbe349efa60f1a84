"""Is the pretraining loop slower inside `kedro run` than in a bare script?

    python benchmarks/node_overhead.py [--rounds 3] [--steps 150]

In a temporary copy of the project, `kedro run --pipelines data_processing,pretraining` (the
default configuration) prepares the corpus, the tokenizer and the packed tokens once. Then,
interleaved `--rounds` times so that machine noise hits both alike:

- (k) `kedro run --pipelines pretraining` with `--steps` steps and no time budget: the node
  with its Kedro session, MLflow run, hooks and step logging;
- (s) a bare Python process that loads the same tokenizer and packed tokens, builds the same
  model and calls the same `lmforge.training.loop.train` with the same training
  parameters: no Kedro, no MLflow, no checkpoints.

Both report the loop's own tokens/s (evaluation, logging and checkpoint writes are outside the
timed windows in both) — the median over the logging windows, and the per-run figures — and
the ratio k/s (1.0: no overhead).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.recording import RESULTS, commit, record  # noqa: E402
from tests.conftest import BIN, copy_project, project_env  # noqa: E402

BARE = """
import json, statistics, sys, yaml
from lmforge.modeling.model import ModelConfig, build_language_model, load_tokenizer
from lmforge.training.packing import PackedTokens
from lmforge.training.tasks import LanguageModelingTask, special_ids_of
from lmforge.training.loop import TrainConfig, train

params = yaml.safe_load(open("conf/base/parameters_pretraining.yml"))["pretraining"]
training = {**params["training"], **json.loads(sys.argv[1])}
tokenizer = load_tokenizer("data/06_models/pretrained")
objective, data = params["objective"], params["data"]
model = build_language_model(
    objective, ModelConfig(**params["model"]).to_hf(objective, tokenizer), training["seed"]
)
task = LanguageModelingTask(
    PackedTokens("data/04_feature/pretrain_tokens"), objective, special_ids_of(tokenizer),
    seq_len=data["seq_len"], seed=training["seed"], val_fraction=data["val_fraction"],
    mask_probability=data["mask_probability"], eval_windows=data["eval_windows"],
    pack_documents=data["pack_documents"],
)
result = train(model, task, TrainConfig.from_dict(training))
print(json.dumps([r["tokens_per_s"] for r in result.history if "tokens_per_s" in r]))
"""


def overrides(steps: int) -> dict[str, object]:
    return {
        "max_steps": steps,
        "budget_minutes": None,
        "eval_every": steps,
        "checkpoint_every": steps,
        "progress_bar": False,
    }


def run(args: list[str], project: Path) -> str:
    result = subprocess.run(args, cwd=project, env=project_env(), capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"{' '.join(args[:3])} failed:\n{result.stderr[-3000:]}")
    return result.stdout


def kedro_rates(project: Path, steps: int) -> list[float]:
    params = ",".join(
        f"pretraining.training.{k}={'null' if v is None else v}"
        for k, v in overrides(steps).items()
        if k != "progress_bar"
    )
    run([str(BIN / "kedro"), "run", "--pipelines", "pretraining", "--params", params], project)
    curves = (project / "data/08_reporting/pretraining_curves.csv").read_text().splitlines()
    header = curves[0].split(",")
    column = header.index("tokens_per_s")
    return [float(row.split(",")[column]) for row in curves[1:] if row.split(",")[column]]


def bare_rates(project: Path, steps: int) -> list[float]:
    output = run([sys.executable, "-c", BARE, json.dumps(overrides(steps))], project)
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--results", type=Path, default=RESULTS / "node_overhead.json")
    args = parser.parse_args()
    measured_at = commit()
    with tempfile.TemporaryDirectory() as tmp:
        project = copy_project(Path(tmp) / "project")
        run(
            [
                str(BIN / "kedro"),
                "run",
                "--pipelines",
                "data_processing,pretraining",
                "--params",
                "pretraining.training.max_steps=20,pretraining.training.budget_minutes=null",
            ],
            project,
        )
        medians: dict[str, list[float]] = {"kedro run": [], "bare script": []}
        for round_ in range(1, args.rounds + 1):
            for name, measure in (("kedro run", kedro_rates), ("bare script", bare_rates)):
                rates = measure(project, args.steps)[1:]  # the first window holds the warm-up
                medians[name].append(statistics.median(rates))
                print(f"round {round_} {name:11}: {medians[name][-1]:8,.0f} tokens/s", flush=True)
    k, s = (statistics.median(v) for v in medians.values())
    print(f"median of medians: kedro run {k:,.0f} tokens/s, bare script {s:,.0f}; k/s {k / s:.2f}")
    figures = {
        "kedro_run_tokens_per_s": [round(v) for v in medians["kedro run"]],
        "bare_script_tokens_per_s": [round(v) for v in medians["bare script"]],
        "median_ratio": round(k / s, 2),
    }
    setting = f"pretraining, {args.steps} steps, interleaved {args.rounds} times"
    record(args.results, {setting: figures}, measured_at)
    print(f"results: {args.results}")


if __name__ == "__main__":
    main()
