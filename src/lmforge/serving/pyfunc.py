"""The classifier as an MLflow pyfunc model: raw text in, label and probabilities out.

`predict` applies `clean_texts` (the data pipeline's own cleaning) and the model's tokenizer
before the forward pass, so serving sees exactly what training saw. An empty or null text
gets a row with no label and `flag = "empty_text"`, a value that is not a string gets
`flag = "non_string_text"` (never converted), instead of failing the batch.

Requests are bounded (the model's `model_config`, from `registry.serving`): at most
`max_rows` rows (more is refused with a 400 that names the limit), each text cut to
`max_text_chars` characters before cleaning and tokenization, `batch_size` ≥ 1.
"""

from __future__ import annotations

from typing import Any

import mlflow.pyfunc
import numpy as np
import pandas as pd

from lmforge.data.cleaning import clean_texts
from lmforge.modeling.side_files import SERVING_FILE

EMPTY_FLAG = "empty_text"
NON_STRING_FLAG = "non_string_text"
# Limits of a model logged without `model_config` (the parameters normally set them).
FALLBACK_LIMITS = {"max_rows": 1000, "max_text_chars": 5000}


def bad_request(message: str) -> Exception:
    """An error the MLflow scoring server answers with HTTP 400 and the message."""
    from mlflow.exceptions import MlflowException
    from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE

    return MlflowException(message, error_code=INVALID_PARAMETER_VALUE)


def as_text_frame(model_input: Any) -> pd.DataFrame:
    """Accept a DataFrame with a `text` column, a Series, a list of strings, or one string."""
    if isinstance(model_input, str):
        return pd.DataFrame({"text": [model_input]})
    if isinstance(model_input, pd.DataFrame):
        if "text" not in model_input.columns:
            raise ValueError(f"input needs a 'text' column (got {list(model_input.columns)})")
        return model_input
    return pd.DataFrame({"text": list(model_input)})


def bounded_texts(values: pd.Series, max_chars: int) -> tuple[pd.Series, np.ndarray]:
    """The strings cut to `max_chars` (others become null), and which values were not strings
    (numbers, lists, …: flagged, never converted)."""
    is_string = values.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
    missing = values.map(lambda v: v is None or (isinstance(v, float) and np.isnan(v)))
    non_string = ~is_string & ~missing.to_numpy(dtype=bool)
    texts = values.where(is_string, None).astype("string").str.slice(0, max_chars)
    return texts.reset_index(drop=True), non_string


def batch_size_of(params: dict[str, Any] | None) -> int:
    value = (params or {}).get("batch_size", 64)
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise bad_request(f"batch_size must be an integer >= 1, got {value!r}")
    return int(value)


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
        config = getattr(context, "model_config", None) or {}
        self.limits = {k: int(config.get(k, v)) for k, v in FALLBACK_LIMITS.items()}

    def predict(
        self, context: Any, model_input: pd.DataFrame, params: dict[str, Any] | None = None
    ) -> pd.DataFrame:
        """A DataFrame with a `text` column (or a list of texts) → labels and probabilities.
        MLflow hands the input over as the logged signature's DataFrame; a DataFrame hint is
        one MLflow infers no schema from, so the signature stays the one logged."""
        from lmforge.classification.inference import predict_proba

        frame = as_text_frame(model_input)
        if len(frame) > self.limits["max_rows"]:
            raise bad_request(
                f"{len(frame)} rows in one request; the limit is max_rows="
                f"{self.limits['max_rows']} (registry.serving.max_rows): split the request"
            )
        batch_size = batch_size_of(params)
        raw, non_string = bounded_texts(frame["text"], self.limits["max_text_chars"])
        texts = clean_texts(raw)
        scored = texts.notna() & (texts.str.len() > 0)
        probabilities = predict_proba(
            self.model, self.tokenizer, texts[scored].tolist(), self.max_length, batch_size
        )
        out = prediction_frame(texts, probabilities, self.classes)
        out.loc[non_string, "flag"] = NON_STRING_FLAG
        return out
