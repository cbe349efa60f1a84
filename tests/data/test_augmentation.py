import pandas as pd

from lmforge.data.augmentation import (
    AugmentationParams,
    augment_frame,
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
