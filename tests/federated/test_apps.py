"""The ServerApp's bookkeeping without processes: FedAvg weights by the clients' row counts,
and a round proceeds or fails by `min_available_clients`."""

import json

import pytest
import torch
from flwr.app import ArrayRecord, MetricRecord, RecordDict
from flwr.serverapp.strategy.strategy_utils import aggregate_arrayrecords

from lmforge.federated.apps import EXAMPLES, ROUNDS_FILE, RoundRecorder
from lmforge.federated.weights import FederationSpec


def update(weight: float, rows: int, client: int) -> RecordDict:
    metrics = {EXAMPLES: rows, "train-loss": 0.5, "partition-id": client}
    return RecordDict(
        {"arrays": ArrayRecord({"w": torch.full((3,), weight)}), "metrics": MetricRecord(metrics)}
    )


def recorder(tmp_path, clients: int, minimum: int | None) -> RoundRecorder:
    federated = {"min_available_clients": minimum}
    spec = FederationSpec(base="", classes=["a", "b"], finetuning={"federated": federated})
    return RoundRecorder(tmp_path, spec, clients)


def test_fedavg_of_two_known_updates_is_their_row_weighted_average():
    averaged = aggregate_arrayrecords([update(1.0, 10, 0), update(4.0, 30, 1)], EXAMPLES)
    assert torch.allclose(averaged.to_torch_state_dict()["w"], torch.full((3,), 3.25))


def test_a_round_with_every_client_is_recorded(tmp_path):
    record = recorder(tmp_path, 2, None)
    aggregated = record.client_metrics([update(1.0, 10, 0), update(4.0, 30, 1)], EXAMPLES)
    assert aggregated["train-loss"] == pytest.approx(0.5)
    rounds = json.loads((tmp_path / ROUNDS_FILE).read_text())
    assert [(r["round"], r["partition-id"], r[EXAMPLES]) for r in rounds["clients"]] == [
        (1, 0, 10),
        (1, 1, 30),
    ]


def test_a_missing_client_fails_the_round_unless_fewer_updates_are_allowed(tmp_path):
    with pytest.raises(RuntimeError, match=r"1 of 2 clients sent an update \(no update from "):
        recorder(tmp_path, 2, None).client_metrics([update(1.0, 10, 0)], EXAMPLES)
    lenient = recorder(tmp_path, 2, 1)
    lenient.client_metrics([update(1.0, 10, 0)], EXAMPLES)  # proceeds
    assert lenient.rounds_trained == 1
