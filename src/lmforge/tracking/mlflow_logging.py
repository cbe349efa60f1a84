"""MLflow logging from anywhere: the driver, a Dask worker, or a torch.distributed rank.

`StepLogger` remembers the tracking URI and the run id of the run active when it was made and
logs through `MlflowClient`, so it pickles to other processes and keeps writing into the same
run there (one row per pipeline run in the UI). MLflow is imported when a logger is made, not
with this module: the processes that train without logging (a Flower ClientApp) skip its
import (about a second).
"""

from __future__ import annotations

import logging
import math
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mlflow.entities import Metric
    from mlflow.tracking import MlflowClient

logger = logging.getLogger(__name__)


# Waits between attempts when the store refuses a write ("database is locked", a server
# restarting): short during training, longer for the final flush.
STEP_BACKOFF_S = (0.05, 0.2, 0.5)
FINAL_BACKOFF_S = (0.5, 1.0, 2.0, 4.0, 8.0)
UNLOGGED: list[StepLogger] = []  # loggers that still hold metrics the store refused


class TrackingUnavailableError(RuntimeError):
    """The MLflow store refused metrics even after retries (the models are saved)."""


def with_retries(write: Any, backoff: tuple[float, ...]) -> Exception | None:
    """Call `write` until it succeeds, waiting `backoff[i]` after failure i; the last error."""
    error: Exception | None = None
    for wait in (*backoff, None):
        try:
            write()
            return None
        except Exception as exc:  # sqlite "database is locked", HTTP 5xx, connection reset
            error = exc
            if wait is not None:
                time.sleep(wait)
    return error


class StepLogger:
    """A training callback: logs `prefix + name` metrics at each step into one run.

    A write the store refuses is retried with backoff; metrics it still refuses are kept and
    sent with the next step, so logging never stops training. `flush()` at the end retries
    longer; what it cannot send stays in `pending` and the logger in `UNLOGGED`, for
    `raise_if_unlogged` to report once the models are saved."""

    def __init__(
        self, prefix: str, run_id: str | None = None, tracking_uri: str | None = None
    ) -> None:
        import mlflow

        active = mlflow.active_run()
        self.prefix = prefix
        self.run_id = run_id or (active.info.run_id if active else None)
        self.tracking_uri = tracking_uri or mlflow.get_tracking_uri()
        self.pending: list[Metric] = []
        self.last_error: Exception | None = None
        self._client: MlflowClient | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_client": None, "last_error": None}

    def __call__(self, step: int, metrics: dict[str, float]) -> None:
        if self.run_id is None:
            return
        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        self.pending.extend(
            Metric(f"{self.prefix}{name}", float(value), now, step)
            for name, value in metrics.items()
            if value is not None and math.isfinite(float(value))
        )
        self._send(STEP_BACKOFF_S)

    def flush(self) -> bool:
        """Send what is pending, retrying longer; True when nothing is left."""
        if self.pending:
            self._send(FINAL_BACKOFF_S)
        if self.pending and self not in UNLOGGED:
            UNLOGGED.append(self)
        return not self.pending

    def _send(self, backoff: tuple[float, ...]) -> None:
        if not self.pending:
            return
        if self._client is None:
            from mlflow.tracking import MlflowClient

            self._client = MlflowClient(tracking_uri=self.tracking_uri)
        batch = list(self.pending)
        error = with_retries(lambda: self._client.log_batch(self.run_id, metrics=batch), backoff)
        if error is None:
            del self.pending[: len(batch)]
            self.last_error = None
        elif self.last_error is None:
            self.last_error = error
            logger.warning(
                "MLflow refused %d metrics of run %s (%s); training goes on and they are "
                "retried with the next step",
                len(batch),
                self.run_id,
                error,
            )


def raise_if_unlogged() -> None:
    """After the models are saved: one last try, then a clear error naming what is missing."""
    missing = [(log, len(log.pending)) for log in UNLOGGED if not log.flush()]
    UNLOGGED.clear()
    if missing:
        details = "; ".join(
            f"{count} `{log.prefix}*` metrics of run {log.run_id} ({log.last_error})"
            for log, count in missing
        )
        raise TrackingUnavailableError(
            f"The MLflow store at {missing[0][0].tracking_uri} stayed unavailable: {details}. "
            "The models and data outputs are saved; only these curves are missing from MLflow."
        )


def flat_metrics(values: dict[str, Any], prefix: str = "") -> dict[str, dict[str, float]]:
    """`{name: value}` as kedro-mlflow's MlflowMetricsHistoryDataset expects it."""
    return {
        f"{prefix}{k}": {"value": float(v), "step": 0}
        for k, v in values.items()
        if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
    }
