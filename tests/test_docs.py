"""The docs' generated parts (docs/hooks.py): the README's results tables agree with the results
files, and the parameter reference covers the parameters with their defaults and comments."""

from __future__ import annotations

import importlib.util
import json

import pytest

from tests.conftest import PROJECT_ROOT


@pytest.fixture(scope="module")
def hooks():
    spec = importlib.util.spec_from_file_location("docs_hooks", PROJECT_ROOT / "docs/hooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_readme_tables_are_the_results_files(hooks):
    block = hooks.README_BLOCK.search((PROJECT_ROOT / "README.md").read_text(encoding="utf-8"))
    assert block, "README.md lacks its <!-- generated:readme --> block"
    assert block.group(2).strip() == hooks.readme_block().strip(), (
        "README.md's results tables disagree with benchmarks/results/: "
        "run `python docs/hooks.py --write-readme`"
    )


def test_a_results_table_shows_each_entry_with_its_date_and_commit(hooks):
    entries = json.loads((PROJECT_ROOT / "benchmarks/results/real_data.json").read_text())
    table = hooks.real_data_table()
    for entry in entries.values():
        assert f"**{entry['macro_f1']:.3f}**" in table
        assert entry["commit"] in table and entry["date"] in table


def test_the_parameter_reference_has_types_defaults_and_comments(hooks):
    reference = hooks.parameter_reference()
    assert '| `finetuning.strategy` | `full` · `head` · `lora` | `"full"` |' in reference
    assert "head (encoder frozen)" in reference  # the YAML's comment is the description
    assert "`registry.baseline_gate` | bool | `true`" in reference
    for name in ("data_processing", "pretraining", "evaluation", "compression"):
        assert f"### {name}" in reference


def test_an_unknown_generated_block_fails_the_build(hooks):
    assert hooks.render("no markers") == "no markers"
    with pytest.raises(KeyError, match="unknown generated block 'nothing'"):
        hooks.render("<!-- generated:nothing -->")


@pytest.mark.parametrize("benchmark", ["diagnosis", "design"])
def test_a_dated_record_shows_every_setting_with_its_commit(hooks, benchmark):
    entries = json.loads((PROJECT_ROOT / f"benchmarks/results/{benchmark}.json").read_text())
    sections = hooks.RECORDS[benchmark]
    tables = {section: hooks.record_table(benchmark, section) for section in sections}
    for entry in entries.values():
        rows = tables[entry["section"]].splitlines()
        assert any(
            entry["setting"] in row and f"{entry['date']}, `{entry['commit']}`" in row
            for row in rows
        ), entry["setting"]
    text = "".join(p.read_text(encoding="utf-8") for p in (PROJECT_ROOT / "docs").glob("*.md"))
    for section in sections:
        assert f"<!-- generated:results/{benchmark}/{section} -->" in text
    with pytest.raises(KeyError, match="has no section 'nothing'"):
        hooks.record_table(benchmark, "nothing")
