"""The champion gate under concurrency: evaluations with known scores finish at the same moment,
in separate processes, against a real tracking server on PostgreSQL (advisory lock) and against
the embedded sqlite store (file lock). The best must end as champion, every time, and no two
versions may win against the same champion."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from lmforge.tracking.gate_lock import GateLockError
from lmforge.tracking.registry import COMPARED_TAG, DECISION_TAG, promote_if_better
from tests.conftest import empty_mlflow_store

pytestmark = pytest.mark.e2e
MODEL = "race-classifier"
ROUNDS = ([0.71, 0.93, 0.82, 0.64], [0.95, 0.88, 0.97, 0.90])


def evaluate(tracking_uri: str, lock_uri: str | None, score: float, barrier) -> str:
    """One evaluation: a version with a run, then the gate, started with the others."""
    client = MlflowClient(tracking_uri)
    experiment = client.get_experiment_by_name("race").experiment_id
    run = client.create_run(experiment)
    version = client.create_model_version(
        MODEL, f"{run.info.artifact_uri}/model", run.info.run_id
    ).version
    barrier.wait(timeout=120)
    promote_if_better(
        client,
        MODEL,
        version,
        score,
        test_set="fingerprint",
        classes=["neg", "pos"],
        lock_uri=lock_uri,
    )
    return str(version)


def race(tracking_uri: str, lock_uri: str | None) -> None:
    client = MlflowClient(tracking_uri)
    client.create_experiment("race")
    client.create_registered_model(MODEL)
    # forked: the workers start with MLflow already imported (spawned ones took 5 s each)
    fork = multiprocessing.get_context("fork")
    scores: dict[str, float] = {}
    with fork.Manager() as manager, ProcessPoolExecutor(4, mp_context=fork) as pool:
        for round_scores in ROUNDS:
            barrier = manager.Barrier(len(round_scores))
            futures = {
                pool.submit(evaluate, tracking_uri, lock_uri, score, barrier): score
                for score in round_scores
            }
            scores |= {future.result(): score for future, score in futures.items()}
            best = max(scores, key=scores.get)
            champion = client.get_model_version_by_alias(MODEL, "champion")
            assert str(champion.version) == best, (scores, champion.version)

    # serialized decisions: each winner beat the champion of its moment, and no champion was
    # beaten twice (two winners against one stale champion is the race)
    versions = {v: client.get_model_version(MODEL, v) for v in scores}
    winners = [v for v, mv in versions.items() if mv.tags[DECISION_TAG].startswith("promoted")]
    beaten = [versions[v].tags[COMPARED_TAG] for v in winners]
    assert len(beaten) == len(set(beaten)), {v: versions[v].tags for v in winners}
    for winner in winners:
        previous = versions[winner].tags[COMPARED_TAG]
        assert previous == "none" or scores[winner] >= scores[previous]


def test_concurrent_evaluations_on_the_team_server_leave_the_best_as_champion(team):
    race(team.tracking_uri, team.lock_uri)


def test_concurrent_evaluations_on_the_sqlite_store_leave_the_best_as_champion(tmp_path: Path):
    race(empty_mlflow_store(tmp_path / "mlflow.db", tmp_path / "mlruns"), None)


def test_a_gate_lock_that_is_not_a_database_is_refused_by_name(tmp_path: Path):
    client = MlflowClient(empty_mlflow_store(tmp_path / "mlflow.db", tmp_path / "mlruns"))
    client.create_registered_model(MODEL)
    version = client.create_model_version(MODEL, str(tmp_path / "model")).version
    with pytest.raises(GateLockError, match=r"registry.gate_lock .* 'http://x'"):
        promote_if_better(client, MODEL, version, 0.5, lock_uri="http://x")
    assert not client.get_registered_model(MODEL).aliases
