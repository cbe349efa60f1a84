"""Which client holds which labeled training row."""

from __future__ import annotations

import numpy as np
import pandas as pd

from lmforge.federated.config import FederatedConfig, FederatedConfigError


def assign_clients(train: pd.DataFrame, federated: FederatedConfig) -> np.ndarray:
    """Each row's client index (0 … N-1).

    - `partition_by`: one client per value of that column (a data owner each);
    - `dirichlet_alpha`: each label's rows are shared out by proportions drawn from
      Dirichlet(α) over the clients (small α: each client sees mostly a few labels);
    - neither: IID — each label's rows dealt round-robin in a shuffled order, so the clients
      get equal shares and the same label mix.

    An augmented copy keeps its original's `row_id` and follows it to the same client.
    """
    if federated.partition_by is not None:
        return _by_column(train, federated.partition_by)
    if "augmented" in train.columns and "row_id" in train.columns:
        originals = train[~train["augmented"].astype(bool)]
        owner = dict(zip(originals["row_id"], _draw(originals, federated)))
        return train["row_id"].map(owner).to_numpy(dtype=np.int64)
    return _draw(train, federated)


def _draw(train: pd.DataFrame, federated: FederatedConfig) -> np.ndarray:
    n, rng = federated.clients, np.random.default_rng(federated.seed)
    if len(train) < n:
        raise FederatedConfigError(
            f"finetuning.federated.clients is {n} but there are {len(train)} labeled training "
            "rows: every client needs at least one"
        )
    clients = np.empty(len(train), dtype=np.int64)
    labels = train["label"].to_numpy()
    for label in sorted(pd.unique(labels)):
        rows = rng.permutation(np.flatnonzero(labels == label))
        if federated.dirichlet_alpha is None:
            clients[rows] = (np.arange(len(rows)) + rng.integers(n)) % n
        else:
            shares = rng.dirichlet(np.full(n, federated.dirichlet_alpha))
            cuts = (np.cumsum(shares)[:-1] * len(rows)).round().astype(int)
            for client, part in enumerate(np.split(rows, cuts)):
                clients[part] = client
    empty = sorted(set(range(n)) - set(clients.tolist()))
    if empty:
        raise FederatedConfigError(
            f"finetuning.federated: client(s) {empty} got no training rows "
            f"({len(train)} rows over {n} clients, dirichlet_alpha={federated.dirichlet_alpha}); "
            "use fewer clients, a larger alpha or more labeled rows"
        )
    return clients


def _by_column(train: pd.DataFrame, column: str) -> np.ndarray:
    if column not in train.columns:
        raise FederatedConfigError(
            f"finetuning.federated.partition_by: column '{column}' not in the training rows "
            f"(columns: {sorted(train.columns)})"
        )
    values = train[column].astype("string").fillna("<missing>")
    owners = sorted(pd.unique(values))
    if len(owners) < 2:
        raise FederatedConfigError(
            f"finetuning.federated.partition_by: column '{column}' has {len(owners)} distinct "
            f"value(s) ({owners}); a federation needs at least 2 clients"
        )
    return values.map({owner: i for i, owner in enumerate(owners)}).to_numpy(dtype=np.int64)


def client_names(train: pd.DataFrame, federated: FederatedConfig) -> list[str]:
    """A readable name per client index (the column's value, or `client-i`)."""
    if federated.partition_by is not None:
        values = train[federated.partition_by].astype("string").fillna("<missing>")
        return [str(v) for v in sorted(pd.unique(values))]
    return [f"client-{i}" for i in range(federated.clients)]
