"""What federation costs: macro-F1 of federated vs centralized fine-tuning, built-in data.

    python benchmarks/federated.py [--clients 4] [--rounds 4] [--local-epochs 1]
                                   [--alpha 0.3] [--strategy full] [--client-batch-size B]
                                   [--settings centralized,iid,dirichlet,centralized-small]
                                   [--keep DIR]

One real `kedro run --pipelines data_processing,pretraining` (the defaults) in a temporary copy
of the project, then, from that pretrained model, the fine-tuning recipe three ways, scored on
the same test split: centralized (`rounds x local_epochs` epochs, no time budget, so every run
does the same work whatever the machine's load), federated with IID shares (FedAvg with
Flower's deployment engine: a SuperLink and one SuperNode per client as processes on
loopback), and federated with label-skewed shares (Dirichlet(alpha) over labels: non-IID).
Each client's batch is the centralized batch / clients by default, so an averaged round step
covers as many rows as a centralized step and both runs take as many sequential steps
(`centralized-small`: the centralized run at the clients' batch, for reference).
Target (issue): IID within 2 macro-F1 points of centralized.
The figures go to benchmarks/results/federated.json (docs/federated.md's table comes from
there), one entry per setting and pretrained model (`--pretrained-label`).
"""

from __future__ import annotations

import argparse
import copy
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.recording import RESULTS, commit, record  # noqa: E402
from tests.conftest import pretrained_project, primary_splits  # noqa: E402
from tests.pipelines.conftest import load_parameters  # noqa: E402

TARGET_POINTS = 2.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--local-epochs", type=float, default=1.0)
    parser.add_argument("--alpha", type=float, default=0.3)
    parser.add_argument("--strategy", default="full")
    parser.add_argument("--client-batch-size", type=int, default=None)
    parser.add_argument("--settings", default="centralized,iid,dirichlet")
    parser.add_argument("--keep", default=None, help="work in this folder and keep it")
    parser.add_argument(
        "--pretrained-label",
        default="default pretraining",
        help="how the model in --keep DIR was pretrained, for the results file",
    )
    parser.add_argument("--results", type=Path, default=RESULTS / "federated.json")
    args = parser.parse_args()
    measured_at = commit()
    workdir = Path(args.keep or tempfile.mkdtemp(prefix="lmforge-federated-"))
    project = pretrained_project(workdir)

    from lmforge.evaluation.comparison import fine_tuned_scores
    from lmforge.modeling.artifacts import ModelRef

    train, validation, test = primary_splits(project)
    classes = sorted(test["label"].unique().tolist())
    base = load_parameters()["finetuning"]
    base["strategy"] = args.strategy
    base["training"].update(
        budget_minutes=None,
        progress_bar=False,
        epochs=args.rounds * args.local_epochs,
        early_stopping_patience=None,
    )
    base["federated"].update(
        clients=args.clients, rounds=args.rounds, local_epochs=args.local_epochs
    )
    init = ModelRef(str(project / "data/06_models/pretrained"))
    batch = base["training"]["batch_size"]
    client_batch = args.client_batch_size or max(1, batch // args.clients)
    print(
        f"{len(train)} training rows, {len(test)} test rows, {args.clients} clients, "
        f"{args.rounds} rounds x {args.local_epochs:g} local epochs, strategy {args.strategy}, "
        f"batch {batch} (centralized) / {client_batch} (each client)"
    )
    print(f"{'setting':28s} {'macro-F1':>8s} {'accuracy':>8s} {'min':>5s}")
    settings = {
        "centralized": ("centralized", {"enabled": False}),
        "centralized-small": (f"centralized, batch {client_batch}", {"enabled": False}),
        "iid": ("federated, IID", {"enabled": True}),
        "dirichlet": (
            f"federated, Dirichlet α={args.alpha:g}",
            {"enabled": True, "dirichlet_alpha": args.alpha},
        ),
    }
    results = {}
    entries = {}
    for key in args.settings.split(","):
        name, federated = settings[key]
        params = copy.deepcopy(base)
        params["federated"].update(federated)
        if federated["enabled"] or key == "centralized-small":
            params["training"]["batch_size"] = client_batch
        start = time.perf_counter()
        scores = fine_tuned_scores(
            init, train, validation, test, classes, params, 64, None, "bench", ""
        )
        minutes = (time.perf_counter() - start) / 60
        results[name] = scores["macro_f1"]
        entries[f"{name} · {args.pretrained_label} · dropout {params['dropout']:g}"] = {
            "setting": name,
            "pretrained": args.pretrained_label,
            "clients": args.clients if federated["enabled"] else None,
            "rounds": args.rounds,
            "local_epochs": args.local_epochs,
            "batch_size": params["training"]["batch_size"],
            "finetuning_dropout": params["dropout"],
            "macro_f1": round(scores["macro_f1"], 3),
            "accuracy": round(scores["accuracy"], 3),
            "wall_min": round(minutes, 1),
        }
        print(
            f"{name:28s} {scores['macro_f1']:8.3f} {scores['accuracy']:8.3f} {minutes:5.1f}",
            flush=True,
        )
    record(args.results, entries, measured_at)
    print(f"results: {args.results}")
    if {"centralized", "federated, IID"} <= set(results):
        gap = 100 * (results["centralized"] - results["federated, IID"])
        verdict = "met" if gap <= TARGET_POINTS else "MISSED"
        print(
            f"federated IID is {gap:.1f} points below centralized "
            f"(target ≤ {TARGET_POINTS:.0f}): {verdict}"
        )


if __name__ == "__main__":
    main()
