import pandas as pd
import pytest

from lmforge.data.cleaning import STRING
from lmforge.data.schemas import (
    DataValidationError,
    LengthBounds,
    clean_schema,
    enforce_reject_budget,
    reject_invalid_rows,
    validate_raw,
)


def clean_frame(texts, labels, splits=None):
    n = len(texts)
    return pd.DataFrame({
        "text": pd.array(texts, dtype=STRING),
        "label": pd.array(labels, dtype=STRING),
        "split": pd.array(splits or [None] * n, dtype=STRING),
        "source": pd.array(["t"] * n, dtype=STRING),
        "row_id": pd.array(range(n), dtype="int64"),
    })


SCHEMA = clean_schema(["neg", "pos"], LengthBounds(min_chars=2, max_chars=20, max_tokens=3))


def test_rows_are_rejected_with_the_checks_they_failed():
    frame = clean_frame(["good one", "", "x" * 30, "fine", "one two three four", "ok"],
                        ["pos", None, "neg", "postive", None, "neg"],
                        [None, None, None, None, None, "dev"])
    valid, rejected = reject_invalid_rows(frame, SCHEMA)
    assert valid["text"].tolist() == ["good one"]
    reasons = dict(zip(rejected["text"], rejected["reason"]))
    assert reasons[""] == "text:text_not_empty"
    assert reasons["x" * 30] == "text:text_length_chars"
    assert reasons["fine"] == "label:label_in_label_map"
    assert reasons["one two three four"] == "text:text_length_tokens"
    assert reasons["ok"] == "split:split_value"


def test_table_level_failures_stop_the_run():
    frame = clean_frame(["a text"], [None])
    with pytest.raises(DataValidationError, match="has_labeled_rows"):
        reject_invalid_rows(frame, SCHEMA)
    with pytest.raises(DataValidationError, match="column_in_dataframe"):
        reject_invalid_rows(frame.drop(columns=["label"]), SCHEMA)
    with pytest.raises(DataValidationError, match="dtype"):
        validate_raw(pd.DataFrame({"text": [1], "label": ["a"], "split": ["b"],
                                   "source": ["c"]}).astype({"label": STRING, "split": STRING,
                                                             "source": STRING}))


def test_reject_budget_message_lists_checks_counts_and_examples():
    rejected = pd.DataFrame({"text": ["a", "b", "c"],
                             "reason": ["label:label_in_label_map"] * 2 + ["text:text_not_empty"]})
    enforce_reject_budget(rejected, 100, 0.2, "clean_corpus")
    with pytest.raises(DataValidationError) as err:
        enforce_reject_budget(rejected, 10, 0.2, "clean_corpus")
    message = str(err.value)
    assert "3 of 10 rows (30.0%)" in message
    assert "label:label_in_label_map: 2 row(s), e.g. 'a', 'b'" in message
    assert "max_reject_fraction" in message
