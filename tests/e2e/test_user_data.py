"""`kedro run --pipelines data_processing` on a user's CSV, through the real CLI."""

import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from tests.conftest import kedro_run
from tests.e2e.conftest import tracking_uri

pytestmark = pytest.mark.e2e


def test_a_users_csv_with_text_and_label(project):
    rows = [
        (
            f"Review {i}: the screen is {'great' if i % 2 else 'awful'}",
            "positive" if i % 2 else "negative",
        )
        for i in range(60)
    ]
    rows += [("<b>HTML</b> &amp; unlabeled text", ""), ("", "positive"), ("dup", "mixed")]
    path = project / "data" / "01_raw" / "reviews.csv"
    pd.DataFrame(rows, columns=["text", "label"]).to_csv(path, index=False)
    kedro_run(
        project,
        "--pipelines",
        "data_processing",
        "--params",
        f"source.kind=file,source.path={path}",
    )
    raw = pd.read_parquet(project / "data/02_intermediate/raw_corpus.parquet")
    assert len(raw) == 63 and raw["source"].str.endswith("reviews.csv").all()
    splits = {
        name: pd.read_parquet(project / f"data/03_primary/{name}.parquet")
        for name in ("train", "validation", "test", "pretrain_corpus")
    }
    assert set(splits["train"]["label"]) == {"negative", "positive"}
    assert "HTML & unlabeled text" in set(splits["pretrain_corpus"]["text"])
    rejected = pd.read_parquet(project / "data/02_intermediate/rejected.parquet")
    assert set(rejected["reason"]) == {"text:text_not_empty", "label:label_in_label_map"}
    client = MlflowClient(tracking_uri(project))
    (run,) = client.search_runs([client.get_experiment_by_name("lmforge").experiment_id])
    assert run.data.params["source.kind"] == "file"
    assert run.data.metrics["data.rows_raw"] == 63
    assert run.data.metrics["data.rejected.label.label_in_label_map"] == 1
