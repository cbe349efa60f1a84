#!/usr/bin/env bash
# The GPU check on a borrowed GPU machine, in one command (at most 8 minutes), from a copy of
# the project whose `.whl/` holds the wheels of `make device-wheels`:
#   bash benchmarks/device/run.sh "$OUT"
# The wheels go into their own folder (`--target`, put first on PYTHONPATH): the image's
# python3 and packages are used as they are, never replaced or wrapped. Then
# benchmarks/gpu_check.sh runs (ENV=gpu unless set); its summary, the whole pipeline log,
# metrics.json and the MLflow figures land in the output folder.
# PYTHON (default python3), WHEELS (default .whl) and SITE (default /tmp/lmforge-site) can be
# changed: the CPU rehearsal (benchmarks/device/rehearse.sh) does.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:-${OUT:-/tmp/lmforge-gpu-check}}
PYTHON=${PYTHON:-python3}
WHEELS=${WHEELS:-.whl}
SITE=${SITE:-/tmp/lmforge-site}
mkdir -p "$OUT"
started=$(date +%s)
"$PYTHON" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
  --target "$SITE" "$WHEELS"/*.whl
export PYTHONPATH="$SITE:$PWD/src${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 MLFLOW_ENABLE_ASYNC_LOGGING=false
echo "wheels installed into $SITE in $(( $(date +%s) - started )) s"
status=0
PYTHON="$PYTHON" KEDRO="$PYTHON -m kedro" ENV="${ENV:-gpu}" LOG="$OUT/pipeline.log" \
  bash benchmarks/gpu_check.sh 2>&1 | tee "$OUT/summary.txt" || status=$?
cp data/08_reporting/metrics.json "$OUT/" 2>/dev/null || true
echo "device check: exit $status after $(( $(date +%s) - started )) s; files in $OUT"
exit "$status"
