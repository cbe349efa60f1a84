import pandas as pd
import pytest

from lmforge.data.splitting import (
    LeakageError,
    apply_label_budget,
    assert_no_leakage,
    leaked_keys,
    stratified_split,
)


def test_stratified_split_keeps_class_ratios_and_is_seeded():
    labels = pd.Series(["a"] * 100 + ["b"] * 50)
    split = stratified_split(labels, {"train": 0.6, "validation": 0.2, "test": 0.2}, seed=3)
    counts = pd.crosstab(labels, split)
    assert counts.loc["a"].tolist() == [20, 60, 20]  # columns sorted: test, train, validation
    assert counts.loc["b"].tolist() == [10, 30, 10]
    assert split.equals(stratified_split(labels, {"train": 0.6, "validation": 0.2, "test": 0.2},
                                         seed=3))


def test_tiny_classes_still_land_somewhere():
    labels = pd.Series(["a", "b", "b"])
    split = stratified_split(labels, {"train": 0.5, "validation": 0.25, "test": 0.25}, seed=0)
    assert split.notna().all()


def test_label_budget_is_stratified():
    frame = pd.DataFrame({"label": ["a"] * 80 + ["b"] * 20, "text": map(str, range(100))})
    kept = apply_label_budget(frame, 10, seed=0)
    assert len(kept) == 10 and kept["label"].value_counts().to_dict() == {"a": 8, "b": 2}
    assert apply_label_budget(frame, None, seed=0) is frame


def test_leakage_is_detected_on_normalized_text():
    train = pd.DataFrame({"text": ["Great phone", "ok"]})
    test = pd.DataFrame({"text": ["GREAT PHONE"]})
    pretrain = pd.DataFrame({"text": ["ok", "unlabeled"]})
    frames = {"train": train, "test": test, "pretrain": pretrain}
    assert leaked_keys(frames, held_out=["test"]) == {"test&train": 1}
    with pytest.raises(LeakageError, match="test&train"):
        assert_no_leakage(frames, held_out=["test"])
    assert_no_leakage({"train": train, "pretrain": pretrain}, held_out=[])
