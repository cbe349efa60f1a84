"""Logging into a real sqlite MLflow store while writes are refused."""

import sqlite3

import pytest
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from lmforge.tracking import mlflow_logging
from lmforge.tracking.mlflow_logging import StepLogger, TrackingUnavailableError, raise_if_unlogged
from tests.conftest import empty_mlflow_store


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setattr(mlflow_logging, "STEP_BACKOFF_S", ())  # one attempt per step
    monkeypatch.setattr(mlflow_logging, "FINAL_BACKOFF_S", (0.01, 0.01))
    uri = empty_mlflow_store(tmp_path / "mlflow.db", tmp_path / "mlruns")
    client = MlflowClient(uri)
    run = client.create_run(client.create_experiment("locked", str(tmp_path / "art")))
    return tmp_path / "mlflow.db", uri, client, run.info.run_id


def steps(client: MlflowClient, run_id: str) -> list[int]:
    return sorted(m.step for m in client.get_metric_history(run_id, "t.loss"))


def short_busy_wait(monkeypatch) -> None:
    """MLflow's sqlite sessions wait 20 s for a lock (`PRAGMA busy_timeout = 20000`) before
    refusing a write: 1 s here, the same refusal sooner."""
    from mlflow.store.db import utils

    text = utils.sql.text
    shorter = "busy_timeout = 1000"
    monkeypatch.setattr(
        utils.sql, "text", lambda q: text(q.replace("busy_timeout = 20000", shorter))
    )


def test_metrics_refused_while_the_store_is_locked_are_sent_later(store, monkeypatch):
    path, uri, client, run_id = store
    short_busy_wait(monkeypatch)
    log = StepLogger("t.", run_id, uri)
    log(1, {"loss": 1.0})
    writer = sqlite3.connect(path)
    writer.execute("BEGIN EXCLUSIVE")  # "database is locked" (after MLflow's busy wait)
    log(2, {"loss": 0.5})  # refused: kept, training goes on
    assert [m.step for m in log.pending] == [2]
    assert "locked" in str(log.last_error)
    writer.rollback()
    writer.close()
    log(3, {"loss": 0.25})
    assert not log.pending and steps(client, run_id) == [1, 2, 3]


class Flaky:
    """The real client, refusing the first `failures` writes as a locked store would."""

    def __init__(self, client: MlflowClient, failures: int) -> None:
        self.client, self.failures = client, failures

    def log_batch(self, *args, **kwargs):
        if self.failures > 0:
            self.failures -= 1
            raise MlflowException("(sqlite3.OperationalError) database is locked")
        return self.client.log_batch(*args, **kwargs)


def test_retries_deliver_and_a_store_that_stays_down_ends_in_a_clear_error(store):
    _, uri, client, run_id = store
    log = StepLogger("t.", run_id, uri)
    log._client = Flaky(client, failures=1)
    log(1, {"loss": 1.0})  # one attempt per step: refused, kept
    assert len(log.pending) == 1
    assert log.flush() and steps(client, run_id) == [1]  # the final flush retries
    log._client = Flaky(client, failures=100)
    log(2, {"loss": 0.5})
    assert not log.flush()  # 3 attempts refused: reported after the outputs are saved
    with pytest.raises(TrackingUnavailableError, match=r"1 `t\.\*` metrics of run .*locked"):
        raise_if_unlogged()
    raise_if_unlogged()  # reported once
    log._client = client
    log(3, {"loss": 0.25})
    assert steps(client, run_id) == [1, 2, 3]  # nothing lost once the store is back
