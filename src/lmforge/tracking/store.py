"""Where MLflow runs go: the project's one store, also from DVC's queued experiments.

`dvc exp run --queue` + `dvc queue start` run each experiment in its own copy of the project
under `<project>/.dvc/tmp/exps/…`, which DVC deletes afterwards. A store path relative to that
copy would vanish with it, so inside such a workspace the tracking URI and the artifact root
point at the main project's `mlruns/`. `LMFORGE_TRACKING_URI` overrides both (an MLflow server,
another database). `conf/base/mlflow.yml` reads them through the resolvers registered in
`settings.py`.
"""

from __future__ import annotations

import os
from pathlib import Path

ENV_VAR = "LMFORGE_TRACKING_URI"
STORE = Path("mlruns") / "mlflow.db"
DVC_WORKSPACES = (".dvc", "tmp", "exps")


def main_project_root(path: Path) -> Path | None:
    """The project that owns `path` when `path` is inside one of DVC's experiment workspaces."""
    parts = Path(path).resolve().parts
    for i in range(len(parts) - len(DVC_WORKSPACES), 0, -1):
        if parts[i : i + len(DVC_WORKSPACES)] == DVC_WORKSPACES:
            return Path(*parts[:i])
    return None


def tracking_uri() -> str:
    """`LMFORGE_TRACKING_URI`, else the project's sqlite store (the main project's, from a
    DVC experiment workspace)."""
    if os.environ.get(ENV_VAR):
        return os.environ[ENV_VAR]
    root = main_project_root(Path.cwd())
    return f"sqlite:///{root / STORE}" if root else f"sqlite:///{STORE.as_posix()}"


def artifact_location() -> str | None:
    """Artifacts of an experiment created from a DVC workspace go to the main project too."""
    if os.environ.get(ENV_VAR):
        return None
    root = main_project_root(Path.cwd())
    return str(root / "mlruns") if root else None
