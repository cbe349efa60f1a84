"""How `make test`'s two workers share the suite (a pytest plugin, loaded by tests/conftest.py).

`--dist loadfile` sends whole files to the workers. Two changes keep them busy to the end:
- the longest files start first (longest-processing-time-first): xdist otherwise starts the
  files with the most tests first, which left the single-test end-to-end files, minutes each,
  for the end while the other worker sat idle;
- the end-to-end files that share a session fixture run on one worker, so that it is built
  once, not once per worker: the trained project, and team mode's PostgreSQL + MLflow server.
"""

from __future__ import annotations

import pytest

TRAINED_PROJECT = "tests/e2e::trained_project"
TEAM_SERVICES = "tests/team::team"
_SHARED_FIXTURE = {
    "tests/e2e/test_compression.py": TRAINED_PROJECT,
    "tests/e2e/test_default_pipeline.py": TRAINED_PROJECT,
    "tests/e2e/test_serving.py": TRAINED_PROJECT,
    "tests/team/test_gate_race.py": TEAM_SERVICES,
    "tests/team/test_team_run.py": TEAM_SERVICES,
}
# The files (or file groups) that take 10 s or more on 2 cores, longest first (pytest
# --durations=0, 2026-12-06). A file missing here only starts later; nothing else changes.
LONGEST_FIRST = (
    "tests/e2e/test_dvc.py",
    TRAINED_PROJECT,
    "tests/federated/test_federation.py",
    TEAM_SERVICES,
    "tests/training/test_loop.py",
    "tests/runners/test_dask_runner.py",
    "tests/training/test_privacy.py",
    "tests/pipelines/label_efficiency/test_pipeline.py",
    "tests/classification/test_classification.py",
    "tests/training/test_distributed.py",
    "tests/test_run_lock.py",
    "tests/pipelines/pretraining/test_pipeline.py",
    "tests/pipelines/finetuning/test_pipeline.py",
    "tests/test_params.py",
)


def work_unit(nodeid: str) -> str:
    """The file of a test, or the group of files that must share a worker."""
    path = nodeid.split("::", 1)[0]
    return _SHARED_FIXTURE.get(path, path)


def start_rank(nodeid: str) -> int:
    unit = work_unit(nodeid)
    return LONGEST_FIRST.index(unit) if unit in LONGEST_FIRST else len(LONGEST_FIRST)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # stable: the tests of a file keep their order; every worker collects the same order
    items.sort(key=lambda item: start_rank(item.nodeid))


@pytest.hookimpl(optionalhook=True)  # an xdist hook: unknown to a run without xdist
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    if config.getoption("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class SharedFixtureScheduling(LoadFileScheduling):
        """`loadfile`, with the files sharing a fixture as one unit, in collection order."""

        def _split_scope(self, nodeid: str) -> str:
            return work_unit(nodeid)

    config.option.loadscopereorder = False  # keep the longest-first order of the collection
    return SharedFixtureScheduling(config, log)
