"""Where the corpus comes from: the builtin generator, local files, or a Hugging Face dataset.

Every reader returns the raw table: `text`, `label` (nullable), `split` (nullable), `source`,
all strings. Real datasets arrive in many shapes; this module reads them as they come:

- integer labels (`0/1`, with or without nulls) stay `"0"`/`"1"`, never `"0.0"`;
  `source.label_names` or a Hugging Face `ClassLabel` names them;
- split names are folded (`dev`/`valid`/`val` → `validation`); an `unsupervised` split and a
  split whose labels are all `-1` (Hugging Face's "no label", as in GLUE test sets) become
  unlabeled text;
- delimited files are parsed strictly: a row with the wrong number of fields stops the run
  with the file and line number (TSVs are tried without quoting first, as GLUE writes them);
- directories skip hidden files (`.DS_Store`, `._x.csv`) and Kedro's output layers.

Errors name the file and the column, so a user can fix the input without reading code.
"""

from __future__ import annotations

import csv
import glob
import io
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lmforge.data.builtin import RAW_COLUMNS, BuiltinConfig, generate_builtin_corpus
from lmforge.data.cleaning import STRING

logger = logging.getLogger(__name__)

FILE_SUFFIXES = (".csv", ".tsv", ".jsonl", ".json", ".parquet", ".txt")
UNLABELED_SPLIT = "unlabeled"
SPLIT_ALIASES = {
    "train": "train", "training": "train",
    "validation": "validation", "valid": "validation", "val": "validation", "dev": "validation",
    "development": "validation",
    "test": "test", "testing": "test",
    "unsupervised": UNLABELED_SPLIT, "unlabeled": UNLABELED_SPLIT, "unlabelled": UNLABELED_SPLIT,
}
NO_LABEL = "-1"  # Hugging Face datasets mark unlabeled rows (GLUE test sets) with -1
# Kedro's output layers: a directory source never reads what the pipeline wrote.
OUTPUT_LAYERS = ("02_intermediate", "03_primary", "04_feature", "05_model_input", "06_models",
                 "07_model_output", "08_reporting")


class SourceError(ValueError):
    """The source cannot be read as a corpus; the message names the file and the column."""


@dataclass(frozen=True)
class SourceParams:
    """The `source` block of `parameters_data_processing.yml`."""

    kind: str = "builtin"
    path: str | None = None
    text_column: str = "text"
    label_column: str | None = "label"
    split_column: str | None = None
    unlabeled_path: str | None = None
    label_names: dict[Any, str] | None = None
    seed: int = 42
    builtin: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, params: dict[str, Any]) -> SourceParams:
        known = {k: v for k, v in params.items() if k in cls.__dataclass_fields__}
        unknown = sorted(set(params) - set(known))
        if unknown:
            raise SourceError(f"Unknown keys under `source`: {unknown}")
        return cls(**known)


def _is_hidden_or_output(parts: tuple[str, ...]) -> bool:
    return any(p.startswith(".") and p not in (".", "..") for p in parts) or any(
        p in OUTPUT_LAYERS for p in parts)


def expand_paths(pattern: str) -> list[Path]:
    """A file, every supported file under a directory, or the files matching a glob; hidden
    files and Kedro's output layers are skipped in directories and globs."""
    path = Path(pattern)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file()
                       and p.suffix.lower() in FILE_SUFFIXES
                       and not _is_hidden_or_output(p.relative_to(path).parts))
    elif any(ch in pattern for ch in "*?["):
        matches = [Path(p) for p in glob.glob(pattern, recursive=True)]
        files = sorted(p for p in matches if p.is_file() and not _is_hidden_or_output(p.parts))
    else:
        files = [path] if path.exists() else []
    if not files:
        raise SourceError(f"No input file found at '{pattern}' (supported: {FILE_SUFFIXES})")
    return files


def _lines(text: str) -> list[str]:
    """Lines split on `\\n` / `\\r\\n` only (not on the Unicode separators `splitlines` uses)."""
    return [line.removesuffix("\r") for line in text.split("\n")]


def _read_text_lines(path: Path, content: str) -> pd.DataFrame:
    return pd.DataFrame({"text": [line for line in _lines(content) if line.strip()]})


def _read_jsonl(path: Path, content: str) -> pd.DataFrame:
    if path.suffix.lower() == ".json" and content.lstrip().startswith("["):
        try:
            return pd.DataFrame.from_records(json.loads(content))
        except json.JSONDecodeError as err:
            raise SourceError(f"{path}: line {err.lineno} is not valid JSON ({err.msg})") from err
    records = []
    for number, line in enumerate(_lines(content), start=1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as err:
            raise SourceError(f"{path}: line {number} is not valid JSON ({err.msg})") from err
    if not records:
        raise SourceError(f"{path}: no JSON record in the file")
    return pd.DataFrame.from_records(records)


def _parse_delimited(content: str, sep: str, quoting: int) -> tuple[list[list[str]], int | None]:
    """All records, and the line number of the first record whose width differs from the
    header's (None when every record fits)."""
    reader = csv.reader(io.StringIO(content, newline=""), delimiter=sep, quoting=quoting,
                        strict=quoting != csv.QUOTE_NONE)
    rows: list[list[str]] = []
    try:
        for row in reader:
            if not row:  # a blank line
                continue
            if rows and len(row) != len(rows[0]):
                return rows, reader.line_num
            rows.append(row)
    except csv.Error:
        return rows, reader.line_num
    return rows, None


def _read_delimited(path: Path, content: str) -> pd.DataFrame:
    """CSV (RFC 4180 quoting) or TSV (no quoting, as GLUE writes them, else RFC quoting);
    a record with the wrong number of fields stops the run: columns never shift silently."""
    sep = "\t" if path.suffix.lower() == ".tsv" else ","
    attempts = (csv.QUOTE_NONE, csv.QUOTE_MINIMAL) if sep == "\t" else (csv.QUOTE_MINIMAL,)
    first_bad = None
    for quoting in attempts:
        rows, bad_line = _parse_delimited(content, sep, quoting)
        if bad_line is None:
            break
        first_bad = first_bad or (bad_line, rows[0] if rows else [])
    else:
        line, header = first_bad
        raise SourceError(
            f"{path}: line {line} does not have the {len(header)} fields of the header "
            f"{header} (an extra delimiter, or an unbalanced quote); fix or quote that line")
    if not rows:
        raise SourceError(f"{path}: the file has no header and no rows")
    header, body = rows[0], rows[1:]
    if not body:
        raise SourceError(f"{path}: the file has a header {header} but no rows")
    return pd.DataFrame(body, columns=header, dtype=object)


def read_table(path: Path) -> pd.DataFrame:
    """One file as a DataFrame; `.txt` gives a single `text` column."""
    suffix = path.suffix.lower()
    if suffix not in FILE_SUFFIXES:
        raise SourceError(f"{path}: unsupported file type '{suffix}' "
                          f"(supported: {FILE_SUFFIXES})")
    if path.stat().st_size == 0:
        raise SourceError(f"{path}: the file is empty")
    if suffix == ".parquet":
        frame = pd.read_parquet(path)
        if frame.empty:
            raise SourceError(f"{path}: the file has columns {list(frame.columns)} but no rows")
        return frame
    try:
        content = path.read_bytes().decode("utf-8-sig")  # a leading BOM is dropped
    except UnicodeDecodeError as err:
        raise SourceError(
            f"{path}: not valid UTF-8 at byte {err.start} ({err.reason}); "
            "re-encode the file as UTF-8"
        ) from err
    if suffix == ".txt":
        return _read_text_lines(path, content)
    if suffix in (".csv", ".tsv"):
        return _read_delimited(path, content)
    return _read_jsonl(path, content)


def as_strings(values: pd.Series) -> pd.Series:
    """Strings for any column: integral numbers print as integers (`0`, never `0.0`), nulls
    stay null."""
    def one(value: Any) -> Any:
        if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
            return pd.NA
        if isinstance(value, (bool, np.bool_)):
            return str(value).lower()
        if isinstance(value, (float, np.floating)) and float(value).is_integer():
            return str(int(value))
        if isinstance(value, (int, np.integer)):
            return str(int(value))
        return str(value)

    if pd.api.types.is_string_dtype(values.dtype) and values.dtype != object:
        return values.astype(STRING)
    return pd.Series([one(v) for v in values.tolist()], index=values.index, dtype=STRING)


def _column(frame: pd.DataFrame, name: str | None, origin: str, key: str) -> pd.Series:
    if name is None:
        return pd.Series(pd.NA, index=frame.index, dtype=STRING)
    if name not in frame.columns:
        raise SourceError(
            f"{origin}: column '{name}' not found (columns: {list(frame.columns)}); "
            f"check {key}"
        )
    return as_strings(frame[name])


def _fold_splits(splits: pd.Series) -> pd.Series:
    folded = splits.str.strip().str.lower()
    return folded.map(lambda s: SPLIT_ALIASES.get(s, s), na_action="ignore").astype(STRING)


def _unlabel(frame: pd.DataFrame, origin: str) -> pd.DataFrame:
    """An `unsupervised` split, and a split whose labels are all -1, become unlabeled text."""
    frame = frame.copy()
    for split, labels in frame.groupby(frame["split"].fillna(""), sort=True)["label"]:
        present = labels.dropna()
        no_label = present.empty or bool((present == NO_LABEL).all())
        if split != UNLABELED_SPLIT and not (no_label and (split or not present.empty)):
            continue
        rows = frame["split"].fillna("") == split
        if split != UNLABELED_SPLIT:
            logger.warning("%s: split '%s' has no label (all empty or -1, the Hugging Face "
                           "convention for unlabeled test sets): its %d rows become unlabeled "
                           "text", origin, split or "(none)", int(rows.sum()))
        frame.loc[rows, "label"] = pd.NA
        frame.loc[rows, "split"] = pd.NA
    return frame


def standardize(frame: pd.DataFrame, params: SourceParams, origin: str) -> pd.DataFrame:
    """Map a user table onto the raw columns."""
    labels = _column(frame, params.label_column, origin, "source.label_column")
    labels = labels.mask(labels.str.strip() == "")
    # "1.0": an integer label written from a float column (pandas does, beside a null)
    labels = labels.str.replace(r"^\s*(-?\d+)\.0+\s*$", r"\1", regex=True)
    if params.label_names:
        names = {str(k): str(v) for k, v in params.label_names.items()}
        labels = labels.map(lambda v: names.get(v, v), na_action="ignore").astype(STRING)
    table = pd.DataFrame({
        "text": _column(frame, params.text_column, origin, "source.text_column"),
        "label": labels,
        "split": _fold_splits(_column(frame, params.split_column, origin,
                                      "source.split_column")),
        "source": pd.Series(origin, index=frame.index, dtype=STRING),
    })
    return _unlabel(table, origin)


def _missing_label_column(path: Path, table: pd.DataFrame, params: SourceParams) -> str | None:
    if params.label_column is None or path.suffix.lower() == ".txt":
        return None
    return None if params.label_column in table.columns else (
        f"{path} (columns: {list(table.columns)})")


def read_files(pattern: str, params: SourceParams, unlabeled: bool = False) -> pd.DataFrame:
    """Every file matching `pattern`, standardized; `unlabeled` keeps only the text. `.txt`
    files are unlabeled text; every other file must have the label column."""
    text_only = SourceParams(text_column=params.text_column, label_column=None)
    tables = [(path, read_table(path)) for path in expand_paths(pattern)]
    if not unlabeled:
        missing = [m for path, table in tables if (m := _missing_label_column(path, table,
                                                                              params))]
        if missing:
            raise SourceError(
                f"source.label_column '{params.label_column}' not found in {len(missing)} of "
                f"{len(tables)} file(s): " + "; ".join(missing) + ". Rename the column, put "
                "unlabeled files under source.unlabeled_path, or set source.label_column: null "
                "if no file is labeled")
    frames = []
    for path, table in tables:
        if path.suffix.lower() == ".txt":
            frames.append(standardize(table, SourceParams(label_column=None), str(path)))
        elif unlabeled:
            frames.append(standardize(table, text_only, str(path)))
        else:
            frames.append(standardize(table, params, str(path)))
    return pd.concat(frames, ignore_index=True)


def read_huggingface(name_or_dir: str, params: SourceParams) -> pd.DataFrame:
    """`datasets.load_from_disk` for a saved dataset directory, else `datasets.load_dataset`.
    Each split becomes a `split` value; `ClassLabel` ids become their names (-1: no label)."""
    try:
        import datasets
    except ImportError as err:  # pragma: no cover - depends on the install
        raise SourceError("source.kind=huggingface needs `pip install lmforge[hf]`") from err
    path = Path(name_or_dir)
    if (path / "dataset_dict.json").exists() or (path / "dataset_info.json").exists():
        loaded = datasets.load_from_disk(str(path))
    else:
        loaded = datasets.load_dataset(name_or_dir)
    if isinstance(loaded, datasets.DatasetDict):
        frames = []
        for split_name, part in loaded.items():
            frame = part.to_pandas()
            if not params.split_column:
                frame["__split"] = split_name
            frames.append(frame)
        table = pd.concat(frames, ignore_index=True)
        if not params.split_column:
            params = SourceParams(**{**params.__dict__, "split_column": "__split"})
    else:
        table = loaded.to_pandas()
    names = _class_names(loaded, params.label_column) if params.label_column else None
    if names and params.label_column in table.columns:
        table[params.label_column] = table[params.label_column].map(
            lambda i: names[int(i)] if pd.notna(i) and 0 <= int(i) < len(names) else None)
    return standardize(table, params, f"huggingface:{name_or_dir}")


def _class_names(loaded: Any, column: str) -> list[str] | None:
    first = next(iter(loaded.values())) if hasattr(loaded, "values") else loaded
    feature = first.features.get(column)
    return list(feature.names) if hasattr(feature, "names") else None


def load_source(params: SourceParams) -> pd.DataFrame:
    """The raw corpus named by `source.*`, plus `unlabeled_path` text when set."""
    if params.kind == "builtin":
        config = BuiltinConfig(**{**params.builtin, "seed": params.seed})
        frame = generate_builtin_corpus(config)
    elif params.kind == "file":
        if not params.path:
            raise SourceError("source.kind=file needs source.path")
        frame = read_files(params.path, params)
    elif params.kind == "huggingface":
        if not params.path:
            raise SourceError("source.kind=huggingface needs source.path (name or directory)")
        frame = read_huggingface(params.path, params)
    else:
        raise SourceError(f"source.kind must be builtin, file or huggingface, not '{params.kind}'")
    if params.unlabeled_path:
        frame = pd.concat([frame, read_files(params.unlabeled_path, params, unlabeled=True)],
                          ignore_index=True)
    return frame[list(RAW_COLUMNS)].astype(STRING).reset_index(drop=True)
