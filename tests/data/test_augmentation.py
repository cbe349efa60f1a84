import pandas as pd

from lmforge.data.augmentation import (
    AugmentationParams,
    augment_frame,
    augment_training_rows,
    join_units,
    split_units,
)


def test_units_are_words_and_cjk_characters():
    assert split_units("Good 屏幕 ok!") == ["Good", "屏", "幕", "ok!"]
    assert join_units(["屏", "幕", "很", "好"]) == "屏幕很好"
    assert join_units(["a", "b"]) == "a b"


def test_augmentation_is_seeded_flagged_and_keeps_labels():
    frame = pd.DataFrame({"text": ["the screen is great but the battery is awful",
                                   "屏幕很清晰但是电池不耐用"], "label": ["neutral", "neutral"]})
    params = AugmentationParams(copies=3, delete_prob=0.3, swap_prob=0.3, insert_prob=0.2)
    first, second = augment_frame(frame, params), augment_frame(frame, params)
    pd.testing.assert_frame_equal(first, second)
    assert len(first) == 6 and first["augmented"].all() and (first["label"] == "neutral").all()
    assert (first["text"] != frame["text"].repeat(3).to_numpy()).any()
    chinese = first.iloc[3:]["text"]
    assert not chinese.str.contains(" ").any()  # character-level edits keep CJK unspaced


def test_only_a_training_split_within_max_labeled_rows_gets_copies(caplog):
    frame = pd.DataFrame({"text": [f"review number {i} was fine" for i in range(4)],
                          "label": ["positive"] * 4})
    at_the_cap = augment_training_rows(frame, [], AugmentationParams(max_labeled_rows=4))
    assert at_the_cap["augmented"].sum() >= 3  # a copy that collides with a text is dropped
    with caplog.at_level("INFO", logger="lmforge.data.augmentation"):
        above = augment_training_rows(frame, [], AugmentationParams(max_labeled_rows=3))
    assert len(above) == 4 and not above["augmented"].any()
    assert "augmentation.max_labeled_rows=3" in caplog.text
    unlimited = augment_training_rows(frame, [], AugmentationParams(max_labeled_rows=None))
    assert unlimited["augmented"].sum() >= 3
