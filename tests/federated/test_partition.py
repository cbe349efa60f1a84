"""Which client holds which training row: by a column, IID, or label-skewed (Dirichlet)."""

import numpy as np
import pandas as pd
import pytest

from lmforge.federated.config import FederatedConfig, FederatedConfigError
from lmforge.federated.partition import assign_clients, client_names


def rows(n_per_label: int = 200, labels=("negative", "neutral", "positive")) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "row_id": np.arange(n_per_label * len(labels)),
            "text": [f"text {i}" for i in range(n_per_label * len(labels))],
            "label": [label for label in labels for _ in range(n_per_label)],
        }
    )
    frame["source"] = np.where(frame["row_id"] % 3 == 0, "shop-a", "shop-b")
    return frame


def label_shares(frame: pd.DataFrame, owners: np.ndarray) -> pd.DataFrame:
    return pd.crosstab(owners, frame["label"], normalize="index")


def test_iid_shares_are_equal_and_keep_the_label_mix():
    frame = rows()
    owners = assign_clients(frame, FederatedConfig(clients=4))
    counts = np.bincount(owners, minlength=4)
    assert counts.max() - counts.min() <= 3  # 600 rows, 3 labels dealt round-robin
    assert (label_shares(frame, owners) - 1 / 3).abs().to_numpy().max() < 0.02


def test_a_small_dirichlet_alpha_skews_each_clients_labels_and_is_reproducible():
    frame = rows()
    skewed = FederatedConfig(clients=4, dirichlet_alpha=0.3, seed=1)
    owners = assign_clients(frame, skewed)
    assert set(owners) == {0, 1, 2, 3}
    # most clients hold one label far above its 1/3 share
    assert (label_shares(frame, owners).max(axis=1) > 0.6).sum() >= 2
    assert np.array_equal(owners, assign_clients(frame, skewed))
    assert not np.array_equal(
        owners, assign_clients(frame, FederatedConfig(clients=4, dirichlet_alpha=0.3, seed=2))
    )


def test_one_client_per_value_of_the_partition_column():
    frame = rows()
    config = FederatedConfig(partition_by="source")
    owners = assign_clients(frame, config)
    assert client_names(frame, config) == ["shop-a", "shop-b"]
    assert (owners == (frame["source"] == "shop-b").to_numpy()).all()


def test_augmented_copies_stay_with_the_row_they_were_made_from():
    frame = rows().assign(augmented=False)
    copies = frame.sample(150, random_state=0).assign(augmented=True)
    both = pd.concat([frame, copies], ignore_index=True)
    owners = assign_clients(both, FederatedConfig(clients=4, dirichlet_alpha=1.0))
    by_row = pd.Series(owners).groupby(both["row_id"]).nunique()
    assert (by_row == 1).all()
    original = assign_clients(frame, FederatedConfig(clients=4, dirichlet_alpha=1.0))
    assert np.array_equal(owners[: len(frame)], original)


def test_partitions_that_cannot_work_say_why():
    frame = rows()
    with pytest.raises(FederatedConfigError, match=r"column 'shop' not in the training rows"):
        assign_clients(frame, FederatedConfig(partition_by="shop"))
    with pytest.raises(FederatedConfigError, match=r"1 distinct value\(s\)"):
        assign_clients(frame.assign(source="one"), FederatedConfig(partition_by="source"))
    with pytest.raises(FederatedConfigError, match=r"clients is 8 but there are 3 labeled"):
        assign_clients(rows(1), FederatedConfig(clients=8))
    with pytest.raises(FederatedConfigError, match=r"client\(s\) \[.*\] got no training rows"):
        assign_clients(rows(4), FederatedConfig(clients=8, dirichlet_alpha=0.01))
