"""The `label_efficiency` pipeline on one pretrained model."""

from lmforge.datasets import HFModelDataset, PackedTokensDataset
from lmforge.pipelines.pretraining import create_pipeline as pretraining_pipeline
from tests.pipelines.conftest import corpus_batches, run_in_memory


def test_label_efficiency_curve_on_one_pretrained_model(tmp_path, params, data_outputs):
    from lmforge.pipelines.label_efficiency import create_pipeline as curve_pipeline

    inputs = {name: data_outputs[name] for name in ("train", "validation", "test", "label_map")}
    inputs["pretrain_corpus"] = corpus_batches(tmp_path, data_outputs["pretrain_corpus"])
    params["label_efficiency"]["budgets"] = [30, None]
    catalog = run_in_memory(
        pretraining_pipeline() + curve_pipeline(),
        params,
        inputs,
        {
            "pretrain_tokens": PackedTokensDataset(str(tmp_path / "tokens")),
            "pretrained_model": HFModelDataset(str(tmp_path / "pretrained")),
        },
    )
    points = catalog.load("label_efficiency")
    n_train = int((~data_outputs["train"]["augmented"]).sum())
    assert [p["labels"] for p in points] == [30, n_train]
    for point in points:
        for series in ("pretrained", "no_pretrain", "tfidf_lr"):
            assert 0.0 <= point[f"{series}_macro_f1"] <= 1.0
    figure = catalog.load("label_efficiency_plot")
    assert len(figure.axes[0].lines) == 3
