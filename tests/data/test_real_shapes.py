"""Fixtures in the shapes real public datasets arrive in (SST-2, IMDB, GLUE TSVs, intents)."""

import json
import logging

import pandas as pd
import pytest

from lmforge.data.sources import SourceError, SourceParams, load_source, read_table


def write(path, content: str | bytes):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def source(path, **overrides) -> SourceParams:
    return SourceParams(kind="file", path=str(path), **overrides)


# ---- integer labels ------------------------------------------------------------------------
@pytest.mark.parametrize("with_nulls", [False, True])
@pytest.mark.parametrize("suffix", ["csv", "jsonl", "parquet"])
def test_integer_labels_stay_integers(tmp_path, suffix, with_nulls):
    labels = [0, 1, None, 1] if with_nulls else [0, 1, 0, 1]
    frame = pd.DataFrame({"sentence": ["a film", "a gem", "so dull", "loved it"],
                          "label": pd.array(labels, dtype="Int64")})
    path = tmp_path / f"sst2.{suffix}"
    if suffix == "csv":
        frame.to_csv(path, index=False)
    elif suffix == "jsonl":
        # JSON numbers with a null: pandas would read them as 0.0 / 1.0 floats
        path.write_text("\n".join(json.dumps({"sentence": s, "label": None if pd.isna(v)
                                              else float(v)})
                                  for s, v in zip(frame["sentence"], labels)))
    else:
        frame.astype({"label": "float64"}).to_parquet(path)
    out = load_source(source(path, text_column="sentence"))
    expected = ["0", "1", None, "1"] if with_nulls else ["0", "1", "0", "1"]
    assert [None if pd.isna(v) else v for v in out["label"]] == expected


def test_label_names_name_integer_labels(tmp_path):
    path = write(tmp_path / "imdb.csv", "text,label\ngreat,1\nawful,0\n")
    out = load_source(source(path, label_names={0: "negative", 1: "positive"}))
    assert out["label"].tolist() == ["positive", "negative"]


# ---- Hugging Face conventions --------------------------------------------------------------
def test_a_test_split_labelled_minus_one_becomes_unlabeled_text(tmp_path, caplog):
    path = write(tmp_path / "glue.csv",
                 "sentence,label,split\ngood,1,train\nbad,0,train\nmeh,-1,test\nhuh,-1,test\n")
    with caplog.at_level(logging.WARNING):
        out = load_source(source(path, text_column="sentence", split_column="split"))
    assert out["label"].isna().tolist() == [False, False, True, True]
    assert out["split"].isna().tolist() == [False, False, True, True]
    assert "split 'test' has no label" in caplog.text


def test_split_names_are_folded_and_unsupervised_is_unlabeled(tmp_path):
    path = write(tmp_path / "imdb.csv",
                 "text,label,split\na,1,TRAIN\nb,0,dev\nc,1,valid\nd,0,val\ne,0,unsupervised\n")
    out = load_source(source(path, split_column="split"))
    assert out["split"].tolist()[:4] == ["train", "validation", "validation", "validation"]
    assert pd.isna(out["split"].iloc[4]) and pd.isna(out["label"].iloc[4])


def test_huggingface_classlabel_names_and_unlabeled_test(tmp_path):
    datasets = pytest.importorskip("datasets")
    features = datasets.Features({"sentence": datasets.Value("string"),
                                  "label": datasets.ClassLabel(names=["negative", "positive"])})

    def part(rows):
        return datasets.Dataset.from_dict({"sentence": [r[0] for r in rows],
                                           "label": [r[1] for r in rows]}, features=features)

    datasets.DatasetDict({
        "train": part([("good", 1), ("bad", 0)]),
        "validation": part([("fine", 1)]),
        "test": part([("hidden", -1), ("unknown", -1)]),
        "unsupervised": part([("no label here", -1)]),
    }).save_to_disk(str(tmp_path / "hf"))
    out = load_source(SourceParams(kind="huggingface", path=str(tmp_path / "hf"),
                                   text_column="sentence"))
    by_text = out.set_index("text")
    assert by_text.loc["good", "label"] == "positive" and by_text.loc["bad", "label"] == "negative"
    assert by_text.loc["fine", "split"] == "validation"
    for text in ("hidden", "unknown", "no label here"):
        assert pd.isna(by_text.loc[text, "label"]) and pd.isna(by_text.loc[text, "split"])


# ---- missing or misnamed label column ------------------------------------------------------
def test_a_misnamed_label_column_names_it_and_the_columns_found(tmp_path):
    path = write(tmp_path / "reviews.csv", "text,sentiment\ngood,1\n")
    with pytest.raises(SourceError, match=r"'label' not found .*reviews\.csv.*'sentiment'"):
        load_source(source(path))


def test_label_column_null_means_all_unlabeled(tmp_path):
    path = write(tmp_path / "reviews.csv", "text,sentiment\ngood,1\nbad,0\n")
    out = load_source(source(path, label_column=None))
    assert out["label"].isna().all() and out["text"].tolist() == ["good", "bad"]


def test_a_glob_names_only_the_files_without_the_label_column(tmp_path):
    write(tmp_path / "a.csv", "text,label\ngood,1\n")
    write(tmp_path / "b.csv", "text,label\nbad,0\n")
    write(tmp_path / "c.csv", "text\nno label\n")
    with pytest.raises(SourceError, match=r"1 of 3 file\(s\): \S*c\.csv") as error:
        load_source(source(tmp_path / "*.csv"))
    assert "a.csv" not in str(error.value) and "b.csv" not in str(error.value)


# ---- broken CSV / TSV ----------------------------------------------------------------------
def test_a_csv_row_with_an_extra_field_names_file_and_line(tmp_path):
    path = write(tmp_path / "broken.csv", "text,label\ngood,1\nbad, really bad,0\nok,1\n")
    with pytest.raises(SourceError, match=r"broken\.csv: line 3 does not have the 2 fields"):
        read_table(path)


def test_glue_tsv_with_quotes_inside_fields_is_parsed_as_written(tmp_path):
    body = ('sentence\tlabel\n'
            'it \'s a " charming and often affecting journey . \t1\n'
            '"unflinchingly bleak and desperate \t0\n'
            'the " best " film\t1\n')
    out = load_source(source(write(tmp_path / "train.tsv", body), text_column="sentence"))
    assert out["label"].tolist() == ["1", "0", "1"]
    assert out["text"].iloc[1] == '"unflinchingly bleak and desperate '
    assert out["text"].iloc[2] == 'the " best " film'


def test_a_quoted_tsv_keeps_tabs_and_newlines_inside_fields(tmp_path):
    frame = pd.DataFrame({"text": ["a\ttab inside", "two\nlines", "plain"], "label": [1, 0, 1]})
    path = tmp_path / "quoted.tsv"
    frame.to_csv(path, sep="\t", index=False)
    out = load_source(source(path))
    assert out["text"].tolist() == frame["text"].tolist()
    assert out["label"].tolist() == ["1", "0", "1"]


def test_a_tsv_row_with_an_extra_tab_names_file_and_line(tmp_path):
    path = write(tmp_path / "bad.tsv", "text\tlabel\ngood\t1\nbad\ttab\t0\n")
    with pytest.raises(SourceError, match=r"bad\.tsv: line 3"):
        read_table(path)


# ---- directories, encodings, empty files, line breaks --------------------------------------
def test_directories_skip_hidden_files_and_pipeline_outputs(tmp_path):
    write(tmp_path / "data" / "01_raw" / "reviews.csv", "text,label\ngood,1\n")
    write(tmp_path / "data" / "01_raw" / ".DS_Store", b"\x00\x01binary")
    write(tmp_path / "data" / "01_raw" / "._reviews.csv", b"\x00\x05\x16\x07AppleDouble")
    write(tmp_path / "data" / "01_raw" / ".cache" / "old.csv", "text,label\nstale,0\n")
    pd.DataFrame({"text": ["ingested"], "label": ["1"]}).to_parquet(
        write(tmp_path / "data" / "02_intermediate" / "raw_corpus.parquet", b""))
    out = load_source(source(tmp_path / "data"))
    assert out["text"].tolist() == ["good"]
    out = load_source(source(tmp_path / "data" / "**" / "*.csv"))
    assert out["text"].tolist() == ["good"]


def test_jsonl_with_a_byte_order_mark(tmp_path):
    path = write(tmp_path / "bom.jsonl", "\ufeff" + json.dumps({"text": "好", "label": 1})
                 + "\n" + json.dumps({"text": "差", "label": 0}) + "\n")
    out = load_source(source(path))
    assert out["text"].tolist() == ["好", "差"] and out["label"].tolist() == ["1", "0"]


@pytest.mark.parametrize(("name", "content", "message"), [
    ("empty.csv", "", r"empty\.csv: the file is empty"),
    ("header.csv", "text,label\n", r"header\.csv: the file has a header .* but no rows"),
    ("header.tsv", "text\tlabel\n", r"header\.tsv: the file has a header .* but no rows"),
    ("nothing.jsonl", "\n\n", r"nothing\.jsonl: no JSON record"),
])
def test_empty_and_header_only_files_say_so(tmp_path, name, content, message):
    with pytest.raises(SourceError, match=message):
        load_source(source(write(tmp_path / name, content)))


def test_text_files_split_only_on_newlines(tmp_path):
    path = write(tmp_path / "lines.txt",
                 "one\u2028still one\x0bstill one\r\ntwo\u0085still two\nthree\n")
    out = load_source(source(path))
    assert out["text"].tolist() == ["one\u2028still one\x0bstill one",
                                    "two\u0085still two", "three"]


def test_integer_labels_written_as_floats_by_pandas_are_integers(tmp_path):
    path = tmp_path / "floats.csv"
    pd.DataFrame({"text": ["a", "b", "c"], "label": [1, None, 0]}).to_csv(path, index=False)
    assert "1.0" in path.read_text()
    out = load_source(source(path))
    assert out["label"].tolist()[0] == "1" and out["label"].tolist()[2] == "0"


def test_a_relative_glob_reads_the_files(tmp_path, monkeypatch):
    write(tmp_path / "data" / "01_raw" / "a.csv", "text,label\ngood,1\n")
    write(tmp_path / "data" / "01_raw" / "._a.csv", b"\x00\x05AppleDouble")
    monkeypatch.chdir(tmp_path)
    out = load_source(source("data/01_raw/*.csv"))
    assert out["text"].tolist() == ["good"]
