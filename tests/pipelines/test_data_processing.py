import pandas as pd
import pytest

from lmforge.data.cleaning import dedup_keys
from lmforge.data.schemas import DataValidationError
from lmforge.data.sources import SourceError
from lmforge.pipelines.data_processing import create_pipeline, nodes
from tests.pipelines.conftest import run_in_memory


def test_pipeline_slice_on_the_builtin_source(params):
    catalog = run_in_memory(create_pipeline(), params)
    raw = catalog.load("raw_corpus")
    train, validation, test = (catalog.load(n) for n in ("train", "validation", "test"))
    pretrain = catalog.load("pretrain_corpus")
    rejected = catalog.load("rejected_rows")
    assert len(raw) == params["source"]["builtin"]["n_documents"]
    # nothing is lost: every raw row is kept, set aside with a reason, or deliberately unused
    assert len(catalog.load("validated_corpus")) + len(rejected) == len(raw)
    assert rejected["reason"].notna().all() and rejected["row_id"].is_unique
    assert set(rejected["reason"].str.split("; ").explode()) >= {
        "text:duplicate", "text:text_not_empty", "label:label_in_label_map"}
    # augmentation only on the training split, flagged
    assert train["augmented"].any() and "augmented" not in validation and "augmented" not in test
    # no normalized text in two splits, and no held-out text in the pretraining corpus
    held_out = set(dedup_keys(pd.concat([validation["text"], test["text"]])))
    assert not held_out & set(dedup_keys(train["text"]))
    assert not held_out & set(dedup_keys(pretrain["text"]))
    assert set(dedup_keys(train.loc[~train["augmented"], "text"])) <= set(
        dedup_keys(pretrain["text"]))
    label_map = catalog.load("label_map")
    assert label_map["classes"] == ["negative", "neutral", "positive"]
    assert set(train["label"]) <= set(label_map["classes"])
    metrics = catalog.load("data_quality_metrics")
    assert metrics["rows_raw"]["value"] == len(raw)
    assert metrics["rejected.text.duplicate"]["value"] > 0
    assert not catalog.load("rejected_sample").empty


def test_same_seed_same_splits(params):
    first = run_in_memory(create_pipeline(), params)
    second = run_in_memory(create_pipeline(), params)
    for name in ("train", "validation", "test", "pretrain_corpus", "rejected_rows"):
        pd.testing.assert_frame_equal(first.load(name), second.load(name))


def csv_source(tmp_path, body: str, **overrides):
    path = tmp_path / "input.csv"
    path.write_text(body, encoding="utf-8")
    return {"kind": "file", "path": str(path), "text_column": "text", "label_column": "label",
            "split_column": None, "unlabeled_path": None, "seed": 0, "builtin": {},
            **overrides}


def test_ingest_without_text_column_names_file_and_column(tmp_path):
    with pytest.raises(SourceError, match=r"input\.csv: column 'text' not found"):
        nodes.ingest_source(csv_source(tmp_path, "review,label\nok,pos\n"))


def test_ingest_non_utf8_names_the_file(tmp_path):
    source = csv_source(tmp_path, "")
    (tmp_path / "input.csv").write_bytes("text,label\n\xe9t\xe9,pos\n".encode("latin-1"))
    with pytest.raises(SourceError, match=r"input\.csv: not valid UTF-8"):
        nodes.ingest_source(source)


def run_data_nodes(raw: pd.DataFrame, params):
    clean, label_map, duplicates = nodes.clean_corpus(raw, params["cleaning"])
    return nodes.validate_corpus(clean, label_map, duplicates, params["cleaning"],
                                 params["validation"])


def raw_frame(texts, labels):
    frame = pd.DataFrame({"text": texts, "label": labels, "split": None, "source": "t"})
    return frame.astype("string[pyarrow]")


def test_all_empty_text_stops_with_the_check_name(params):
    raw = raw_frame(["", "  ", "\t", None], ["positive", "negative", None, "neutral"])
    with pytest.raises(DataValidationError, match="text_not_empty"):
        run_data_nodes(raw, params)


def test_invalid_labels_above_threshold_name_the_check(params):
    texts = [f"review number {i}" for i in range(20)]
    labels = ["positive"] * 5 + ["negative"] * 5 + ["neutral"] * 5 + ["Mixed"] * 5
    params["cleaning"]["labels"] = ["negative", "neutral", "positive"]
    with pytest.raises(DataValidationError, match=r"label:label_in_label_map: 5 row"):
        run_data_nodes(raw_frame(texts, labels), params)
    params["validation"]["max_reject_fraction"] = 0.3
    valid, rejected = run_data_nodes(raw_frame(texts, labels), params)
    assert len(valid) == 15 and (rejected["reason"] == "label:label_in_label_map").sum() == 5


def test_no_labeled_rows_at_all_stops_the_run(params):
    raw = raw_frame(["one text", "another text"], [None, None])
    with pytest.raises(DataValidationError, match="has_labeled_rows"):
        run_data_nodes(raw, params)


def test_duplicates_keep_the_labeled_copy(params):
    raw = raw_frame(["Great phone", "GREAT   phone", "ｇｒｅａｔ phone", "other"],
                    [None, "positive", "negative", "neutral"])
    clean, _, duplicates = nodes.clean_corpus(raw, params["cleaning"])
    assert clean["label"].tolist() == ["positive", "neutral"]
    assert sorted(duplicates["row_id"].tolist()) == [0, 2]
    assert (duplicates["reason"] == "text:duplicate").all()


def test_user_split_column_is_honoured(params):
    validated = pd.DataFrame({
        "text": [f"text {i}" for i in range(6)], "label": ["a", "b"] * 3,
        "split": ["test", "test", "validation", None, None, None], "source": "t",
        "row_id": range(6)}).astype({"text": "string[pyarrow]", "label": "string[pyarrow]",
                                     "split": "string[pyarrow]"})
    train, validation, test, pretrain = nodes.split_corpus(
        validated, {"ratios": {"train": 1.0}, "seed": 0})
    assert test["text"].tolist() == ["text 0", "text 1"]
    assert validation["text"].tolist() == ["text 2"]
    assert sorted(train["text"]) == ["text 3", "text 4", "text 5"]
    assert sorted(pretrain["text"]) == sorted(train["text"])
