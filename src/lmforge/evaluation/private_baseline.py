"""TF-IDF + logistic regression under a private classifier's DP guarantee: the baseline the
registry's gate compares a private model with (a non-private baseline is no alternative to a
model that must be private)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from lmforge.evaluation.baselines import tfidf_features
from lmforge.training.config import PrivacyConfig
from lmforge.training.privacy import PrivateTraining, noise_only_gradients


def _dense(matrix: Any) -> torch.Tensor:
    return torch.from_numpy(matrix.toarray().astype(np.float32))


class LinearObjective(nn.Module):
    """The mean cross-entropy of a linear layer over TF-IDF features (`model`: the layer)."""

    def __init__(self, n_features: int, n_classes: int) -> None:
        super().__init__()
        self.model = nn.Linear(n_features, n_classes)
        nn.init.zeros_(self.model.weight)
        nn.init.zeros_(self.model.bias)

    def forward(self, inputs: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return nn.functional.cross_entropy(self.model(inputs), labels)


class PrivateLinearModel:
    """The fitted baseline: `predict_proba` and `classes_` as a scikit-learn classifier has,
    and the `guarantee` its training spent."""

    def __init__(self, features: Any, layer: nn.Linear, guarantee: dict[str, Any]) -> None:
        self.features, self.layer, self.guarantee = features, layer, guarantee
        self.classes_ = np.arange(layer.out_features)

    @torch.no_grad()
    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        logits = self.layer(_dense(self.features.transform(list(texts))))
        return torch.softmax(logits, dim=-1).numpy()


def private_tfidf_logistic_regression(
    train_texts: Sequence[str],
    train_labels: np.ndarray,
    n_classes: int,
    privacy: dict[str, Any],
    epochs: int = 10,
    batch_size: int = 256,
    lr: float = 0.1,
    max_features: int = 2**12,
    seed: int = 42,
) -> PrivateLinearModel:
    """DP-SGD with Opacus, as the private fine-tuning runs it (`PrivateTraining`: Poisson
    batches, per-sample clipping at `max_grad_norm`, Gaussian noise calibrated so the planned
    steps spend `target_epsilon` at `delta`, the same accountant). As the private fine-tuning's
    tokenizer and pretraining do, the vocabulary and IDF weights read the training texts; the
    rows and labels reach the weights only through DP-SGD."""
    features = tfidf_features(max_features)
    matrix = features.fit_transform(list(train_texts)).tocsr()
    labels = torch.tensor(np.asarray(train_labels), dtype=torch.long)  # a copy: may be read-only
    keys = ("target_epsilon", "delta", "max_grad_norm", "accountant")
    config = PrivacyConfig.from_dict({"enabled": True, **{k: privacy[k] for k in keys}})
    n_rows = matrix.shape[0]
    steps = max(1, epochs * n_rows // min(batch_size, n_rows))
    plan = PrivateTraining(config, n_rows, batch_size, steps, seed)
    torch.manual_seed(seed)
    objective = LinearObjective(matrix.shape[1], n_classes)
    optimizer = torch.optim.Adam(objective.parameters(), lr=lr)
    private_objective, private_optimizer = plan.attach(objective, optimizer)
    for step in range(steps):
        rows = plan.rows(step)
        private_optimizer.zero_grad()
        if len(rows):
            private_objective(_dense(matrix[rows]), labels[rows]).backward()
        else:
            noise_only_gradients(objective)
        private_optimizer.step()
    plan.detach(objective)
    return PrivateLinearModel(features, objective.model, plan.describe(steps))
