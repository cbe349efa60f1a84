"""Seeded text augmentation for the training split: token deletion, swap and insertion.

Text is cut into units first: one unit per CJK character, one per whitespace-separated word
otherwise, so the same operations are character-level for Chinese and word-level for English.
"""

from __future__ import annotations

import logging
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated

import pandas as pd
from annotated_types import Interval

logger = logging.getLogger(__name__)

_CJK_RANGES = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_UNIT = re.compile(f"[{_CJK_RANGES}]|[^\\s{_CJK_RANGES}]+")
_CJK = re.compile(f"[{_CJK_RANGES}]")


@dataclass(frozen=True)
class AugmentationParams:
    """The `augmentation` block of `parameters_data_processing.yml`."""

    enabled: bool = True
    copies: int = 1
    delete_prob: float = 0.1
    swap_prob: float = 0.1
    insert_prob: float = 0.05
    seed: int = 42
    # augment only a training split of at most this many rows (None: any size); on real
    # reviews copies helped 500 labels, were level at 2,000 and hurt 7,000 (docs)
    max_labeled_rows: Annotated[int, Interval(ge=1)] | None = 2000


def split_units(text: str) -> list[str]:
    """Characters for CJK, words elsewhere."""
    return _UNIT.findall(text)


def join_units(units: Sequence[str]) -> str:
    """Inverse of `split_units` up to whitespace: no space next to a CJK character."""
    out: list[str] = []
    for unit in units:
        if out and not (_CJK.match(unit) or _CJK.match(out[-1][-1])):
            out.append(" ")
        out.append(unit)
    return "".join(out)


def augment_text(text: str, vocabulary: dict[bool, Sequence[str]], params: AugmentationParams,
                 rng: random.Random) -> str:
    """One perturbed copy of `text`: each unit may be deleted, swapped with its neighbour, or
    followed by a unit of the same script drawn from `vocabulary` (the training split's units,
    keyed by "is CJK")."""
    units = split_units(text)
    kept = [u for u in units if rng.random() >= params.delete_prob] or units[:1]
    for i in range(len(kept) - 1):
        if rng.random() < params.swap_prob:
            kept[i], kept[i + 1] = kept[i + 1], kept[i]
    out: list[str] = []
    for unit in kept:
        out.append(unit)
        pool = vocabulary.get(bool(_CJK.match(unit)), ())
        if pool and rng.random() < params.insert_prob:
            out.append(pool[rng.randrange(len(pool))])
    return join_units(out)


def augment_frame(frame: pd.DataFrame, params: AugmentationParams) -> pd.DataFrame:
    """`params.copies` perturbed rows per row, flagged `augmented=True`, labels kept."""
    rng = random.Random(params.seed)
    texts = frame["text"].tolist()
    units = sorted({unit for text in texts for unit in split_units(text)})
    vocabulary = {cjk: [u for u in units if bool(_CJK.match(u)) == cjk] for cjk in (False, True)}
    rows = []
    for position, text in enumerate(texts):
        for _ in range(params.copies):
            rows.append((position, augment_text(text, vocabulary, params, rng)))
    if not rows:
        return frame.iloc[0:0].assign(augmented=pd.Series(dtype=bool))
    positions, new_texts = zip(*rows)
    augmented = frame.iloc[list(positions)].copy()
    augmented["text"] = pd.array(new_texts, dtype=frame["text"].dtype)
    return augmented.assign(augmented=True)


def augment_training_rows(train: pd.DataFrame, held_out: Sequence[pd.DataFrame],
                          params: AugmentationParams) -> pd.DataFrame:
    """The training rows (`augmented=False`) plus their augmented copies (`augmented=True`);
    copies that collide with a training or held-out text are dropped. A split larger than
    `params.max_labeled_rows` is returned without copies."""
    from lmforge.data.cleaning import dedup_keys

    base = train.assign(augmented=False)
    if not params.enabled or params.copies < 1 or base.empty:
        return base
    if params.max_labeled_rows is not None and len(base) > params.max_labeled_rows:
        logger.info(
            "augmentation: %d training rows > augmentation.max_labeled_rows=%d, no copies",
            len(base),
            params.max_labeled_rows,
        )
        return base
    extra = augment_frame(base, params)
    taken = set(dedup_keys(pd.concat([base["text"], *(f["text"] for f in held_out)])))
    extra_keys = dedup_keys(extra["text"])
    extra = extra[~extra_keys.isin(taken) & ~extra_keys.duplicated()]
    return pd.concat([base, extra.assign(augmented=True)], ignore_index=True)
