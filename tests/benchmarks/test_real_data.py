"""The real-data benchmark's corpus readers, on a source distribution shaped like
vaderSentiment 3.3.2's (a tarball holding the ratings tarball)."""

from __future__ import annotations

import importlib.util
import io
import tarfile
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load_benchmark():
    spec = importlib.util.spec_from_file_location("real_data", ROOT / "benchmarks/real_data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


real_data = _load_benchmark()


def _tar_bytes(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _sdist(folder: Path, ratings: str) -> Path:
    inner = _tar_bytes({real_data.VADER_MOVIES: ratings.encode("utf-8")})
    outer = _tar_bytes(
        {
            "vaderSentiment-3.3.2/setup.py": b"",
            "vaderSentiment-3.3.2/additional_resources/hutto_ICWSM_2014.tar.gz": inner,
        }
    )
    path = folder / real_data.VADER_SDIST
    path.write_bytes(outer)
    return path


def test_movie_sentences_are_labeled_by_the_sign_of_their_mean_rating(tmp_path):
    ratings = (
        "1\t2.26666666667\tThe Rock is destined to be the 21st Century's new ''Conan''.\r\n"
        "2\t-0.6\tEffective but too tepid biopic\r\n"
        "3\t0.0\tA film exactly in the middle\r\n"
        "4\t1.5\tLe film est très bon — 好看\r\n"
        "5\t-1.2\tEffective but too tepid biopic\r\n"
        "\r\n"
    )
    rows = real_data.vader_movie_sentences(_sdist(tmp_path, ratings))
    assert rows == [
        ("The Rock is destined to be the 21st Century's new ''Conan''.", "positive"),
        ("Effective but too tepid biopic", "negative"),
        ("Le film est très bon — 好看", "positive"),
    ]


@pytest.mark.parametrize("bad_line", ["2\tno rating here", "2\tfour\ta text", "2\t1.0\ta\tb"])
def test_a_malformed_ratings_line_is_named(tmp_path, bad_line):
    sdist = _sdist(tmp_path, f"1\t1.0\tfine\r\n{bad_line}\r\n")
    with pytest.raises(ValueError, match=r"movieReviewSnippets_GroundTruth\.txt line 2"):
        real_data.vader_movie_sentences(sdist)


def test_an_sdist_without_the_ratings_is_named(tmp_path):
    path = tmp_path / real_data.VADER_SDIST
    path.write_bytes(_tar_bytes({"vaderSentiment-3.3.2/setup.py": b""}))
    with pytest.raises(ValueError, match=r"no additional_resources/hutto_ICWSM_2014\.tar\.gz"):
        real_data.vader_movie_sentences(path)


def test_the_corpus_files_hold_every_split_and_the_rest_as_unlabeled_text(tmp_path, monkeypatch):
    monkeypatch.setattr(real_data, "SIZES", {"train": 3, "validation": 1, "test": 2})
    rows = [
        (f"sentence {i}\nwith a line break", "positive" if i % 2 else "negative") for i in range(8)
    ]
    labeled, unlabeled = real_data.write_corpus(tmp_path, rows)
    frame = pd.read_csv(labeled)
    assert frame["split"].value_counts().to_dict() == {"train": 3, "test": 2, "validation": 1}
    texts = unlabeled.read_text(encoding="utf-8").split("\n")
    assert len(texts) == 2
    assert set(frame["text"]) | {t.replace(" with", "\nwith") for t in texts} == {
        text for text, _ in rows
    }
