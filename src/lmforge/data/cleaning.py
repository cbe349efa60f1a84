"""Text and label normalization, shared by the data pipeline and the served model.

`clean_texts` is the one cleaning function: the `data_processing` pipeline applies it to the
corpus and the MLflow pyfunc model applies it to raw requests, so there is no train/serve skew.
It is vectorized with Arrow compute kernels (NFKC, RE2 regexes) and is idempotent by
construction: it repeats its passes on the rows that still change, until none does.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

STRING = pd.StringDtype("pyarrow")

_TAG = r"<!--.*?-->|</?[A-Za-z][^<>]*>"
_ENTITY = r"&(#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);?"
# C0/C1 controls except \t \n \r (whitespace, collapsed below), and invisible format characters.
_CONTROL = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\x{200b}\x{2060}\x{feff}]"
_CJK = r"\p{Han}\p{Hiragana}\p{Katakana}"
# One CJK character, or one run of other non-space characters, counts as a token.
_APPROX_TOKEN = rf"[{_CJK}]|[^\s{_CJK}]+"
_MAX_PASSES = 8


def _unescape(texts: pa.Array) -> pa.Array:
    has_entity = pc.fill_null(pc.match_substring_regex(texts, _ENTITY), False)
    if not pc.any(has_entity).as_py():
        return texts
    values = texts.to_pylist()
    for i in pc.indices_nonzero(has_entity).to_pylist():
        values[i] = html.unescape(values[i])
    return pa.array(values, type=pa.large_string())


def _one_pass(texts: pa.Array) -> pa.Array:
    texts = pc.utf8_normalize(texts, form="NFKC")
    texts = _unescape(texts)
    texts = pc.replace_substring_regex(texts, _TAG, " ")
    texts = pc.replace_substring_regex(texts, _CONTROL, "")
    texts = pc.replace_substring_regex(texts, r"\s+", " ")
    return pc.utf8_trim_whitespace(texts)


def clean_texts(texts: pd.Series) -> pd.Series:
    """NFKC, HTML entities and tags, control characters, whitespace; nulls stay null."""
    current = pa.array(texts.astype(STRING), type=pa.large_string())
    current = _one_pass(current)
    for _ in range(_MAX_PASSES):
        again = _one_pass(current)
        changed = pc.fill_null(pc.not_equal(again, current), False)
        current = again
        if not pc.any(changed).as_py():
            break
    return pd.Series(current, index=texts.index, dtype=STRING, name=texts.name)


def dedup_keys(texts: pd.Series) -> pd.Series:
    """The key under which two cleaned texts count as the same document (case-insensitive)."""
    return texts.astype(STRING).str.lower()


def approx_token_counts(texts: pd.Series) -> pd.Series:
    """Words for space-separated scripts, characters for CJK: close to what a tokenizer sees."""
    counts = pc.count_substring_regex(pa.array(texts.astype(STRING)), _APPROX_TOKEN)
    return pd.Series(counts, index=texts.index).fillna(0).astype("int64")


def normalize_label_values(labels: pd.Series, aliases: Mapping[str, str]) -> pd.Series:
    """NFKC, trimmed, lower-cased labels mapped through `aliases`; empty labels become null."""
    keys = labels.astype(STRING).str.normalize("NFKC").str.strip().str.lower()
    keys = keys.mask(keys == "")
    folded = {str(k).strip().lower(): str(v) for k, v in aliases.items()}
    return keys.map(lambda k: folded.get(k, k), na_action="ignore").astype(STRING)


def infer_classes(labels: pd.Series, min_count: int, rare_ratio: float = 0.0) -> list[str]:
    """Labels seen on at least `min_count` rows and at least `rare_ratio` times as often as the
    most frequent label; rarer ones are typos or junk. Counts, not shares of the total, so that
    a corpus with many classes (77 intents) keeps all of them."""
    counts = labels.dropna().value_counts()
    if counts.empty:
        return []
    floor = max(min_count, rare_ratio * int(counts.max()))
    return sorted(str(label) for label, n in counts.items() if n >= floor)


def normalize_class_list(classes: Iterable[Any], aliases: Mapping[str, str]) -> list[str]:
    """`cleaning.labels` folded like the data's labels (YAML integers `[0, 1]` match `"0"`)."""
    values = pd.Series([str(c) for c in classes], dtype=STRING)
    return list(dict.fromkeys(normalize_label_values(values, aliases).dropna().tolist()))


def conflicting_keys(keys: pd.Series, labels: pd.Series, classes: Iterable[str]) -> pd.Series:
    """Rows whose text (by `keys`) also appears with another valid label elsewhere."""
    valid = labels.isin(list(classes)) & (keys.str.len() > 0)
    distinct = labels[valid].groupby(keys[valid]).nunique()
    return keys.isin(distinct.index[distinct > 1])


def build_label_map(classes: Iterable[str], aliases: Mapping[str, str]) -> dict:
    """The saved label map: the class order (class ids) and the alias table used to fold labels."""
    ordered = list(classes)
    return {
        "classes": ordered,
        "label2id": {label: i for i, label in enumerate(ordered)},
        "aliases": {str(k).strip().lower(): str(v) for k, v in aliases.items()},
    }
