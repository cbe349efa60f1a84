"""A private teacher's guarantee survives int8 quantization only; its variants compete for
aliases that match what they are."""

import json

import pandas as pd

from lmforge.modeling.artifacts import ModelRef
from lmforge.pipelines.compression.nodes import variant_candidates, variant_privacy
from tests.pipelines.conftest import load_parameters

GUARANTEE = {"epsilon": 7.9, "delta": 1e-4, "noise_multiplier": 0.6}
SCORES = {"macro_f1": 0.9, "texts_per_s": 100.0}


def test_only_int8_keeps_a_private_teachers_guarantee():
    teacher = {"finetuning": {"privacy": GUARANTEE}}
    assert variant_privacy(teacher, "int8") == GUARANTEE
    assert variant_privacy(teacher, "pruned") is None
    assert variant_privacy(teacher, "distilled") is None
    assert variant_privacy({"finetuning": {"privacy": None}}, "int8") is None


def test_variant_aliases_follow_the_privacy_of_each_variant(tmp_path):
    params = load_parameters("test")
    folders = {}
    for name in ("int8", "pruned", "distilled"):
        folder = tmp_path / name
        folder.mkdir()
        privacy = variant_privacy({"finetuning": {"privacy": GUARANTEE}}, name)
        lineage = {"compression": {"variant": name, "privacy": privacy}}
        (folder / "lmforge_lineage.json").write_text(json.dumps(lineage))
        folders[name] = ModelRef(str(folder))
    report = {name: SCORES for name in ("teacher", "int8", "pruned", "distilled")}
    candidates = variant_candidates(
        report,
        folders["int8"],
        folders["pruned"],
        folders["distilled"],
        {"classes": ["neg", "pos"]},
        pd.DataFrame({"text": ["a"], "label": ["neg"]}),
        {"version": "3", "alias": "champion-dp"},
        {"tfidf_lr_macro_f1": 0.85},  # the run's metrics.json
        {**params["registry"], "alias": "champion", "baseline_gate": True, "baseline_margin": 0.0},
        params["compression"],
    )
    by_name = {c.variant: c for c in candidates}
    assert by_name["int8"].alias == "champion-dp-int8"
    assert by_name["int8"].privacy == GUARANTEE
    assert by_name["pruned"].alias == "champion-pruned" and by_name["pruned"].privacy is None
    assert by_name["distilled"].alias == "champion-distilled"
    gate = by_name["int8"].baseline_gate  # the variant's test score against TF-IDF + LR's
    assert (gate.split, gate.value, gate.baseline_value) == ("test", 0.9, 0.85)
    assert gate.decide()[0]
