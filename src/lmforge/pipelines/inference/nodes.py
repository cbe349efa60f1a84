"""Nodes of the `inference` pipeline."""

from __future__ import annotations

from typing import Any

import pandas as pd

from lmforge.parameters import typed_settings
from lmforge.parameters.inference import Inference


@typed_settings
def score_texts(model: Any, inputs: pd.DataFrame, inference: Inference) -> pd.DataFrame:
    """The input rows with the predicted label, one probability column per class, and a
    `flag` for rows that could not be scored (empty or null text)."""
    column = inference.text_column
    if column not in inputs.columns:
        raise ValueError(
            f"inference input has no text column '{column}' "
            f"(columns: {list(inputs.columns)}); set inference.text_column"
        )
    texts = pd.DataFrame({"text": inputs[column].astype("string")})
    predictions = model.predict(texts, params={"batch_size": inference.batch_size})
    overlap = [c for c in predictions.columns if c in inputs.columns]
    kept = inputs.drop(columns=overlap).reset_index(drop=True)
    return pd.concat([kept, predictions.reset_index(drop=True)], axis=1)
