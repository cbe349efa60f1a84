"""One run per project folder: a second run fails fast, a stale lock is taken over."""

from __future__ import annotations

import json
import logging
import subprocess
import sys

import pytest

from lmforge.run_lock import LOCK_FILE, ProjectBusyError, RunLock
from tests.conftest import kedro_run


def hold(project, pid: int) -> None:
    lock = project / LOCK_FILE
    lock.parent.mkdir(parents=True, exist_ok=True)
    lock.write_text(json.dumps({"pid": pid, "started": "earlier", "command": "kedro run"}))


def test_a_live_holder_refuses_a_second_run_and_a_dead_one_is_taken_over(tmp_path, caplog):
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        hold(tmp_path, sleeper.pid)
        with pytest.raises(ProjectBusyError, match=rf"pid {sleeper.pid}, started earlier"):
            RunLock(tmp_path).acquire()
    finally:
        sleeper.kill()
        sleeper.wait()
    with caplog.at_level(logging.WARNING):
        lock = RunLock(tmp_path)
        lock.acquire()
    assert "stale run lock" in caplog.text
    assert json.loads((tmp_path / LOCK_FILE).read_text())["pid"] != sleeper.pid
    lock.release()
    assert not (tmp_path / LOCK_FILE).exists()


@pytest.mark.e2e
def test_kedro_run_fails_fast_while_another_run_holds_the_project(project):
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        hold(project, sleeper.pid)
        result = kedro_run(project, "--pipelines", "data_processing", check=False)
    finally:
        sleeper.kill()
        sleeper.wait()
    assert result.returncode != 0
    output = " ".join((result.stdout + result.stderr).split())  # rich wraps long lines
    assert f"pid {sleeper.pid}" in output and "dvc queue start" in output
    assert not (project / "data" / "02_intermediate" / "raw_corpus.parquet").exists()
    kedro_run(project, "--pipelines", "data_processing")  # the holder is gone: taken over
    assert not (project / LOCK_FILE).exists()
