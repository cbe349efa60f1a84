"""`kedro run --pipelines compression` after a default run: three variants, one measurement,
registered under the teacher's name, and the int8 variant served by `mlflow models serve`."""

import json

import pytest
from mlflow.tracking import MlflowClient

from lmforge.compression.int8 import ONNX_FILE
from tests.conftest import kedro_run
from tests.e2e.conftest import serve_champion, tracking_uri

pytestmark = pytest.mark.e2e


def test_compression_pipeline_end_to_end_and_the_int8_variant_serves(trained_project):
    # `registry.promote=force`: the tiny model's timings are too noisy to gate on here (the
    # gate itself is tested in tests/tracking/test_registry.py).
    kedro_run(
        trained_project,
        "--pipelines",
        "compression",
        "--params",
        "compression.variants=all,registry.promote=force",
    )
    reporting = trained_project / "data/08_reporting"
    report = json.loads((reporting / "compression.json").read_text())
    assert set(report) == {"teacher", "int8", "pruned", "distilled"}
    for row in report.values():
        assert {"macro_f1", "parameters", "size_bytes", "latency_ms_batch1", "texts_per_s"} <= set(
            row
        )
    assert report["teacher"]["texts_per_s_ratio"] == 1.0
    assert report["pruned"]["parameters"] < report["teacher"]["parameters"]
    assert report["distilled"]["parameters"] < report["teacher"]["parameters"]
    assert (reporting / "compression.png").stat().st_size > 0
    assert (trained_project / "data/06_models/int8" / ONNX_FILE).is_file()

    client = MlflowClient(tracking_uri(trained_project))
    outcomes = json.loads((reporting / "compression_registration.json").read_text())
    assert [o["variant"] for o in outcomes] == ["int8", "pruned", "distilled"]
    for outcome in outcomes:
        version = client.get_model_version("lmforge-classifier", outcome["version"])
        assert version.tags["lmforge.variant"] == outcome["variant"]
        alias = client.get_model_version_by_alias("lmforge-classifier", outcome["alias"])
        assert alias.version == version.version
    run = client.get_run(version.run_id)
    assert {"compression.int8.texts_per_s_ratio", "compression.pruned.macro_f1"} <= set(
        run.data.metrics
    )
    assert any(m.startswith("distillation.") for m in run.data.metrics)

    with serve_champion(trained_project, "champion-int8") as server:
        server.wait("/ping")
        answer = server.post(
            "/invocations",
            {
                "dataframe_split": {
                    "columns": ["text"],
                    "data": [["Great phone!"], ["很差，不推荐"]],
                }
            },
        )
    rows = answer["predictions"]
    assert [r["label"] in {"negative", "neutral", "positive"} for r in rows] == [True, True]
    assert all(abs(sum(v for k, v in r.items() if k.startswith("prob_")) - 1) < 1e-4 for r in rows)
