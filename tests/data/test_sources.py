import json

import pandas as pd
import pytest

from lmforge.data.sources import SourceError, SourceParams, load_source, read_table


def write(path, content: str | bytes):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def test_every_file_format(tmp_path):
    write(tmp_path / "a.csv", "text,label\nGood phone,positive\n坏了,negative\n")
    write(tmp_path / "b.tsv", "text\tlabel\nFine\tneutral\n")
    write(tmp_path / "c.jsonl", json.dumps({"text": "Nice", "label": "positive"}) + "\n\n")
    pd.DataFrame({"text": ["Parquet row"], "label": [None]}).to_parquet(tmp_path / "d.parquet")
    write(tmp_path / "e.txt", "first unlabeled line\n\nsecond 第二行\n")
    frame = load_source(SourceParams(kind="file", path=str(tmp_path)))
    assert list(frame.columns) == ["text", "label", "split", "source"]
    assert len(frame) == 7
    txt = frame[frame["source"].str.endswith("e.txt")]
    assert txt["text"].tolist() == ["first unlabeled line", "second 第二行"]
    assert txt["label"].isna().all()
    assert frame.loc[frame["text"] == "坏了", "label"].item() == "negative"


def test_glob_and_unlabeled_path(tmp_path):
    write(tmp_path / "x" / "one.csv", "body,y\nA,pos\n,neg\n")
    write(tmp_path / "extra.txt", "unlabeled text\n")
    params = SourceParams(kind="file", path=str(tmp_path / "x" / "*.csv"), text_column="body",
                          label_column="y", unlabeled_path=str(tmp_path / "extra.txt"))
    frame = load_source(params)
    assert frame["text"].tolist() == ["A", "", "unlabeled text"]
    assert frame["label"].tolist()[0] == "pos" and pd.isna(frame["label"].iloc[2])


def test_split_column_is_honoured(tmp_path):
    write(tmp_path / "s.csv", "text,label,part\nA,pos,train\nB,neg,test\n")
    frame = load_source(SourceParams(kind="file", path=str(tmp_path / "s.csv"),
                                     split_column="part"))
    assert frame["split"].tolist() == ["train", "test"]


def test_missing_text_column_names_file_and_column(tmp_path):
    path = write(tmp_path / "bad.csv", "content,label\nA,pos\n")
    with pytest.raises(SourceError, match=r"bad\.csv.*column 'text'"):
        load_source(SourceParams(kind="file", path=str(path)))


def test_non_utf8_bytes_name_the_file(tmp_path):
    path = write(tmp_path / "latin1.csv", "text,label\ncaf\xe9,pos\n".encode("latin-1"))
    with pytest.raises(SourceError, match=r"latin1\.csv: not valid UTF-8"):
        read_table(path)
    txt = write(tmp_path / "latin1.txt", b"\xff\xfe broken")
    with pytest.raises(SourceError, match=r"latin1\.txt"):
        read_table(txt)


def test_bad_jsonl_line_is_named(tmp_path):
    path = write(tmp_path / "x.jsonl", '{"text": "ok"}\n{not json}\n')
    with pytest.raises(SourceError, match=r"x\.jsonl: line 2"):
        read_table(path)


def test_missing_path_and_unknown_kind(tmp_path):
    with pytest.raises(SourceError, match="No input file"):
        load_source(SourceParams(kind="file", path=str(tmp_path / "nothing.csv")))
    with pytest.raises(SourceError, match="source.kind"):
        load_source(SourceParams(kind="s3"))
    with pytest.raises(SourceError, match="Unknown keys"):
        SourceParams.from_dict({"kind": "file", "paht": "x"})


def test_huggingface_dataset_saved_to_disk(tmp_path):
    datasets = pytest.importorskip("datasets")
    features = datasets.Features({"sentence": datasets.Value("string"),
                                  "label": datasets.ClassLabel(names=["neg", "pos"])})
    train = datasets.Dataset.from_dict({"sentence": ["good", "bad"], "label": [1, 0]},
                                       features=features)
    test = datasets.Dataset.from_dict({"sentence": ["fine"], "label": [1]}, features=features)
    datasets.DatasetDict({"train": train, "test": test}).save_to_disk(str(tmp_path / "hf"))
    frame = load_source(SourceParams(kind="huggingface", path=str(tmp_path / "hf"),
                                     text_column="sentence"))
    assert frame["text"].tolist() == ["good", "bad", "fine"]
    assert frame["label"].tolist() == ["pos", "neg", "pos"]
    assert frame["split"].tolist() == ["train", "train", "test"]
