"""Strict, typed parameters: one idiom for the whole project.

Each pipeline declares the parameter blocks it owns in `lmforge/parameters/<pipeline>.py`
(`SETTINGS`: top-level key → a `Strict` pydantic model), a module apart from the pipeline's
package so that checking parameters imports no pipeline code. The models carry the types;
the defaults live in exactly one place, `conf/base/parameters_<pipeline>.yml` (a key the
YAML omits is an error, not a silent default). `check_parameters` validates a run's whole
parameter tree before any node runs (`lmforge.hooks.ParameterCheckHook`): an unknown or
misspelled key fails with the key, the file or `--params` it came from, and the closest
valid key.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import functools
import importlib
import inspect
import pkgutil
import types
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar, Union

import yaml
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError, create_model

RUNTIME = "--params"


class Strict(BaseModel):
    """A parameter block: unknown keys are errors, values are type-checked."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def as_dict(self) -> dict[str, Any]:
        """The block as the YAML gave it (keys it left out stay out): for the library code
        that takes plain blocks, and for lineage and checkpoint keys, which must not change
        with the typing."""
        return self.model_dump(exclude_unset=True)


Node = TypeVar("Node", bound=Callable[..., Any])


def typed_settings(node: Node) -> Node:
    """Let a node declare its parameter blocks by their models (`source: Source`): Kedro passes
    `params:<block>` as the dict it loaded, and each argument annotated with a `Strict` model
    is validated into that model before the node runs (a model passes through unchanged)."""
    models = _settings_arguments(node)
    signature = inspect.signature(node)

    @functools.wraps(node)
    def with_models(*args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(*args, **kwargs)
        for name, model in models.items():
            value = bound.arguments.get(name)
            if isinstance(value, dict):
                bound.arguments[name] = model.model_validate(value)
        return node(*bound.args, **bound.kwargs)

    return typing.cast(Node, with_models)


def _settings_arguments(node: Callable[..., Any]) -> dict[str, type[Strict]]:
    """The arguments of `node` annotated with a `Strict` model. Annotations are resolved one by
    one: a node may annotate others with names it imports only for type checking."""
    models = {}
    node = inspect.unwrap(node)
    for name, annotation in inspect.get_annotations(node).items():
        if isinstance(annotation, str):
            try:
                annotation = eval(annotation, node.__globals__)
            except NameError:
                continue
        if isinstance(annotation, type) and issubclass(annotation, Strict):
            models[name] = annotation
    return models


class ParameterError(ValueError):
    """Parameters that do not match the pipelines' settings; the message lists every problem."""


def from_dataclass(cls: type, name: str) -> type[Strict]:
    """A `Strict` model with the fields (names and types) of a dataclass such as `TrainConfig`,
    so the field list lives once. Every field is optional here: the dataclass keeps the
    library defaults for keys a configuration leaves out."""
    hints = typing.get_type_hints(cls, include_extras=True)  # keeps range constraints
    fields = {f.name: (hints[f.name] | None, None) for f in dataclasses.fields(cls)}
    return create_model(name, __base__=Strict, **fields)


CHECKPOINT_OVERRIDES = "checkpoint_overrides"  # the block a checkpoint's settings come from


def partial_model(model: type[BaseModel], name: str, leave_out: tuple[str, ...] = ()) -> type:
    """A `Strict` model of `model`'s keys (nested blocks too), each optional: a block of
    overrides (`checkpoint_overrides`) whose keys and types are checked like the full block's."""
    fields: dict[str, Any] = {}
    for key, info in model.model_fields.items():
        if key in leave_out:
            continue
        annotation: Any = info.annotation
        inner = _model_in(annotation)
        if inner is not None:
            annotation = partial_model(inner, f"{name}{key.title().replace('_', '')}")
        if info.metadata:
            annotation = typing.Annotated[(annotation, *info.metadata)]
        fields[key] = (annotation | None, None)
    return create_model(name, __base__=Strict, **fields)


def with_overrides(block: dict[str, Any], overrides: dict[str, Any] | None) -> dict[str, Any]:
    """`block` with `overrides` merged in, key by key into nested blocks (a None leaves the
    value as it is); the result no longer carries `checkpoint_overrides`."""
    merged = {k: copy.deepcopy(v) for k, v in block.items() if k != CHECKPOINT_OVERRIDES}
    for key, value in (overrides or {}).items():
        if value is None:
            continue
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = with_overrides(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


# Top-level parameters shared by several pipelines (conf/base/parameters.yml).
SHARED_SETTINGS: dict[str, Any] = {"checkpoint_root": str | None}


def _modules() -> list[types.ModuleType]:
    return [importlib.import_module(f"{__name__}.{m.name}") for m in pkgutil.iter_modules(__path__)]


def pipeline_settings() -> dict[str, Any]:
    """Every pipeline's `SETTINGS`, by top-level parameter key, plus the shared ones."""
    settings: dict[str, Any] = dict(SHARED_SETTINGS)
    for module in _modules():
        settings.update(module.SETTINGS)
    return settings


def cross_problems(params: dict[str, Any]) -> list[str]:
    """What the modules' `CROSS_CHECKS` (rules between blocks, such as a student smaller than
    its teacher) find wrong in a tree whose blocks are each valid."""
    return [
        p for m in _modules() for check in getattr(m, "CROSS_CHECKS", ()) for p in check(params)
    ]


def _flatten(values: Any, prefix: str = "") -> dict[str, Any]:
    if not isinstance(values, dict) or not values:
        return {prefix: values} if prefix else {}
    flat = {prefix: values} if prefix else {}
    for key, value in values.items():
        flat.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    return flat


def parameter_origins(
    conf_source: str | Path, env: str | None, runtime_params: dict[str, Any] | None
) -> dict[str, str]:
    """Dotted key → the file (relative to the project) or `--params` that last set it."""
    conf = Path(conf_source)
    origins: dict[str, str] = {}
    for folder in ("base", env):
        if not folder or not (conf / folder).is_dir():
            continue
        for path in sorted((conf / folder).rglob("parameters*.y*ml")):
            content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            where = path.relative_to(conf.parent).as_posix()
            origins.update(dict.fromkeys(_flatten(content), where))
    for key in _flatten(_nest(runtime_params or {})):
        origins[key] = RUNTIME
    return origins


def _nest(flat: dict[str, Any]) -> dict[str, Any]:
    """`{"a.b": 1}` → `{"a": {"b": 1}}` (how Kedro reads `--params`)."""
    nested: dict[str, Any] = {}
    for key, value in flat.items():
        *parents, last = str(key).split(".")
        node = nested
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = value
    return nested


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (Union, types.UnionType):
        for option in typing.get_args(annotation):
            if (model := _model_in(option)) is not None:
                return model
    return None


def _valid_keys(model: type[BaseModel], path: tuple[Any, ...]) -> list[str]:
    """The keys allowed beside the last element of `path` (a location inside `model`)."""
    for part in path[:-1]:
        field = model.model_fields.get(str(part))
        inner = _model_in(field.annotation) if field else None
        if inner is None:
            return []
        model = inner
    return list(model.model_fields)


def _closest(key: str, valid: list[str]) -> str:
    match = difflib.get_close_matches(key, valid, n=1, cutoff=0.5)
    return f"; did you mean `{match[0]}`?" if match else f"; valid keys: {', '.join(valid)}"


def check_parameters(
    params: dict[str, Any],
    origins: dict[str, str],
    settings: dict[str, Any] | None = None,
) -> None:
    """Raise `ParameterError` naming every unknown, missing or mistyped key."""
    settings = pipeline_settings() if settings is None else settings
    problems = []
    for top, value in params.items():
        model = settings.get(top)
        if model is None:
            where = origins.get(str(top), "the parameters")
            problems.append(
                f"unknown parameter block `{top}` (in {where}){_closest(str(top), list(settings))}"
            )
            continue
        try:
            if isinstance(model, type) and issubclass(model, BaseModel):
                model.model_validate(value)
            else:
                TypeAdapter(model).validate_python(value)
        except ValidationError as error:
            for item in error.errors():
                location = (top, *item["loc"])
                dotted = ".".join(map(str, location))
                if item["type"] == "extra_forbidden":
                    hint = _closest(str(location[-1]), _valid_keys(model, item["loc"]))
                    where = origins.get(dotted, "the parameters")
                    problems.append(f"unknown parameter `{dotted}` (in {where}){hint}")
                elif item["type"] == "missing":
                    problems.append(
                        f"missing parameter `{dotted}`: every key has its default in "
                        "conf/base/parameters_<pipeline>.yml"
                    )
                else:
                    where = origins.get(dotted, "the parameters")
                    problems.append(f"parameter `{dotted}` (in {where}): {item['msg']}")
    if not problems:
        problems = cross_problems(params)
    if problems:
        raise ParameterError("Invalid parameters:\n  - " + "\n  - ".join(problems))
