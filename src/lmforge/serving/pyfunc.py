"""The classifier as an MLflow pyfunc model: raw text in, label and probabilities out.

`predict` applies `clean_texts` (the data pipeline's own cleaning) and the model's tokenizer
before the forward pass, so serving sees exactly what training saw. An empty or null text
gets a row with no label and `flag = "empty_text"` instead of failing the batch.
"""

from __future__ import annotations

from typing import Any

import mlflow.pyfunc
import numpy as np
import pandas as pd

from lmforge.data.cleaning import clean_texts
from lmforge.modeling.side_files import SERVING_FILE

EMPTY_FLAG = "empty_text"


def as_text_frame(model_input: Any) -> pd.DataFrame:
    """Accept a DataFrame with a `text` column, a Series, or a list of strings."""
    if isinstance(model_input, pd.DataFrame):
        if "text" not in model_input.columns:
            raise ValueError(f"input needs a 'text' column (got {list(model_input.columns)})")
        return model_input
    return pd.DataFrame({"text": list(model_input)})


def prediction_frame(
    texts: pd.Series, probabilities: np.ndarray, classes: list[str]
) -> pd.DataFrame:
    """Label, one `prob_<class>` column per class, and a flag for rows that were not scored."""
    scored = texts.notna() & (texts.str.len() > 0)
    out = pd.DataFrame(index=texts.index)
    labels = pd.Series(None, index=texts.index, dtype=object)
    if len(probabilities):
        labels[scored.to_numpy()] = [classes[i] for i in probabilities.argmax(axis=1)]
    out["label"] = labels
    for i, name in enumerate(classes):
        column = np.full(len(texts), np.nan)
        column[scored.to_numpy()] = probabilities[:, i] if len(probabilities) else []
        out[f"prob_{name}"] = column
    out["flag"] = np.where(scored.to_numpy(), None, EMPTY_FLAG)
    return out.reset_index(drop=True)


class TextClassifierModel(mlflow.pyfunc.PythonModel):
    """Loads the classifier folder logged as the `model` artifact."""

    def load_context(self, context: Any) -> None:
        from lmforge.modeling.artifacts import ModelRef

        ref = ModelRef(context.artifacts["model"])
        serving = ref.side_file(SERVING_FILE) or {}
        self.model = ref.load_classifier().eval()
        self.tokenizer = ref.tokenizer()
        self.classes = list(
            serving.get("classes")
            or [self.model.config.id2label[i] for i in range(self.model.config.num_labels)]
        )
        self.max_length = int(serving.get("max_length", 128))

    def predict(self, context, model_input, params=None):  # untyped: MLflow reads the hints
        """A DataFrame with a `text` column (or a list of texts) → labels and probabilities."""
        from lmforge.modeling.inference import predict_proba

        frame = as_text_frame(model_input)
        texts = clean_texts(frame["text"].astype("string").reset_index(drop=True))
        scored = texts.notna() & (texts.str.len() > 0)
        batch_size = int((params or {}).get("batch_size", 64))
        probabilities = predict_proba(
            self.model, self.tokenizer, texts[scored].tolist(), self.max_length, batch_size
        )
        return prediction_frame(texts, probabilities, self.classes)
