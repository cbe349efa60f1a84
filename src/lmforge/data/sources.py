"""Where the corpus comes from: the builtin generator, local files, or a Hugging Face dataset.

Every reader returns the raw table: `text`, `label` (nullable), `split` (nullable), `source`.
Errors name the file and the column, so a user can fix the input without reading code.
"""

from __future__ import annotations

import glob
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from lmforge.data.builtin import RAW_COLUMNS, BuiltinConfig, generate_builtin_corpus
from lmforge.data.cleaning import STRING

FILE_SUFFIXES = (".csv", ".tsv", ".jsonl", ".json", ".parquet", ".txt")


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
    seed: int = 42
    builtin: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, params: dict[str, Any]) -> SourceParams:
        known = {k: v for k, v in params.items() if k in cls.__dataclass_fields__}
        unknown = sorted(set(params) - set(known))
        if unknown:
            raise SourceError(f"Unknown keys under `source`: {unknown}")
        return cls(**known)


def expand_paths(pattern: str) -> list[Path]:
    """A file, every supported file under a directory, or the files matching a glob."""
    path = Path(pattern)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.suffix.lower() in FILE_SUFFIXES)
    elif any(ch in pattern for ch in "*?["):
        files = sorted(Path(p) for p in glob.glob(pattern, recursive=True) if Path(p).is_file())
    else:
        files = [path] if path.exists() else []
    if not files:
        raise SourceError(f"No input file found at '{pattern}' (supported: {FILE_SUFFIXES})")
    return files


def _read_text_lines(path: Path) -> pd.DataFrame:
    lines = path.read_text(encoding="utf-8").splitlines()
    return pd.DataFrame({"text": [line for line in lines if line.strip()]})


def _read_jsonl(path: Path) -> pd.DataFrame:
    records = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as err:
                raise SourceError(f"{path}: line {number} is not valid JSON ({err.msg})") from err
    return pd.DataFrame.from_records(records)


def read_table(path: Path) -> pd.DataFrame:
    """One file as a DataFrame of strings; `.txt` gives a single `text` column."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".txt":
            return _read_text_lines(path)
        if suffix in (".csv", ".tsv"):
            return pd.read_csv(path, sep="\t" if suffix == ".tsv" else ",", dtype=str,
                               keep_default_na=False, encoding="utf-8")
        if suffix in (".jsonl", ".json"):
            return _read_jsonl(path)
        if suffix == ".parquet":
            return pd.read_parquet(path)
    except UnicodeDecodeError as err:
        raise SourceError(
            f"{path}: not valid UTF-8 at byte {err.start} ({err.reason}); "
            "re-encode the file as UTF-8"
        ) from err
    raise SourceError(f"{path}: unsupported file type '{suffix}' (supported: {FILE_SUFFIXES})")


def _column(frame: pd.DataFrame, name: str | None, origin: str, required: bool) -> pd.Series:
    if name and name in frame.columns:
        return frame[name].astype(STRING)
    if required:
        raise SourceError(
            f"{origin}: column '{name}' not found (columns: {list(frame.columns)}); "
            "check source.text_column / source.split_column"
        )
    return pd.Series(pd.NA, index=frame.index, dtype=STRING)


def standardize(frame: pd.DataFrame, params: SourceParams, origin: str) -> pd.DataFrame:
    """Map a user table onto the raw columns."""
    labels = _column(frame, params.label_column, origin, required=False)
    return pd.DataFrame({
        "text": _column(frame, params.text_column, origin, required=True),
        "label": labels.mask(labels.str.strip() == ""),
        "split": _column(frame, params.split_column, origin, required=bool(params.split_column)),
        "source": pd.Series(origin, index=frame.index, dtype=STRING),
    })


def read_files(pattern: str, params: SourceParams, unlabeled: bool = False) -> pd.DataFrame:
    """Every file matching `pattern`, standardized; `unlabeled` keeps only the text."""
    frames = []
    for path in expand_paths(pattern):
        table = read_table(path)
        if path.suffix.lower() == ".txt":
            frames.append(standardize(table, SourceParams(label_column=None), str(path)))
        elif unlabeled:
            text_only = SourceParams(text_column=params.text_column, label_column=None)
            frames.append(standardize(table, text_only, str(path)))
        else:
            frames.append(standardize(table, params, str(path)))
    return pd.concat(frames, ignore_index=True)


def read_huggingface(name_or_dir: str, params: SourceParams) -> pd.DataFrame:
    """`datasets.load_from_disk` for a saved dataset directory, else `datasets.load_dataset`."""
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
    if params.label_column in table.columns and not pd.api.types.is_string_dtype(
        table[params.label_column]
    ):
        names = _class_names(loaded, params.label_column)
        if names:
            table[params.label_column] = table[params.label_column].map(
                lambda i: names[i] if i is not None and 0 <= i < len(names) else None
            )
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
