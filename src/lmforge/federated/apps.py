"""Flower's ServerApp (FedAvg over the clients, the global model validated every round) and
ClientApp (local epochs with the shared training loop). Flower starts them in their own
processes (`flwr-serverapp` under the SuperLink, `flwr-clientapp` under each SuperNode); the
thin modules in `flower_app/` point Flower at them.

Configuration they read:
- run config (`flwr run --run-config`): `spec` (`weights.FederationSpec` as JSON),
  `validation-path` (the server's validation rows), `out-dir`, `clients`;
- node config (`flower-supernode --node-config`): `data-path` (this client's labeled rows, a
  parquet file with `text` and `label`), `partition-id`, `threads`.
"""

from __future__ import annotations

import json
import time
from logging import WARNING
from pathlib import Path
from typing import Any

import pandas as pd
import torch
from flwr.app import ArrayRecord, ConfigRecord, Context, Message, MetricRecord, RecordDict
from flwr.clientapp import ClientApp
from flwr.common.logger import log
from flwr.serverapp import Grid, ServerApp
from flwr.serverapp.strategy import FedAvg
from flwr.serverapp.strategy.strategy_utils import aggregate_metricrecords
from safetensors.torch import save_file

from lmforge.classification.finetune import classification_task
from lmforge.federated.weights import FederationSpec, build_model, load_shared, shared_state
from lmforge.tracking.mlflow_logging import StepLogger
from lmforge.training.config import TrainConfig
from lmforge.training.device import resolve_device, resolve_precision
from lmforge.training.loop import train
from lmforge.training.objectives import ClassificationObjective

EXAMPLES = "num-examples"  # FedAvg weights each client's update by this

GLOBAL_WEIGHTS = "global.safetensors"  # in out-dir: the final global model's shared weights
ROUNDS_FILE = "rounds.json"  # in out-dir: each round's global validation, each client's figures

client_app = ClientApp()
server_app = ServerApp()


@client_app.train()
def train_round(msg: Message, context: Context) -> Message:
    """One round on this client: load the global weights, train `local_epochs` over the local
    rows with the shared loop, send back the trained weights, the row count and the loss."""
    torch.set_num_threads(int(context.node_config.get("threads", 1)))
    spec = FederationSpec.from_json(str(context.run_config["spec"]))
    client = int(context.node_config["partition-id"])
    rows = pd.read_parquet(str(context.node_config["data-path"]))
    round_number = int(msg.content["config"]["server-round"])
    model, tokenizer, max_length = build_model(spec)
    load_shared(model, msg.content["arrays"].to_torch_state_dict())
    config = TrainConfig.from_dict(spec.round_training(round_number, client))
    task = classification_task(
        tokenizer,
        rows,
        rows.head(64),  # the loop's end-of-training check; the global validation is the server's
        list(spec.classes),
        max_length,
        config.seed,
        spec.settings.class_weighted_loss,
    )
    started = time.perf_counter()
    result = train(model, task, config)
    losses = [row["train_loss"] for row in result.history if "train_loss" in row]
    metrics = {
        EXAMPLES: len(rows),
        "train-loss": sum(losses) / len(losses) if losses else float("nan"),
        "steps": result.steps,
        "seconds": time.perf_counter() - started,
        "partition-id": client,
    }
    content = RecordDict(
        {"arrays": ArrayRecord(shared_state(model)), "metrics": MetricRecord(metrics)}
    )
    return Message(content=content, reply_to=msg)


class RoundRecorder:
    """Keeps each round's figures in `rounds.json` (rewritten as rounds finish) and, when the
    node passed its MLflow run, logs them there: `federated.val_*` for the global model,
    `federated.client_<i>.num_examples|train_loss` for each client, step = round."""

    def __init__(self, out_dir: Path, spec: FederationSpec, clients: int) -> None:
        self.path, self.clients = out_dir / ROUNDS_FILE, clients
        self.minimum = spec.finetuning["federated"].get("min_available_clients") or clients
        self.record: dict[str, list[dict[str, Any]]] = {"global": [], "clients": []}
        self.logger = (
            StepLogger("federated.", spec.mlflow_run_id, spec.tracking_uri)
            if spec.mlflow_run_id
            else None
        )
        self.rounds_trained = 0

    def global_metrics(self, round_number: int, metrics: dict[str, float]) -> None:
        self.record["global"].append({"round": round_number, **metrics})
        self._emit(round_number, metrics)

    def client_metrics(self, replies: list[RecordDict], weighted_by: str) -> MetricRecord:
        """FedAvg's `train_metrics_aggr_fn`, called with the updates that arrived: the round
        proceeds with at least `min_available_clients` of them (a warning names the missing
        clients), and fails below that."""
        self.rounds_trained += 1
        answered = {int(dict(reply["metrics"])["partition-id"]) for reply in replies}
        missing = sorted(set(range(self.clients)) - answered)
        if len(replies) < self.minimum:
            raise RuntimeError(
                f"federated round {self.rounds_trained}: {len(replies)} of {self.clients} "
                f"clients sent an update (no update from client(s) {missing}), fewer than "
                f"finetuning.federated.min_available_clients = {self.minimum}; see the "
                "SuperNode logs"
            )
        if missing:
            log(
                WARNING,
                "federated round %d: proceeding with %d of %d client updates (no update from "
                "client(s) %s; finetuning.federated.min_available_clients = %d)",
                self.rounds_trained,
                len(replies),
                self.clients,
                missing,
                self.minimum,
            )
        emitted: dict[str, float] = {}
        for reply in replies:
            metrics = dict(reply["metrics"])
            client = int(metrics["partition-id"])
            self.record["clients"].append({"round": self.rounds_trained, **metrics})
            emitted[f"client_{client}.num_examples"] = float(metrics[EXAMPLES])
            emitted[f"client_{client}.train_loss"] = float(metrics["train-loss"])
        self._emit(self.rounds_trained, emitted)
        return aggregate_metricrecords(replies, weighted_by)

    def _save(self) -> None:
        self.path.write_text(json.dumps(self.record, indent=1), encoding="utf-8")

    def _emit(self, step: int, metrics: dict[str, float]) -> None:
        self._save()
        if self.logger is not None:
            self.logger(step, metrics)

    def chosen_round(self, round_number: int) -> None:
        """The round whose global model is the result (the best validated one)."""
        self.record["chosen_round"] = round_number
        self._save()

    def close(self) -> None:
        if self.logger is not None:
            self.logger.flush()


@server_app.main()
def serve(grid: Grid, context: Context) -> None:
    """FedAvg for `rounds` rounds over every client, the global model validated before the
    first round and after each; the result's shared weights go to `out-dir/global.safetensors`:
    the best validated round's with `training.restore_best` (as in a centralized run), else
    the last round's."""
    spec = FederationSpec.from_json(str(context.run_config["spec"]))
    out_dir = Path(str(context.run_config["out-dir"]))
    clients = int(context.run_config["clients"])
    federated = spec.finetuning["federated"]
    model, tokenizer, max_length = build_model(spec)
    validation = pd.read_parquet(str(context.run_config["validation-path"]))
    task = classification_task(
        tokenizer, validation, validation, list(spec.classes), max_length, spec.seed
    )
    training = TrainConfig.from_dict(spec.finetuning["training"])
    device = resolve_device(training.device)
    precision = resolve_precision(training.precision, device)
    recorder = RoundRecorder(out_dir, spec, clients)
    best: dict[str, Any] = {"score": float("-inf"), "weights": None}

    def validate(round_number: int, arrays: ArrayRecord) -> MetricRecord:
        weights = arrays.to_torch_state_dict()
        load_shared(model, weights)
        objective = ClassificationObjective(model).to(device).eval()
        metrics = task.evaluate(objective, device, precision, training.eval_batch_size)
        model.cpu()
        recorder.global_metrics(round_number, metrics)
        if round_number > 0 and metrics["val_macro_f1"] > best["score"]:
            best.update(score=metrics["val_macro_f1"], weights=weights, round=round_number)
        return MetricRecord(metrics)

    strategy = FedAvg(
        fraction_evaluate=0.0,  # the global model is validated here, on the server's rows
        min_train_nodes=clients,
        min_available_nodes=clients,
        weighted_by_key=EXAMPLES,
        train_metrics_aggr_fn=recorder.client_metrics,
    )
    timeout = 60.0 * float(federated["timeout_minutes"])
    result = strategy.start(
        grid=grid,
        initial_arrays=ArrayRecord(shared_state(model)),
        num_rounds=int(federated["rounds"]),
        timeout=timeout,
        train_config=ConfigRecord(),
        evaluate_fn=validate,
    )
    recorder.close()
    if recorder.rounds_trained != int(federated["rounds"]):
        raise RuntimeError(
            f"federated training finished {recorder.rounds_trained} of {federated['rounds']} "
            "rounds (no client update arrived in the others; see the SuperNode logs)"
        )
    final = result.arrays.to_torch_state_dict()
    if training.restore_best and best["weights"] is not None:  # as a centralized run does
        final = best["weights"]
        recorder.chosen_round(best["round"])
    weights = {k: v.contiguous() for k, v in final.items()}
    save_file(weights, str(out_dir / GLOBAL_WEIGHTS))
