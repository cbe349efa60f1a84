"""Strict, typed parameters: a misspelled key stops the run before any node, for every
pipeline, naming the key, where it came from and the closest valid key."""

from __future__ import annotations

import inspect
import re

import pytest
from kedro.framework.project import configure_project, find_pipelines
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project
from pydantic import ValidationError

from lmforge.parameters import (
    ParameterError,
    _nest,
    _settings_arguments,
    check_parameters,
    parameter_origins,
    pipeline_settings,
    typed_settings,
)
from lmforge.parameters.evaluation import Registry
from lmforge.pipelines.evaluation.nodes import registration_candidate
from tests.conftest import copy_project
from tests.pipelines.conftest import CONF, _merge, load_parameters

MISSPELLED = {  # pipeline: (a misspelled key, the key it should have been)
    "data_processing": ("cleaning.min_char", "min_chars"),
    "pretraining": ("pretraining.training.max_step", "max_steps"),
    "finetuning": ("finetuning.stratgy", "strategy"),
    "evaluation": ("evaluation.batchsize", "batch_size"),
    "inference": ("inference.text_colum", "text_column"),
    "label_efficiency": ("label_efficiency.budget", "budgets"),
    "compression": ("compression.pruning.keep_fractoin", "keep_fraction"),
}


def test_every_pipeline_declares_its_settings():
    configure_project("lmforge")
    assert set(MISSPELLED) == set(find_pipelines()) - {"__default__"}
    settings = pipeline_settings()
    for env in (None, "test", "gpu", "minilm", "auto", "private", "federated"):
        params = load_parameters(env)
        assert set(params) == set(settings)
        check_parameters(params, parameter_origins(CONF, env, None), settings)


@pytest.mark.parametrize("pipeline", sorted(MISSPELLED))
def test_a_misspelled_key_is_named_with_its_origin_and_the_closest_key(pipeline):
    key, closest = MISSPELLED[pipeline]
    runtime = _nest({key: 1})  # as the CLI hands over `--params key=1`
    params = load_parameters("test")
    _merge(params, runtime)
    with pytest.raises(ParameterError) as error:
        check_parameters(params, parameter_origins(CONF, "test", runtime))
    assert str(error.value) == (
        f"Invalid parameters:\n  - unknown parameter `{key}` (in --params); "
        f"did you mean `{closest}`?"
    )


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        (
            "compression.pruning.keep_fraction",
            1.5,
            "keep_fraction` (in --params): Input should be less than 1",
        ),
        (
            "compression.pruning.keep_fraction",
            0,
            "keep_fraction` (in --params): Input should be greater than 0",
        ),
        ("compression.variants", ["int8", "int4"], "compression.variants"),
        ("compression.distillation.student.n_layers", 0, "student.n_layers` (in --params)"),
        ("finetuning.dropout", 1.0, "dropout` (in --params): Input should be less than 1"),
        (
            "finetuning.training.ema_decay",
            1.0,
            "ema_decay` (in --params): Input should be less than 1",
        ),
        (
            "augmentation.max_labeled_rows",
            0,
            "max_labeled_rows` (in --params): Input should be greater than or equal to 1",
        ),
    ],
)
def test_out_of_range_settings_are_named(key, value, message):
    runtime = _nest({key: value})
    params = load_parameters("test")
    _merge(params, runtime)
    with pytest.raises(ParameterError, match=re.escape(message)):
        check_parameters(params, parameter_origins(CONF, "test", runtime))


def test_kedro_run_stops_before_any_node(tmp_path):
    project = copy_project(tmp_path / "project")
    bootstrap_project(project)
    runtime = _nest({"finetuning.stratgy": "lora"})
    with (
        KedroSession.create(project_path=project, env="test", runtime_params=runtime) as session,
        pytest.raises(ParameterError, match=r"finetuning.stratgy.*did you mean `strategy`"),
    ):
        session.run()
    assert not (project / "data" / "02_intermediate" / "raw_corpus.parquet").exists()


def test_a_wrong_type_or_a_typo_in_a_file_names_the_file(tmp_path):
    conf = tmp_path / "conf"
    (conf / "base").mkdir(parents=True)
    (conf / "base" / "parameters_finetuning.yml").write_text("finetuning: {}\n")
    (conf / "mine").mkdir()
    (conf / "mine" / "parameters.yml").write_text("finetuning:\n  lora: {rank: 4}\n")
    params = load_parameters("test")
    params["finetuning"]["lora"]["rank"] = 4
    params["finetuning"]["training"]["lr"] = "fast"
    with pytest.raises(ParameterError) as error:
        check_parameters(params, parameter_origins(conf, "mine", {}))
    message = str(error.value)
    assert "unknown parameter `finetuning.lora.rank` (in conf/mine/parameters.yml)" in message
    assert "valid keys: r, alpha, dropout, target_modules, merge" in message
    assert "parameter `finetuning.training.lr`" in message and "valid number" in message


def test_a_missing_key_and_an_unknown_block_are_named():
    params = load_parameters("test")
    del params["evaluation"]["ece_bins"]
    params["finetunning"] = {}
    with pytest.raises(ParameterError) as error:
        check_parameters(params, {})
    message = str(error.value)
    assert "missing parameter `evaluation.ece_bins`" in message
    assert "unknown parameter block `finetunning`" in message
    assert "did you mean `finetuning`?" in message


@pytest.mark.parametrize(
    ("student", "message"),
    [
        ({"n_layers": 3}, "`compression.distillation.student.n_layers` = 3: the teacher has 1"),
        ({"d_ff": 128}, "`compression.distillation.student.d_ff` = 128: the teacher's is 64"),
        ({"d_ff": 64}, "is the teacher's size (1 layer(s), d_ff 64)"),
    ],
)
def test_a_student_larger_than_its_teacher_stops_the_run_before_training(student, message):
    runtime = _nest(
        {
            "compression.variants": "all",
            **{f"compression.distillation.student.{k}": v for k, v in student.items()},
        }
    )
    params = load_parameters("test")
    _merge(params, runtime)
    with pytest.raises(ParameterError, match=re.escape(message)):
        check_parameters(params, parameter_origins(CONF, "test", runtime))


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"finetuning.training.grad_accum_steps": 2}, "grad_accum_steps != 1"),
        ({"finetuning.training.devices": 2}, "training.devices > 1"),
        ({"finetuning.head_warmup.steps": 10}, "head_warmup.steps must be 0"),
        ({"finetuning.privacy.accountant": "gdp"}, "privacy.accountant` (in --params)"),
    ],
)
def test_what_cannot_train_privately_stops_the_run_before_any_node(settings, message):
    runtime = _nest({"finetuning.privacy.enabled": True, **settings})
    params = load_parameters("test")
    _merge(params, runtime)
    with pytest.raises(ParameterError, match=re.escape(message)):
        check_parameters(params, parameter_origins(CONF, "test", runtime))
    plain = load_parameters("test")
    _merge(plain, _nest(settings if "accountant" not in str(settings) else {}))
    check_parameters(plain, parameter_origins(CONF, "test", {}))  # fine without privacy


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"finetuning.privacy.enabled": True}, "federated DP (noise on the clients' updates)"),
        ({"finetuning.head_warmup.steps": 10}, "head_warmup.steps must be 0 (the warm-up is"),
        ({"finetuning.training.devices": 2}, "training.devices must be 1"),
        (
            {
                "finetuning.federated.partition_by": "source",
                "finetuning.federated.dirichlet_alpha": 1,
            },
            "set partition_by (one client per value of a column) or dirichlet_alpha",
        ),
        ({"finetuning.federated.clients": 1}, "clients must be at least 2"),
        ({"finetuning.federated.rouns": 3}, "did you mean `rounds`?"),
    ],
)
def test_what_cannot_train_federated_stops_the_run_before_any_node(settings, message):
    runtime = _nest({"finetuning.federated.enabled": True, **settings})
    params = load_parameters("test")
    _merge(params, runtime)
    with pytest.raises(ParameterError, match=re.escape(message)):
        check_parameters(params, parameter_origins(CONF, "test", runtime))


@pytest.mark.parametrize("max_steps", [None, 0])
def test_electra_from_a_checkpoint_stops_the_run_before_any_node(max_steps):
    flat = {"pretraining.objective": "electra", "pretraining.init_from": "data/06_models/other"}
    if max_steps is not None:  # a checkpoint used as it is has nothing to pretrain: fine
        flat["pretraining.training.max_steps"] = max_steps
    runtime = _nest(flat)
    params = load_parameters("test")
    _merge(params, runtime)
    if max_steps == 0:
        check_parameters(params, parameter_origins(CONF, "test", runtime))
        return
    with pytest.raises(ParameterError, match="electra trains from scratch, not from init_from"):
        check_parameters(params, parameter_origins(CONF, "test", runtime))


def test_the_catalog_keeps_parameter_blocks_as_dicts(tmp_path):
    """Kedro would put the nodes' models into the catalog; lmforge's context keeps the dicts
    (kedro-mlflow flattens only dicts into `source.kind`, … params) and the nodes type them."""
    project = copy_project(tmp_path / "project")
    bootstrap_project(project)
    runtime = _nest({"split.seed": 7})
    with KedroSession.create(project_path=project, env="test", runtime_params=runtime) as session:
        context = session.load_context()
        for block in ("source", "split", "finetuning"):
            assert type(context.params[block]) is dict, block
            assert type(context.catalog.load(f"params:{block}")) is dict, block
        assert context.catalog.load("params:split")["seed"] == 7


def test_every_node_takes_its_parameter_blocks_typed():
    """Each node argument fed from `params:<block>` is annotated with that block's model, so
    the signature says what the node reads; Kedro's dict becomes the model on the way in."""
    configure_project("lmforge")
    settings = pipeline_settings()
    for pipeline in find_pipelines().values():
        for node in pipeline.nodes:
            models = _settings_arguments(node.func)
            arguments = list(inspect.signature(node.func).parameters)
            for argument, dataset in zip(arguments, node.inputs, strict=False):
                block = dataset.removeprefix("params:")
                if dataset.startswith("params:") and isinstance(settings.get(block), type):
                    assert models.get(argument) is settings[block], (node.name, argument)
                    assert inspect.unwrap(node.func) is not node.func, (
                        f"{node.name}: @typed_settings"
                    )


def test_a_typed_node_takes_the_dict_kedro_loads_or_the_model():
    @typed_settings
    def alias_of(registry: Registry, suffix: str = "") -> str:
        return registry.alias + suffix

    block = load_parameters()["registry"]
    assert alias_of(block, suffix="-x") == alias_of(Registry.model_validate(block), "-x")
    with pytest.raises(ValidationError, match=r"registry|Registry[\s\S]*promote"):
        alias_of({**block, "promote": "sometimes"})
    assert inspect.signature(registration_candidate).parameters["registry"].annotation == (
        "Registry"
    )
