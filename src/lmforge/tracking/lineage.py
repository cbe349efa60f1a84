"""Provenance facts for a run: the git commit and content hashes of the files a run reads."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path, PurePosixPath
from typing import Any

from lmforge.files import file_digest


def git_commit(cwd: str | Path = ".") -> str | None:
    """The checked-out commit, with `-dirty` when tracked files changed; None outside git."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=cwd,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    return f"{commit}-dirty" if dirty.strip() else commit


def file_md5(path: Path) -> str:
    """The MD5 of a file's bytes: the hash DVC records for a file output."""
    return file_digest(path, "md5")


def path_md5(path: Path) -> str | None:
    """MD5 of a file, or of a directory's sorted (relative path, file MD5) listing."""
    if path.is_file():
        return file_md5(path)
    if not path.is_dir():
        return None
    digest = hashlib.md5(usedforsecurity=False)
    for child in sorted(p for p in path.rglob("*") if p.is_file()):
        digest.update(f"{child.relative_to(path).as_posix()}:{file_md5(child)}\n".encode())
    return digest.hexdigest()


def dataset_path(dataset: Any) -> Path | None:
    """The local file or folder behind a Kedro dataset, when it has one."""
    for attribute in ("_filepath", "_path"):
        value = getattr(dataset, attribute, None)
        if isinstance(value, (str, PurePosixPath, Path)):
            protocol = getattr(dataset, "_protocol", "file")
            if protocol in (None, "file", "local"):
                return Path(str(value))
    inner = getattr(dataset, "_dataset", None) or getattr(dataset, "_dataset_config", None)
    return dataset_path(inner) if inner is not None and not isinstance(inner, dict) else None


def dvc_lock_hashes(lock_path: Path) -> dict[str, str]:
    """`{out path: md5}` for every stage output recorded in `dvc.lock` (empty without one)."""
    import yaml

    if not lock_path.is_file():
        return {}
    lock = yaml.safe_load(lock_path.read_text()) or {}
    hashes = {}
    for stage in (lock.get("stages") or {}).values():
        for out in stage.get("outs") or []:
            if "md5" in out:
                hashes[out["path"]] = out["md5"]
    return hashes
