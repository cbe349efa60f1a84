"""`conf/<env>/dask.yml` (key `dask`), handed to `DaskRunner` by `lmforge.hooks.DaskConfigHook`.
Kept apart from the runner so that every `kedro run` need not import Dask."""

from __future__ import annotations

from typing import Any

DASK_SETTINGS: dict[str, Any] = {}


def configure(settings: dict[str, Any]) -> None:
    DASK_SETTINGS.clear()
    DASK_SETTINGS.update(settings or {})
