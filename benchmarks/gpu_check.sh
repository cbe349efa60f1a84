#!/usr/bin/env bash
# GPU check (<= 5 minutes on one datacenter GPU): the default pipeline with `--env gpu` on the
# builtin data, then tokens/s, MFU and peak GPU memory of pretraining and fine-tuning.
#   bash benchmarks/gpu_check.sh            (from the project root, after `make install`)
# BIN: where python and kedro live (default .venv/bin), or PYTHON and KEDRO themselves (the
# borrowed GPU machine: `python3`, `python3 -m kedro`, see benchmarks/device/run.sh); ENV: the
# conf environment (default gpu; `ENV=test` checks the script itself on a CPU machine in seconds).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
PYTHON=${PYTHON:-$BIN/python}
KEDRO=${KEDRO:-$BIN/kedro}
ENV=${ENV:-gpu}
nvidia-smi || echo "nvidia-smi: not available"
$PYTHON -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda,
  torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'no GPU')"
export KEDRO_DISABLE_TELEMETRY=true TOKENIZERS_PARALLELISM=false
start=$(date +%s)
LOG=${LOG:-$(mktemp -t gpu_check.XXXXXX.log)}
if ! $KEDRO run --env "$ENV" > "$LOG" 2>&1; then
  tail -n 80 "$LOG"; echo "kedro run --env $ENV failed (whole log: $LOG)"; exit 1
fi
grep -E "tok_s|perplexity|Pipeline execution completed" "$LOG" | tail -n 8 || true
echo "default pipeline with --env $ENV: $(( $(date +%s) - start )) s"
$PYTHON - <<'PY'
import json

import mlflow

client = mlflow.tracking.MlflowClient("sqlite:///mlruns/mlflow.db")
experiment = client.get_experiment_by_name("lmforge").experiment_id
run = client.search_runs([experiment], order_by=["attributes.start_time DESC"], max_results=1)[0]
metrics = run.data.metrics
for stage in ("pretraining", "finetuning"):
    print(f"{stage:12s} tokens/s {metrics.get(f'{stage}.tokens_per_s', float('nan')):,.0f}  "
          f"MFU {metrics.get(f'{stage}.mfu', float('nan')):.3f}  "
          f"peak GPU memory {metrics.get(f'{stage}.peak_memory_gb', float('nan')):.2f} GB")
print(json.dumps({k: v for k, v in json.load(open("data/08_reporting/metrics.json")).items()
                  if k in ("accuracy", "macro_f1", "no_pretrain_macro_f1",
                           "tfidf_lr_macro_f1")}, indent=2))
PY
