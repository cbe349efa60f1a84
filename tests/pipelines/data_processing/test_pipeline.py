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
        "text:duplicate",
        "text:text_not_empty",
        "label:label_in_label_map",
    }
    # augmentation only on the training split, flagged
    assert train["augmented"].any() and "augmented" not in validation and "augmented" not in test
    # no normalized text in two splits, and no held-out text in the pretraining corpus
    held_out = set(dedup_keys(pd.concat([validation["text"], test["text"]])))
    assert not held_out & set(dedup_keys(train["text"]))
    assert not held_out & set(dedup_keys(pretrain["text"]))
    assert set(dedup_keys(train.loc[~train["augmented"], "text"])) <= set(
        dedup_keys(pretrain["text"])
    )
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


def csv_source(params, tmp_path, body: str):
    path = tmp_path / "input.csv"
    path.write_text(body, encoding="utf-8")
    return {**params["source"], "kind": "file", "path": str(path), "text_column": "text"}


def test_ingest_without_text_column_names_file_and_column(params, tmp_path):
    with pytest.raises(SourceError, match=r"input\.csv: column 'text' not found"):
        nodes.ingest_source(csv_source(params, tmp_path, "review,label\nok,pos\n"))


def test_ingest_non_utf8_names_the_file(params, tmp_path):
    source = csv_source(params, tmp_path, "")
    (tmp_path / "input.csv").write_bytes("text,label\n\xe9t\xe9,pos\n".encode("latin-1"))
    with pytest.raises(SourceError, match=r"input\.csv: not valid UTF-8"):
        nodes.ingest_source(source)


def run_data_nodes(raw: pd.DataFrame, params, label_column: str | None = "label"):
    clean, label_map, duplicates = nodes.clean_corpus(raw, params["cleaning"])
    return nodes.validate_corpus(
        clean, label_map, duplicates, params["cleaning"], params["validation"], label_column
    )


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
    raw = raw_frame(
        ["Great phone", "GREAT   phone", "ｇｒｅａｔ phone", "other"],
        [None, "positive", "positive", "neutral"],
    )
    params["cleaning"]["labels"] = ["negative", "neutral", "positive"]
    clean, _, duplicates = nodes.clean_corpus(raw, params["cleaning"])
    assert clean["label"].tolist() == ["positive", "neutral"]
    assert sorted(duplicates["row_id"].tolist()) == [0, 2]
    assert (duplicates["reason"] == "text:duplicate").all()


def test_duplicates_with_conflicting_labels_are_quarantined(params):
    raw = raw_frame(
        ["Great phone", "GREAT   phone", "ｇｒｅａｔ phone", "other"],
        [None, "positive", "negative", "neutral"],
    )
    params["cleaning"]["labels"] = ["negative", "neutral", "positive"]
    clean, _, set_aside = nodes.clean_corpus(raw, params["cleaning"])
    assert clean["text"].tolist() == ["other"]
    assert set_aside["row_id"].tolist() == [0, 1, 2]
    assert (set_aside["reason"] == "label:conflicting_labels").all()


def test_user_split_column_is_honoured(params):
    validated = pd.DataFrame(
        {
            "text": [f"text {i}" for i in range(6)],
            "label": ["a", "b"] * 3,
            "split": ["test", "test", "validation", None, None, None],
            "source": "t",
            "row_id": range(6),
        }
    ).astype({"text": "string[pyarrow]", "label": "string[pyarrow]", "split": "string[pyarrow]"})
    train, validation, test, pretrain = nodes.split_corpus(
        validated, {**params["split"], "ratios": {"train": 1.0}, "train_label_budget": None}
    )
    assert test["text"].tolist() == ["text 0", "text 1"]
    assert validation["text"].tolist() == ["text 2"]
    assert sorted(train["text"]) == ["text 3", "text 4", "text 5"]
    assert sorted(pretrain["text"]) == sorted(train["text"])


def file_params(params, tmp_path, frame: pd.DataFrame, **source):
    path = tmp_path / "corpus.csv"
    frame.to_csv(path, index=False)
    params["source"].update(kind="file", path=str(path), **source)
    params["augmentation"]["enabled"] = False
    return params


def test_an_unlabeled_glue_test_split_is_replaced_by_a_carved_one(params, tmp_path, caplog):
    rows = [(f"train sentence {i}", i % 2, "train") for i in range(60)]
    rows += [(f"dev sentence {i}", i % 2, "dev") for i in range(10)]
    rows += [(f"hidden test sentence {i}", -1, "test") for i in range(10)]
    frame = pd.DataFrame(rows, columns=["sentence", "label", "split"])
    file_params(params, tmp_path, frame, text_column="sentence", split_column="split")
    with caplog.at_level("WARNING"):
        catalog = run_in_memory(create_pipeline(), params)
    test, validation = catalog.load("test"), catalog.load("validation")
    assert len(validation) == 10 and validation["text"].str.startswith("dev").all()
    assert len(test) > 0 and test["text"].str.startswith("train").all()
    assert set(test["label"]) == {"0", "1"}
    assert "carving them from the" in caplog.text
    pretrain = set(catalog.load("pretrain_corpus")["text"])
    assert {f"hidden test sentence {i}" for i in range(10)} <= pretrain


def test_too_few_labeled_rows_for_a_test_split_stop_before_training(params, tmp_path):
    frame = pd.DataFrame({"text": ["only one labeled row", "unlabeled"], "label": [1, None]})
    file_params(params, tmp_path, frame)  # pandas writes the labels as "1.0" and ""
    params["cleaning"]["labels"] = [0, 1]
    with pytest.raises(Exception, match=r"split check failed: no labeled validation, test"):
        run_in_memory(create_pipeline(), params)


def test_seventy_seven_classes_are_all_kept(params, tmp_path):
    rows = [(f"intent {c} example {i}", f"intent_{c}") for c in range(77) for i in range(12)]
    rows += [("a typo label", "intnet_3")]
    file_params(params, tmp_path, pd.DataFrame(rows, columns=["text", "label"]))
    catalog = run_in_memory(create_pipeline(), params)
    assert len(catalog.load("label_map")["classes"]) == 77
    assert set(catalog.load("train")["label"]) == {f"intent_{c}" for c in range(77)}
    assert catalog.load("rejected_rows")["label"].tolist() == ["intnet_3"]


def test_a_rare_label_rejection_names_the_parameter(params):
    texts = [f"review number {i}" for i in range(20)]
    labels = ["positive"] * 8 + ["negative"] * 8 + ["mixed"] * 4
    params["validation"]["max_reject_fraction"] = 0.1
    rare = r"(?s)cleaning\.min_label_count=5.*'mixed' \(4\)"
    with pytest.raises(DataValidationError, match=rare):
        run_data_nodes(raw_frame(texts, labels), params)


def test_yaml_integer_class_list_matches_integer_labels(params, tmp_path):
    frame = pd.DataFrame({"text": [f"sentence {i}" for i in range(40)], "label": [0, 1] * 20})
    file_params(params, tmp_path, frame)
    params["cleaning"]["labels"] = [0, 1]
    catalog = run_in_memory(create_pipeline(), params)
    assert catalog.load("label_map")["classes"] == ["0", "1"]
    assert catalog.load("rejected_rows").empty


def test_label_column_null_gives_a_pretraining_corpus_only(params, tmp_path):
    frame = pd.DataFrame({"text": [f"plain text {i}" for i in range(30)], "label": [1] * 30})
    file_params(params, tmp_path, frame, label_column=None)
    catalog = run_in_memory(create_pipeline(), params)
    assert catalog.load("train").empty and catalog.load("test").empty
    assert len(catalog.load("pretrain_corpus")) == 30
