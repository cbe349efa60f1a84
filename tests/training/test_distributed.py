import mlflow
import pytest
import torch
from mlflow.tracking import MlflowClient

from lmforge.tracking.mlflow_logging import StepLogger
from lmforge.training.loop import TrainConfig, train
from tests.conftest import empty_mlflow_store, lm_task, tiny_lm

CONFIG = dict(
    max_steps=8,
    batch_size=16,
    lr=3e-3,
    eval_every=4,
    log_every=2,
    checkpoint_every=4,
    keep_checkpoints=5,
    keep_checkpoints_on_success=True,
    progress_bar=False,
    seed=5,
)


def test_two_gloo_processes_match_one_and_log_once(tmp_path, packed, tokenizer):
    mlflow.set_tracking_uri(empty_mlflow_store(tmp_path / "mlflow.db", tmp_path / "mlruns"))
    experiment = mlflow.create_experiment("ddp", artifact_location=str(tmp_path / "artifacts"))
    single = train(
        tiny_lm(tokenizer),
        lm_task(packed, tokenizer),
        TrainConfig(**CONFIG, devices=1),
        tmp_path / "one",
    )
    with mlflow.start_run(experiment_id=experiment) as run:
        double = train(
            tiny_lm(tokenizer),
            lm_task(packed, tokenizer),
            TrainConfig(**CONFIG, devices=2),
            tmp_path / "two",
            callbacks=[StepLogger("ddp.")],
        )
    assert double.summary["world_size"] == 2 and double.steps == 8
    assert double.final_metrics["val_loss"] == pytest.approx(
        single.final_metrics["val_loss"], rel=1e-3
    )
    for a, b in zip(single.model.parameters(), double.model.parameters()):
        torch.testing.assert_close(a, b, rtol=1e-3, atol=1e-4)
    # one run, each step logged once (rank 0 only), one checkpoint series
    client = MlflowClient()
    assert len(client.search_runs([experiment])) == 1
    history = client.get_metric_history(run.info.run_id, "ddp.train_loss")
    assert sorted(m.step for m in history) == [2, 4, 6, 8]
    steps = sorted(p.name for p in (tmp_path / "two").iterdir() if p.name.startswith("step_"))
    assert steps == ["step_00000004", "step_00000008"]
    assert sorted(p.name for p in (tmp_path / "two" / "step_00000008").iterdir()) == [
        "manifest.json",
        "model.safetensors",
        "trainer_state.pt",
    ]
