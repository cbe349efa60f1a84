"""The suite runs one torch/BLAS thread per process; the benchmarks, which import the tests'
helpers, keep torch's own thread count (they measure what a user's run does)."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import PROJECT_ROOT

THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def test_the_suite_runs_one_thread_per_process_unless_told_otherwise():
    assert "PYTEST_VERSION" in os.environ
    assert all(os.environ[name] for name in THREAD_VARIABLES)


def test_a_benchmark_importing_the_test_helpers_keeps_the_thread_settings_it_was_given():
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in THREAD_VARIABLES and key != "PYTEST_VERSION"
    }
    script = (
        "import os, tests.conftest, torch; "
        f"print([os.environ.get(v) for v in {THREAD_VARIABLES!r}], torch.get_num_threads())"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    unset, threads = result.stdout.strip().rsplit(" ", 1)
    assert unset == "[None, None, None]"
    assert int(threads) == torch_default_threads(env)


def torch_default_threads(env: dict[str, str]) -> int:
    """torch's thread count in a process that sets nothing."""
    result = subprocess.run(
        [sys.executable, "-c", "import torch; print(torch.get_num_threads())"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return int(result.stdout)
