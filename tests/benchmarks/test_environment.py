"""The suite runs one torch/BLAS thread per process; the benchmarks, which import the tests'
helpers, keep torch's own thread count (they measure what a user's run does)."""

from __future__ import annotations

import os
import subprocess
import sys

from tests import THREAD_VARIABLES
from tests.conftest import PROJECT_ROOT


def test_the_suite_runs_one_thread_per_process_unless_told_otherwise():
    assert "PYTEST_VERSION" in os.environ
    assert all(os.environ[name] for name in THREAD_VARIABLES)


def printed(script: str, env: dict[str, str]) -> str:
    """What `python -c script` prints, run from the project root in `env`."""
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_a_benchmark_importing_the_test_helpers_keeps_the_thread_settings_it_was_given():
    outside = {
        key: value
        for key, value in os.environ.items()
        if key not in THREAD_VARIABLES and key != "PYTEST_VERSION"
    }
    benchmark = printed(
        "import os, tests.conftest, torch; "
        f"print([os.environ.get(v) for v in {THREAD_VARIABLES!r}], torch.get_num_threads())",
        outside,
    )
    plain = printed("import torch; print(torch.get_num_threads())", outside)
    assert benchmark == f"[None, None, None] {plain}"
