"""MLflow logging from anywhere: the driver, a Dask worker, or a torch.distributed rank.

`StepLogger` remembers the tracking URI and the run id of the run active when it was made and
logs through `MlflowClient`, so it pickles to other processes and keeps writing into the same
run there (one row per pipeline run in the UI).
"""

from __future__ import annotations

import math
import time
from typing import Any

import mlflow
from mlflow.entities import Metric
from mlflow.tracking import MlflowClient


class StepLogger:
    """A training callback: logs `prefix + name` metrics at each step into one run."""

    def __init__(
        self, prefix: str, run_id: str | None = None, tracking_uri: str | None = None
    ) -> None:
        active = mlflow.active_run()
        self.prefix = prefix
        self.run_id = run_id or (active.info.run_id if active else None)
        self.tracking_uri = tracking_uri or mlflow.get_tracking_uri()
        self._client: MlflowClient | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_client": None}

    def __call__(self, step: int, metrics: dict[str, float]) -> None:
        if self.run_id is None:
            return
        if self._client is None:
            self._client = MlflowClient(tracking_uri=self.tracking_uri)
        now = int(time.time() * 1000)
        batch = [
            Metric(f"{self.prefix}{name}", float(value), now, step)
            for name, value in metrics.items()
            if value is not None and math.isfinite(float(value))
        ]
        if batch:
            self._client.log_batch(self.run_id, metrics=batch)


def flat_metrics(values: dict[str, Any], prefix: str = "") -> dict[str, dict[str, float]]:
    """`{name: value}` as kedro-mlflow's MlflowMetricsHistoryDataset expects it."""
    return {
        f"{prefix}{k}": {"value": float(v), "step": 0}
        for k, v in values.items()
        if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
    }
