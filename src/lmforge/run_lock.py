"""One `kedro run` per project folder at a time.

Two runs in one folder would overwrite each other's `data/` outputs and checkpoints. The first
run takes `data/.lmforge-run.lock` (created exclusively, holding its pid, start time and
command); a second run fails fast and says who holds the project and how to run in parallel
instead. A lock whose process is gone (a killed run) is taken over with a warning.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from pathlib import Path

logger = logging.getLogger(__name__)

LOCK_FILE = Path("data") / ".lmforge-run.lock"
PARALLEL_HINT = (
    "To run experiments in parallel, queue them with DVC, which gives each its own workspace: "
    "`dvc exp run --queue -S '<params file>:<key>=<value>'` then `dvc queue start -j 2` "
    "(docs/mlflow.md)."
)


class ProjectBusyError(RuntimeError):
    """Another live run holds the project folder."""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def _holder(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


class RunLock:
    """The project's run lock; `acquire` raises `ProjectBusyError` while a live run holds it."""

    def __init__(self, project_path: Path) -> None:
        self.path = Path(project_path) / LOCK_FILE
        self.held = False

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        record = {
            "pid": os.getpid(),
            "started": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
            "command": " ".join(sys.argv[:8]),
        }
        for _ in range(3):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                holder = _holder(self.path)
                pid = int(holder.get("pid", -1))
                if pid == os.getpid():
                    self.held = True
                    return
                if pid > 0 and _alive(pid):
                    raise ProjectBusyError(
                        f"Another run holds this project ({self.path}): pid {pid}, started "
                        f"{holder.get('started', '?')}, `{holder.get('command', '?')}`. Wait "
                        f"for it to finish. {PARALLEL_HINT}"
                    ) from None
                logger.warning(
                    "Taking over a stale run lock %s (pid %s is gone, started %s)",
                    self.path,
                    pid,
                    holder.get("started", "?"),
                )
                self.path.unlink(missing_ok=True)
                continue
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(record, handle)
            self.held = True
            return
        raise ProjectBusyError(f"Could not take the run lock {self.path}. {PARALLEL_HINT}")

    def release(self) -> None:
        if self.held and _holder(self.path).get("pid") == os.getpid():
            self.path.unlink(missing_ok=True)
        self.held = False
