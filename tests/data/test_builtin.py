import io
import re

import pandas as pd
import pytest

from lmforge.data import lexicon as lx
from lmforge.data.builtin import BuiltinConfig, generate_builtin_corpus
from lmforge.data.cleaning import clean_texts, dedup_keys


@pytest.fixture(scope="module")
def corpus() -> pd.DataFrame:
    return generate_builtin_corpus(BuiltinConfig())


def test_same_seed_gives_byte_identical_parquet():
    first, second = (generate_builtin_corpus(BuiltinConfig(n_documents=3000)) for _ in range(2))
    pd.testing.assert_frame_equal(first, second)
    buffers = [io.BytesIO(), io.BytesIO()]
    first.to_parquet(buffers[0])
    second.to_parquet(buffers[1])
    assert buffers[0].getvalue() == buffers[1].getvalue()


def test_another_seed_gives_another_corpus():
    a = generate_builtin_corpus(BuiltinConfig(n_documents=500, seed=1))
    b = generate_builtin_corpus(BuiltinConfig(n_documents=500, seed=2))
    assert not a["text"].equals(b["text"])


def test_size_mix_and_columns(corpus):
    assert list(corpus.columns) == ["text", "label", "split", "source"]
    assert len(corpus) == BuiltinConfig().n_documents >= 10_000
    labeled = corpus["label"].notna().mean()
    assert 0.05 < labeled < 0.5  # most documents are unlabeled
    chinese = corpus["text"].str.contains(r"[\u4e00-\u9fff]", regex=True).mean()
    assert 0.3 < chinese < 0.5
    assert set(lx.LABELS) <= set(corpus["label"].dropna())


def test_dirt_is_present_at_about_five_percent(corpus):
    text = corpus["text"]
    kinds = {
        "exact duplicate": text.duplicated(),
        "html": text.str.contains(r"<[a-z/][^>]*>|&[a-z#0-9]+;", regex=True),
        "control": text.str.contains(r"[\x00-\x08\x1b\u200b\ufeff]", regex=True),
        "empty": text.str.strip() == "",
        "overlong": text.str.len() > 2000,
        "bad label": corpus["label"].isin(lx.LABEL_TYPOS + lx.LABEL_UNKNOWN),
    }
    for name, mask in kinds.items():
        assert mask.sum() > 10, f"no {name} rows"
    fullwidth = text.str.contains(r"[\uff21-\uff5a]", regex=True)
    assert fullwidth.sum() > 5
    near = dedup_keys(clean_texts(text)).duplicated().sum() - kinds["exact duplicate"].sum()
    assert near > 20  # case, whitespace and full-width variants fold onto earlier texts
    dirty = pd.concat(kinds.values(), axis=1).any(axis=1) | fullwidth
    assert 0.02 < dirty.mean() < 0.08


def test_no_single_keyword_gives_the_label_away(corpus):
    labeled = corpus.dropna(subset=["label"])
    labeled = labeled[labeled["label"].isin(lx.LABELS)]
    for word in ("good", "bad", "great", "recommend", "好", "推荐"):
        pattern = rf"\b{word}\b" if word.isascii() else word
        labels = set(labeled.loc[labeled["text"].str.contains(pattern, regex=True), "label"])
        assert len(labels) >= 2, f"'{word}' only occurs with {labels}"
    negated = labeled["text"].str.contains(r"(?:is|are|was|were) (?:not|never|far from) |不",
                                           regex=True)
    contrast = labeled["text"].str.contains(r", (?:but|however|yet) |，(?:但是|不过|可是)",
                                            regex=True)
    assert negated.mean() > 0.05 and contrast.mean() > 0.05


def test_sentiment_words_have_a_long_tail(corpus):
    words = re.findall(r"[a-z-]+", " ".join(corpus["text"].str.lower()))
    counts = pd.Series(words).value_counts()
    positive = counts.reindex(list(lx.EN_POSITIVE)).fillna(0)
    assert positive.iloc[0] > 10 * positive.iloc[-10:].mean() > 0
