"""`kedro run` (the whole default pipeline) on a tiny configuration, through the real CLI."""

import json

import mlflow
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient
from transformers import AutoModelForCausalLM, AutoModelForSequenceClassification

from tests.conftest import kedro_run
from tests.e2e.conftest import tracking_uri

pytestmark = pytest.mark.e2e


def test_every_stage_wrote_its_outputs(trained_project):
    data = trained_project / "data"
    for name in (
        "02_intermediate/raw_corpus.parquet",
        "02_intermediate/label_map.json",
        "02_intermediate/rejected.parquet",
        "03_primary/train.parquet",
        "03_primary/validation.parquet",
        "03_primary/test.parquet",
        "03_primary/pretrain_corpus.parquet",
        "04_feature/pretrain_tokens/tokens.bin",
        "08_reporting/pretraining_curves.csv",
        "08_reporting/finetuning_curves.csv",
        "08_reporting/confusion_matrix.png",
        "08_reporting/confusion_matrix.json",
    ):
        assert (data / name).exists(), name
    AutoModelForCausalLM.from_pretrained(data / "06_models" / "pretrained")
    classifier = AutoModelForSequenceClassification.from_pretrained(
        data / "06_models" / "classifier"
    )
    assert classifier.config.id2label == {0: "negative", 1: "neutral", 2: "positive"}
    metrics = json.loads((data / "08_reporting" / "metrics.json").read_text())
    for key in (
        "accuracy",
        "macro_f1",
        "tfidf_lr_accuracy",
        "tfidf_lr_macro_f1",
        "no_pretrain_accuracy",
        "no_pretrain_macro_f1",
        "ece",
        "positive_f1",
    ):
        assert 0.0 <= metrics[key] <= 1.0, key
    curves = pd.read_csv(data / "08_reporting" / "pretraining_curves.csv")
    perplexity = curves["val_perplexity"].dropna()
    assert perplexity.iloc[-1] < perplexity.iloc[0]  # it learned something


def test_one_mlflow_run_shows_params_metrics_artifacts_and_lineage(trained_project):
    client = MlflowClient(tracking_uri(trained_project))
    experiment = client.get_experiment_by_name("lmforge")
    default_runs = "tags.`kedro.pipelines` = '__default__'"  # (other tests add other runs)
    (run,) = client.search_runs([experiment.experiment_id], filter_string=default_runs)
    params, metrics, tags = run.data.params, run.data.metrics, run.data.tags
    assert run.info.run_name == "clm 1x32 · full · builtin"  # conf/test's model
    assert tags["kedro.pipelines"] == "__default__"
    assert params["source.kind"] == "builtin" and params["pretraining.objective"] == "clm"
    assert params["finetuning.strategy"] == "full" and "split.ratios.train" in params
    assert metrics["data.rows_raw"] == 1500 and metrics["data.rejected.text.duplicate"] > 0
    for name in (
        "test.macro_f1",
        "test.tfidf_lr_macro_f1",
        "test.latency_ms_batch1",
        "pretraining.final_val_perplexity",
        "finetuning.best_val_macro_f1",
    ):
        assert name in metrics, name
    history = client.get_metric_history(run.info.run_id, "pretraining.val_perplexity")
    assert len(history) >= 2
    assert "pretraining.mfu" in metrics and "pretraining.tokens_per_s" in metrics
    assert {"lineage.train.md5", "lineage.test.md5", "lineage.classifier.md5"} <= set(tags)
    assert tags["upstream.pretraining.run_id"] == run.info.run_id
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert {
        "label_map.json",
        "confusion_matrix.png",
        "metrics.json",
        "rejected_sample.csv",
        "pretrained_model",
    } <= artifacts
    version = client.get_model_version_by_alias("lmforge-classifier", "champion")
    assert version.run_id == run.info.run_id
    assert version.tags["lmforge.promotion"].startswith("promoted: first version")


def test_champion_predicts_raw_text(trained_project):
    mlflow.set_tracking_uri(tracking_uri(trained_project))
    model = mlflow.pyfunc.load_model("models:/lmforge-classifier@champion")
    texts = [
        "<p>The screen is <b>superb</b> &amp; I love it!</p>",
        "电池一点也不耐用，不推荐。",
        "",
        None,
        "Ｆｕｌｌ－ｗｉｄｔｈ text",
    ]
    out = model.predict(pd.DataFrame({"text": texts}))
    assert list(out.columns) == ["label", "prob_negative", "prob_neutral", "prob_positive", "flag"]
    scored = out.iloc[[0, 1, 4]]
    assert scored["label"].isin(["negative", "neutral", "positive"]).all()
    sums = scored[["prob_negative", "prob_neutral", "prob_positive"]].sum(axis=1)
    assert sums.to_numpy() == pytest.approx(1.0, abs=1e-5)
    assert out.loc[[2, 3], "flag"].tolist() == ["empty_text", "empty_text"]
    assert out.loc[[2, 3], "label"].isna().all()


def test_inference_pipeline_scores_a_file(trained_project):
    source = trained_project / "score_me.csv"
    source.write_text(
        'id,text\n1,"Great phone, would buy again."\n2,\n3,"屏幕很清晰"\n', encoding="utf-8"
    )
    target = trained_project / "scored.parquet"
    kedro_run(
        trained_project,
        "--pipelines",
        "inference",
        "--params",
        f"inference.input_path={source},inference.output_path={target}",
    )
    scored = pd.read_parquet(target)
    assert scored["id"].tolist() == ["1", "2", "3"]  # input columns pass through as read
    assert scored["flag"].tolist()[1] == "empty_text"
    assert scored.loc[[0, 2], "label"].notna().all()
    assert {"prob_negative", "prob_neutral", "prob_positive"} <= set(scored.columns)
