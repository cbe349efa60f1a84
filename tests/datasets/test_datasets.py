"""lmforge's Kedro datasets, saved and loaded through their real files."""

import pandas as pd
import pytest
from kedro.io import DatasetError

from lmforge.datasets import (
    HFModelDataset,
    HFTokenizerDataset,
    PackedTokensDataset,
    TabularTextDataset,
    TextCorpusDataset,
    TokenStream,
)
from lmforge.modeling.artifacts import ModelBundle
from lmforge.modeling.model import build_classifier
from tests.conftest import TINY, empty_mlflow_store


def test_text_corpus_streams_batches(tmp_path):
    dataset = TextCorpusDataset(str(tmp_path / "corpus.parquet"), batch_size=2)
    assert not dataset.exists()
    dataset.save(pd.DataFrame({"text": ["一", "two", "three", "四"]}))
    batches = list(dataset.load())
    assert batches == [["一", "two"], ["three", "四"]]


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".jsonl", ".parquet"])
def test_tabular_text_round_trips_every_format(tmp_path, suffix):
    frame = pd.DataFrame({"text": ['很好, "quoted"', "tab\there"], "label": ["pos", "neg"]})
    dataset = TabularTextDataset(str(tmp_path / f"scored{suffix}"))
    dataset.save(frame)
    loaded = dataset.load()
    assert loaded["text"].tolist() == frame["text"].tolist()
    with pytest.raises(DatasetError, match="does not exist"):
        TabularTextDataset(str(tmp_path / "missing.csv")).load()
    with pytest.raises(DatasetError, match=r"Cannot write predictions as '\.xlsx'"):
        TabularTextDataset(str(tmp_path / "out.xlsx")).save(frame)


def test_packed_tokens_and_tokenizer_round_trip(tmp_path, tokenizer):
    tokens = PackedTokensDataset(str(tmp_path / "tokens"))
    docs = [[5, 6, 7], [8], []]
    tokens.save(TokenStream(batches=[docs], vocab_size=100, sep_id=3, special_ids={"pad": 0}))
    packed = tokens.load()
    assert packed.n_docs == 2 and packed.n_tokens == 6  # [SEP] after each non-empty document
    folder = HFTokenizerDataset(str(tmp_path / "tokenizer"))
    folder.save(tokenizer)
    assert folder.exists() and folder.load()("good phone")["input_ids"]


def test_model_folders_and_skipped_baselines(tmp_path, tokenizer):
    dataset = HFModelDataset(str(tmp_path / "classifier"))
    with pytest.raises(DatasetError, match="run the pipeline that writes it first"):
        dataset.load()
    model = build_classifier(None, ["a", "b"], TINY.to_hf("clm", tokenizer), seed=0)
    dataset.save(ModelBundle(model, tokenizer, files={"label_map.json": {"classes": ["a", "b"]}}))
    ref = dataset.load()
    assert ref.exists() and not ref.skipped
    assert ref.load_classifier().config.num_labels == 2
    assert ref.side_file("label_map.json") == {"classes": ["a", "b"]}
    dataset.save(ModelBundle.skipped("switched off"))  # replaces the folder atomically
    ref = dataset.load()
    assert ref.skipped and not ref.exists() and not list(tmp_path.glob(".*tmp*"))


def test_a_figure_is_saved_and_logged_as_an_mlflow_artifact(tmp_path):
    """The catalog's plot entries: `FigureDataset` inside kedro-mlflow's artifact wrapper."""
    import subprocess
    import sys

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import mlflow
    from kedro_mlflow.io.artifacts import MlflowArtifactDataset

    figure, axis = plt.subplots()
    axis.plot([0, 1], [1, 0])
    path = tmp_path / "plots" / "curve.png"
    dataset = MlflowArtifactDataset(
        dataset={"type": "lmforge.datasets.FigureDataset", "filepath": str(path)}
    )
    mlflow.set_tracking_uri(empty_mlflow_store(tmp_path / "mlflow.db", tmp_path / "mlruns"))
    experiment = mlflow.create_experiment("figures", artifact_location=str(tmp_path / "art"))
    with mlflow.start_run(experiment_id=experiment) as run:
        dataset.save(figure)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    logged = mlflow.MlflowClient().list_artifacts(run.info.run_id)
    assert [a.path for a in logged] == ["curve.png"]
    with pytest.raises(DatasetError, match="nothing loads it"):
        dataset.load()
    # building such an entry does not import matplotlib (start-up time)
    probe = (
        "import sys; from lmforge.datasets import FigureDataset; "
        "FigureDataset('x.png'); print('matplotlib' in sys.modules)"
    )
    imported = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert imported.stdout.strip() == "False", imported.stderr
