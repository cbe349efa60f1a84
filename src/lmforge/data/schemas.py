"""Pandera schemas for the raw and the clean corpus, and the row-level rejection around them.

Row-level failures (an empty text, an unknown label, a text out of bounds) reject the row with
the names of the checks it failed; table-level failures (a missing column, a wrong dtype, no
labeled row at all) stop the run. So does a rejected fraction above the configured maximum.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from lmforge.data.builtin import RAW_COLUMNS
from lmforge.data.cleaning import STRING, approx_token_counts

SPLITS = ("train", "validation", "test")
REJECTED_COLUMNS = ("row_id", "text", "label", "split", "source", "stage", "reason")


class DataValidationError(ValueError):
    """The table cannot be used; the message lists the failed checks, counts and examples."""


@dataclass(frozen=True)
class LengthBounds:
    """Accepted text length, in characters and in approximate tokens."""

    min_chars: int = 1
    max_chars: int = 2000
    min_tokens: int = 1
    max_tokens: int = 512


RAW_SCHEMA = pa.DataFrameSchema(
    {name: pa.Column(STRING, nullable=True) for name in RAW_COLUMNS},
    strict=True,
    name="raw_corpus",
)


def _between(values: pd.Series, low: int, high: int) -> pd.Series:
    return values.between(low, high)


def clean_schema(classes: Sequence[str], bounds: LengthBounds, require_labels: bool = True
                 ) -> pa.DataFrameSchema:
    """The clean corpus: non-empty text within bounds, labels from the label map, known splits;
    `require_labels`: at least one labeled row (off for an all-unlabeled corpus)."""
    text_checks = [
        pa.Check(lambda s: s.str.len() > 0, name="text_not_empty"),
        pa.Check(lambda s: (s.str.len() == 0) | _between(s.str.len(), bounds.min_chars,
                                                          bounds.max_chars),
                 name="text_length_chars"),
        pa.Check(lambda s: (s.str.len() == 0) | _between(approx_token_counts(s),
                                                          bounds.min_tokens, bounds.max_tokens),
                 name="text_length_tokens"),
    ]
    allowed = list(classes)
    return pa.DataFrameSchema(
        {
            "row_id": pa.Column("int64", unique=True),
            "text": pa.Column(STRING, checks=text_checks, nullable=False),
            "label": pa.Column(STRING, pa.Check(lambda s: s.isin(allowed),
                                                name="label_in_label_map"), nullable=True),
            "split": pa.Column(STRING, pa.Check(lambda s: s.isin(SPLITS), name="split_value"),
                               nullable=True),
            "source": pa.Column(STRING, nullable=False),
        },
        checks=[pa.Check(lambda df: bool(df["label"].notna().any()), name="has_labeled_rows")]
        if require_labels else [],
        name="clean_corpus",
    )


def _describe(cases: pd.DataFrame, examples: int = 3) -> str:
    lines = []
    for (column, check), group in cases.groupby(["column", "check"], dropna=False, sort=True):
        shown = ", ".join(repr(v)[:80] for v in group["failure_case"].head(examples))
        where = "table" if pd.isna(column) else f"column '{column}'"
        lines.append(f"  - {check} ({where}): {len(group)} failure(s), e.g. {shown}")
    return "\n".join(lines)


def validate_raw(frame: pd.DataFrame) -> pd.DataFrame:
    """Table-level checks of the raw corpus; any failure stops the run."""
    try:
        return RAW_SCHEMA.validate(frame, lazy=True)
    except SchemaErrors as err:
        raise DataValidationError(
            f"raw corpus failed schema '{RAW_SCHEMA.name}':\n{_describe(err.failure_cases)}"
        ) from err


def reject_invalid_rows(
    frame: pd.DataFrame, schema: pa.DataFrameSchema
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split `frame` into (valid rows, rejected rows with a `reason`); table failures raise."""
    try:
        schema.validate(frame, lazy=True)
        return frame, frame.iloc[0:0].assign(reason=pd.Series(dtype=STRING))
    except SchemaErrors as err:
        cases = err.failure_cases
    table_level = cases[cases["index"].isna()]
    if not table_level.empty:
        raise DataValidationError(
            f"{schema.name} failed table-level checks:\n{_describe(table_level)}"
        )
    cases = cases.assign(reason=cases["column"].astype(str) + ":" + cases["check"].astype(str))
    reasons = cases.groupby("index")["reason"].agg(lambda r: "; ".join(sorted(set(r))))
    bad = frame.index.isin(reasons.index)
    rejected = frame[bad].assign(reason=reasons.reindex(frame.index[bad]).astype(STRING))
    return frame[~bad], rejected


def enforce_reject_budget(
    rejected: pd.DataFrame, n_rows: int, max_fraction: float, schema_name: str,
    hint: str | None = None,
) -> None:
    """Stop the run when more than `max_fraction` of the rows were rejected."""
    fraction = len(rejected) / max(n_rows, 1)
    if fraction <= max_fraction:
        return
    lines = []
    for reason, group in rejected.groupby("reason", sort=True):
        shown = ", ".join(repr(t)[:60] for t in group["text"].head(3))
        lines.append(f"  - {reason}: {len(group)} row(s), e.g. {shown}")
    raise DataValidationError(
        f"{schema_name}: {len(rejected)} of {n_rows} rows ({fraction:.1%}) failed validation, "
        f"above validation.max_reject_fraction={max_fraction:.1%}. Failed checks:\n"
        + "\n".join(lines) + (f"\n{hint}" if hint else "")
    )


def require_labeled_rows(frame: pd.DataFrame, schema_name: str) -> None:
    """No labeled row survived validation: there is nothing to fine-tune on."""
    if not frame["label"].notna().any():
        raise DataValidationError(
            f"{schema_name}: check has_labeled_rows failed: no labeled row passed validation"
        )
