import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from lmforge.data.cleaning import (
    approx_token_counts,
    build_label_map,
    clean_texts,
    dedup_keys,
    infer_classes,
    normalize_label_values,
)


def clean(*texts):
    return clean_texts(pd.Series(list(texts), dtype="string")).tolist()


def test_examples():
    assert clean("Ｈｅｌｌｏ　ｗｏｒｌｄ") == ["Hello world"]
    assert clean("<p>Great &amp; cheap</p><br/>ok") == ["Great & cheap ok"]
    assert clean("a\x00b\u200bc\x1b") == ["abc"]
    assert clean("  many \t\n spaces  ") == ["many spaces"]
    assert clean("&amp;lt;b&amp;gt;bold") == ["bold"]  # double-escaped tags are removed too
    assert clean("屏幕很清晰，<b>推荐</b>！") == ["屏幕很清晰, 推荐 !"]
    assert clean(None, "") == [pd.NA, ""]


def test_keys_fold_case_and_width():
    keys = dedup_keys(clean_texts(pd.Series(["Great Phone", "GREAT  phone", "ｇｒｅａｔ phone"])))
    assert keys.nunique() == 1


def test_approximate_token_count_counts_cjk_characters():
    counts = approx_token_counts(pd.Series(["two words", "屏幕清晰", "mixed 中文 text", ""]))
    assert counts.tolist() == [2, 4, 4, 0]


def test_labels_fold_through_aliases_and_empty_is_unlabeled():
    labels = pd.Series([" Positive ", "POS", "正面", "", None, "postive"], dtype="string")
    folded = normalize_label_values(labels, {"pos": "positive", "正面": "positive"})
    assert folded.tolist()[:3] == ["positive"] * 3
    assert folded.isna().tolist()[3:5] == [True, True]
    assert folded.iloc[5] == "postive"  # typos are not guessed: validation rejects them


def test_inferred_classes_ignore_rare_typos():
    labels = pd.Series(["a"] * 50 + ["b"] * 49 + ["typo"] * 4 + ["frequent_typo"] * 6)
    assert infer_classes(labels, min_count=5) == ["a", "b", "frequent_typo"]
    assert infer_classes(labels, min_count=5, rare_ratio=0.2) == ["a", "b"]
    label_map = build_label_map(["a", "b"], {"A": "a"})
    assert label_map["label2id"] == {"a": 0, "b": 1} and label_map["aliases"] == {"a": "a"}


text_alphabet = st.characters(codec="utf-8", exclude_categories=("Cs",))
html_bits = st.sampled_from(["<b>", "</p>", "&amp;", "&lt;", "&#39;", "&nbsp;", "<br/>", "＜i＞",
                             "\u3000", "\t", "\x00", "\u200b", "中", "文", "，", "。"])
texts = st.lists(st.one_of(st.text(text_alphabet, max_size=8), html_bits), max_size=12).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.lists(texts, min_size=1, max_size=5))
def test_cleaning_is_idempotent(values):
    once = clean_texts(pd.Series(values, dtype="string"))
    twice = clean_texts(once)
    assert once.tolist() == twice.tolist()


@settings(max_examples=200, deadline=None)
@given(st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), min_size=1,
               max_size=30))
def test_cjk_text_is_preserved(text):
    assert clean(text) == [text]
