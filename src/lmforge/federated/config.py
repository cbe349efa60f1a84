"""The `finetuning.federated` parameter block (torch-free: the parameter check imports it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class FederatedConfigError(ValueError):
    """A federated configuration that cannot work; raised before any training."""


@dataclass(frozen=True)
class FederatedConfig:
    enabled: bool = False
    clients: int = 4  # ignored with partition_by (one client per value of the column)
    partition_by: str | None = None  # a column of the training rows, e.g. `source`
    dirichlet_alpha: float | None = None  # None: IID; e.g. 0.3: label-skewed (non-IID)
    rounds: int = 5
    local_epochs: float = 1.0  # each client's epochs over its rows per round
    min_available_clients: int | None = None  # a round proceeds with this many updates (None: all)
    address: str = "127.0.0.1"  # where the SuperLink listens (loopback: one machine)
    timeout_minutes: float = 60.0  # the whole federation, start-up included
    seed: int = 42  # the partition draw

    @classmethod
    def from_dict(cls, params: dict[str, Any] | None) -> FederatedConfig:
        return cls(**{k: v for k, v in (params or {}).items() if v is not None or k in _NULLABLE})


_NULLABLE = {"partition_by", "dirichlet_alpha", "min_available_clients"}


def federated_problems(finetuning: dict[str, Any]) -> list[str]:
    """Why this `finetuning` block cannot fine-tune federated (empty: it can)."""
    federated = FederatedConfig.from_dict(finetuning.get("federated"))
    if not federated.enabled:
        return []
    problems = []
    if federated.partition_by is None and federated.clients < 2:
        problems.append("finetuning.federated.clients must be at least 2")
    if federated.partition_by is not None and federated.dirichlet_alpha is not None:
        problems.append(
            "finetuning.federated: set partition_by (one client per value of a column) or "
            "dirichlet_alpha (a label-skewed draw), not both"
        )
    if federated.dirichlet_alpha is not None and federated.dirichlet_alpha <= 0:
        problems.append("finetuning.federated.dirichlet_alpha must be positive")
    if federated.min_available_clients is not None and federated.min_available_clients < 1:
        problems.append(
            "finetuning.federated.min_available_clients must be at least 1, or null (every "
            "client, every round)"
        )
    if federated.rounds < 1 or federated.local_epochs <= 0:
        problems.append("finetuning.federated.rounds and local_epochs must be positive")
    if (finetuning.get("privacy") or {}).get("enabled"):
        problems.append(
            "finetuning.federated with finetuning.privacy: DP-SGD's guarantee is stated for one "
            "central dataset; federated DP (noise on the clients' updates) is not wired in. "
            "Enable one of the two"
        )
    if (finetuning.get("head_warmup") or {}).get("steps"):
        problems.append(
            "finetuning.federated: finetuning.head_warmup.steps must be 0 (the warm-up is a "
            "central pass over the training rows)"
        )
    if ((finetuning.get("training") or {}).get("devices") or 1) > 1:
        problems.append("finetuning.federated: training.devices must be 1 (one per client)")
    return problems
