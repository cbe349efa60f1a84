"""lmforge's test suite.

One thread per torch (and BLAS) process, set here, before any test module loads torch: the two
workers and the project processes they start share the machine's cores, and the tests' models
are tiny, and OpenMP's idle threads spin while they wait for a core (measured in
docs/development.md). Subprocesses inherit it through their environment; a value set outside
the suite wins. Only inside a pytest session (`PYTEST_VERSION`, set by pytest): the benchmarks
import the tests' helpers and measure what a user's run does, with torch's own thread count.
"""

import os

THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")

if "PYTEST_VERSION" in os.environ:
    for _variable in THREAD_VARIABLES:
        os.environ.setdefault(_variable, "1")
