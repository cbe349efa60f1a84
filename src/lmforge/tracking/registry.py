"""Logging the classifier as a pyfunc model, registering it, and moving the champion alias.

The alias (`champion` by default) moves to a new version only when the version is blessed
(its validation macro-F1 reaches the run's TF-IDF + LR baseline's plus `baseline_margin`, as
TFX's Evaluator blesses a model) and its test metric is at least the champion's plus
`min_improvement`; otherwise the version stays registered without the alias and the reason is
written as a tag on it. The first blessed version is champion.
A differentially private classifier competes for its own alias (`champion-dp`), only with
private versions, and states its guarantee (ε, δ, noise, clipping) in its tags, its model
card (the version's description) and its MLmodel metadata.
"""

from __future__ import annotations

import importlib.metadata
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mlflow
import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.models import ModelSignature
from mlflow.tracking import MlflowClient
from mlflow.types import ColSpec, ParamSchema, ParamSpec, Schema

from lmforge.tracking.gate_lock import gate_lock

logger = logging.getLogger(__name__)

METRIC_TAG_PREFIX = "lmforge.test_"
DECISION_TAG = "lmforge.promotion"
TEST_SET_TAG = "lmforge.test_set"  # fingerprint of the test split's texts and labels
CLASSES_TAG = "lmforge.classes"
COMPARED_TAG = "lmforge.compared_with"  # the champion version the gate compared with
FORCED_TAG = "lmforge.promotion_forced"
VARIANT_TAG = "lmforge.variant"  # distilled | pruned | int8 (compressed versions only)
TEACHER_TAG = "lmforge.teacher_version"
PRIVATE_TAG = "lmforge.private"  # "true" for a DP-SGD model; a missing tag reads "false"
TRAINING_TAG = "lmforge.training"  # centralized | federated (FedAvg with Flower)
PRIVACY_TAG_PREFIX = "lmforge.privacy."
BLESSED_TAG = "lmforge.blessed"  # "true" | "false"; absent when the baseline gate is off
BETTER_ROUTES = (
    "a pretrained checkpoint for the corpus's language (`kedro run --env auto`), more "
    "in-domain unlabeled text (source.unlabeled_path), or a GPU (`--env gpu`)"
)
GATE_ATTEMPTS = 3
INPUT_EXAMPLE = ("Great screen, but the battery died.", "屏幕很清晰，推荐！")
_RUNTIME_PACKAGES = (
    "torch",
    "transformers",
    "tokenizers",
    "safetensors",
    "peft",
    "pandas",
    "pyarrow",
    "numpy",
    "scikit-learn",
    "mlflow",
    "onnxruntime",
)


@dataclass(frozen=True)
class BaselineGate:
    """The candidate's score against a baseline's on the same split: below the baseline's
    score plus `margin`, the candidate is not blessed and no alias moves to it."""

    value: float
    baseline_value: float
    split: str = "validation"
    baseline: str = "tfidf_lr"
    metric: str = "macro-F1"
    margin: float = 0.0

    def decide(self) -> tuple[bool, str]:
        blessed = self.value >= self.baseline_value + self.margin
        return blessed, (
            f"{self.split} {self.metric} {self.value:.4f} {'>=' if blessed else '<'} "
            f"{self.baseline} {self.baseline_value:.4f}"
            + (f" + margin {self.margin:g}" if self.margin else "")
        )


def baseline_gate(
    metrics: dict[str, float],
    registry: dict[str, Any],
    split_prefix: str = "val_",
    baseline: str = "tfidf_lr",
) -> BaselineGate | None:
    """`registry.baseline_gate` on the split whose metrics carry `split_prefix` (`val_`; empty
    for the test split): the candidate's macro-F1 against `baseline`'s (`<baseline>_<split>…`,
    TF-IDF + LR by default) plus `registry.baseline_margin`. None when the gate is off."""
    if not registry["baseline_gate"]:
        return None
    return BaselineGate(
        value=float(metrics[f"{split_prefix}macro_f1"]),
        baseline_value=float(metrics[f"{baseline}_{split_prefix}macro_f1"]),
        split="validation" if split_prefix else "test",
        baseline=baseline,
        margin=float(registry["baseline_margin"]),
    )


def bless(
    client: MlflowClient, name: str, version: str, gate: BaselineGate | None, forced: bool
) -> tuple[bool, str]:
    """Apply the baseline gate (None: off) and tag the version with the outcome. Returns
    whether the alias may move and, when it may not, why (`not blessed: …`)."""
    if gate is None:
        return True, ""
    blessed, why = gate.decide()
    client.set_model_version_tag(name, version, BLESSED_TAG, str(blessed).lower())
    if blessed or forced:
        return True, ""
    return False, f"not blessed: {why}"


def warn_not_blessed(name: str, version: str, alias: str, reason: str) -> None:
    logger.warning(
        "Model %s v%s is registered but not '%s' (%s): it does not beat the run's own "
        "baseline. A better route: %s.",
        name,
        version,
        alias,
        reason,
        BETTER_ROUTES,
    )


@dataclass
class ClassifierCandidate:
    """What the evaluation hands to the registry: the classifier folder and its test scores."""

    model_dir: str
    classes: list[str]
    metrics: dict[str, float]
    model_name: str = "lmforge-classifier"
    alias: str = "champion"
    metric: str = "macro_f1"
    min_improvement: float = 0.0
    test_set: str = ""  # fingerprint of the test split (`test_set_fingerprint`)
    promote: str = "gate"  # gate: only a better model on the same test set; force: always
    serving: dict[str, int] = field(default_factory=dict)  # the pyfunc's request limits
    input_example: list[str] = field(default_factory=lambda: list(INPUT_EXAMPLE))
    privacy: dict[str, Any] | None = None  # the DP guarantee (`PrivateTraining.describe`)
    training: str = "centralized"  # or "federated": how the fine-tuning saw the labeled rows
    baseline_gate: BaselineGate | None = None  # None: registry.baseline_gate is off
    gate_lock: str | None = None  # the PostgreSQL database whose advisory lock the gate holds


def private_alias(alias: str) -> str:
    """The alias private models compete for: `champion` → `champion-dp`."""
    return f"{alias}-dp"


def model_card(privacy: dict[str, Any] | None) -> str:
    """The version's description: what a user of the served model should know."""
    if not privacy:
        return "lmforge classifier. Trained without differential privacy."
    return (
        "lmforge classifier, fine-tuned with differential privacy: "
        f"(ε = {privacy['epsilon']:.2f}, δ = {privacy['delta']:g})-DP per labeled training row "
        f"({privacy['mechanism']}; noise multiplier {privacy['noise_multiplier']:.3f}, "
        f"clipping bound {privacy['max_grad_norm']:g}, sampling rate "
        f"{privacy['sample_rate']:.4f}, {privacy['steps']} steps, accountant "
        f"{privacy['accountant']}). The guarantee covers the fine-tuning data only, not a "
        "pretraining corpus."
    )


@dataclass(frozen=True)
class Promotion:
    version: str
    promoted: bool
    reason: str
    champion_version: str


def signature(classes: list[str]) -> ModelSignature:
    outputs = [ColSpec("string", "label", required=False)]
    outputs += [ColSpec("double", f"prob_{c}", required=False) for c in classes]
    outputs += [ColSpec("string", "flag", required=False)]
    return ModelSignature(
        inputs=Schema([ColSpec("string", "text")]),
        outputs=Schema(outputs),
        params=ParamSchema([ParamSpec("batch_size", "long", 64)]),
    )


def pip_requirements() -> list[str]:
    """The running environment's versions of what the served model imports (no inference)."""
    pins = []
    for name in _RUNTIME_PACKAGES:
        try:
            pins.append(f"{name}=={importlib.metadata.version(name).split('+')[0]}")
        except importlib.metadata.PackageNotFoundError:
            continue
    return pins


def log_classifier(candidate: ClassifierCandidate | VariantCandidate) -> str:
    """Log the pyfunc model into the active run and register it; returns the version."""
    package_dir = Path(__file__).resolve().parents[1]
    info = mlflow.pyfunc.log_model(
        name="classifier",
        python_model=str(package_dir / "serving" / "model_code.py"),
        artifacts={"model": candidate.model_dir},
        code_paths=[str(package_dir)],
        signature=signature(candidate.classes),
        input_example=pd.DataFrame({"text": candidate.input_example}),
        pip_requirements=pip_requirements(),
        model_config=dict(candidate.serving),
        registered_model_name=candidate.model_name,
        metadata={"lmforge_privacy": privacy} if (privacy := _privacy(candidate)) else None,
    )
    return str(info.registered_model_version)


def _privacy(candidate: ClassifierCandidate | VariantCandidate) -> dict[str, Any] | None:
    return candidate.privacy


def describe_version(
    client: MlflowClient, name: str, version: str, privacy: dict[str, Any] | None
) -> None:
    """Privacy tags and the model card on a registered version."""
    client.set_model_version_tag(name, version, PRIVATE_TAG, "true" if privacy else "false")
    for key in ("epsilon", "delta", "noise_multiplier", "max_grad_norm", "accountant"):
        if privacy and key in privacy:
            client.set_model_version_tag(
                name, version, f"{PRIVACY_TAG_PREFIX}{key}", str(privacy[key])
            )
    client.update_model_version(name, version, description=model_card(privacy))


def _champion(client: MlflowClient, name: str, alias: str) -> Any | None:
    try:
        return client.get_model_version_by_alias(name, alias)
    except MlflowException:
        return None


def _decide(
    current: Any,
    value: float,
    metric: str,
    min_improvement: float,
    test_set: str,
    classes: list[str],
    force: bool,
    alias: str,
    private: bool = False,
) -> tuple[bool, str]:
    """Promote or not, and why. Only a champion evaluated on the same test set with the same
    classes, and private exactly when the candidate is, is comparable; anything else keeps the
    champion unless the promotion is forced."""
    if current is None:
        return True, f"first version with alias '{alias}'"
    if force:
        return True, f"forced (registry.promote: force) over champion v{current.version}"
    tags = current.tags
    best = tags.get(f"{METRIC_TAG_PREFIX}{metric}")
    if best is None:
        return False, f"not comparable: champion v{current.version} has no test {metric} tag"
    if tags.get(TEST_SET_TAG, "") != test_set:
        return False, f"not comparable: different test set (champion v{current.version})"
    if tags.get(PRIVATE_TAG, "false") != ("true" if private else "false"):
        return False, (
            f"not comparable: champion v{current.version} is "
            f"{'private' if tags.get(PRIVATE_TAG) == 'true' else 'not private'}, this one is "
            f"{'private' if private else 'not private'}"
        )
    if tags.get(CLASSES_TAG, "[]") != json.dumps(classes, ensure_ascii=False):
        return False, (
            f"not comparable: different classes (champion v{current.version}: "
            f"{tags.get(CLASSES_TAG)})"
        )
    promoted = value >= float(best) + min_improvement
    comparison = ">=" if promoted else "<"
    return promoted, (
        f"test {metric} {value:.4f} {comparison} champion v{current.version} "
        f"{float(best):.4f} + margin {min_improvement}"
    )


def promote_if_better(
    client: MlflowClient,
    name: str,
    version: str,
    value: float,
    alias: str = "champion",
    metric: str = "macro_f1",
    min_improvement: float = 0.0,
    test_set: str = "",
    classes: list[str] | None = None,
    force: bool = False,
    private: bool = False,
    refused: str = "",
    lock_uri: str | None = None,
) -> Promotion:
    """Move `alias` to `version` when `value` ≥ champion's value + `min_improvement` on the same
    test set and classes (or when `force`). The champion is read, compared and replaced under
    the gate's lock (`gate_lock`: PostgreSQL advisory lock at `lock_uri`, or a file lock next
    to a sqlite store), so concurrent evaluations decide one after the other; without a shared
    lock it is re-read before the alias moves, and a move meanwhile means deciding again.
    A `refused` reason (the baseline gate's) keeps the alias where it is."""
    version = str(version)
    classes = list(classes or [])
    client.set_model_version_tag(name, version, f"{METRIC_TAG_PREFIX}{metric}", f"{value:.6f}")
    client.set_model_version_tag(name, version, TEST_SET_TAG, test_set)
    client.set_model_version_tag(
        name, version, CLASSES_TAG, json.dumps(classes, ensure_ascii=False)
    )
    with gate_lock(client.tracking_uri, name, alias, lock_uri):
        current = _champion(client, name, alias)
        for _ in range(0 if refused else GATE_ATTEMPTS):
            promoted, reason = _decide(
                current, value, metric, min_improvement, test_set, classes, force, alias, private
            )
            latest = _champion(client, name, alias)
            if _version(latest) == _version(current):
                break
            current = latest  # moved while we decided (no shared lock): decide again
        else:
            promoted = False
            reason = refused or f"the champion kept moving ({GATE_ATTEMPTS} attempts)"
        if promoted:
            client.set_registered_model_alias(name, alias, version)
    compared = _version(current) or "none"
    client.set_model_version_tag(name, version, COMPARED_TAG, compared)
    if force:
        client.set_model_version_tag(name, version, FORCED_TAG, "true")
    client.set_model_version_tag(
        name, version, DECISION_TAG, ("promoted: " if promoted else "not promoted: ") + reason
    )
    champion = version if promoted else compared
    logger.info(
        "Model %s v%s %s (%s)",
        name,
        version,
        "is the new champion" if promoted else "kept out of the champion alias",
        reason,
    )
    return Promotion(version, promoted, reason, champion)


def _version(model_version: Any | None) -> str | None:
    return None if model_version is None else str(model_version.version)


def register(candidate: ClassifierCandidate) -> Promotion:
    """Log, register and gate: the whole registry step of the evaluation pipeline."""
    version = log_classifier(candidate)
    client = MlflowClient()
    name = candidate.model_name
    describe_version(client, name, version, candidate.privacy)
    client.set_model_version_tag(name, version, TRAINING_TAG, candidate.training)
    value = float(candidate.metrics[candidate.metric])
    forced = candidate.promote == "force"
    allowed, refused = bless(client, name, version, candidate.baseline_gate, forced)
    promotion = promote_if_better(
        client,
        name,
        version,
        value,
        candidate.alias,
        candidate.metric,
        candidate.min_improvement,
        candidate.test_set,
        candidate.classes,
        forced,
        candidate.privacy is not None,
        refused,
        candidate.gate_lock,
    )
    if not allowed:
        warn_not_blessed(name, version, candidate.alias, refused)
    mlflow.set_tags(
        {
            "lmforge.registered_version": version,
            "lmforge.promoted": str(promotion.promoted),
            DECISION_TAG: promotion.reason,
            TRAINING_TAG: candidate.training,
        }
    )
    return promotion


@dataclass
class VariantCandidate:
    """A compressed variant for the registry: its folder, its scores and its teacher's, all
    measured in the same process on the same test split."""

    variant: str
    model_dir: str
    classes: list[str]
    metrics: dict[str, float]
    teacher_metrics: dict[str, float]
    teacher_version: str
    model_name: str = "lmforge-classifier"
    alias: str = "champion-int8"
    max_drop: float = 0.01
    metric: str = "macro_f1"
    speed: str = "texts_per_s"
    test_set: str = ""
    promote: str = "gate"  # gate: only when it passes; force: always (registry.promote)
    serving: dict[str, int] = field(default_factory=dict)
    input_example: list[str] = field(default_factory=lambda: list(INPUT_EXAMPLE))
    privacy: dict[str, Any] | None = None  # kept by int8 from a private teacher only
    baseline_gate: BaselineGate | None = None  # on the test split, where variants are measured


def variant_decision(candidate: VariantCandidate) -> tuple[bool, str]:
    """A variant earns its alias when it keeps the teacher's quality within `max_drop` and is
    measurably faster than the teacher."""
    value, teacher = (
        candidate.metrics[candidate.metric],
        candidate.teacher_metrics[candidate.metric],
    )
    speed, teacher_speed = (
        candidate.metrics[candidate.speed],
        candidate.teacher_metrics[candidate.speed],
    )
    if value < teacher - candidate.max_drop:
        return False, (
            f"test {candidate.metric} {value:.4f} < teacher {teacher:.4f} - max drop "
            f"{candidate.max_drop} (compression.max_macro_f1_drop)"
        )
    if speed <= teacher_speed:
        return (
            False,
            f"{candidate.speed} {speed:.1f} is not above the teacher's {teacher_speed:.1f}",
        )
    return True, (
        f"test {candidate.metric} {value:.4f} >= teacher {teacher:.4f} - {candidate.max_drop}, "
        f"{speed / teacher_speed:.2f}x the teacher's {candidate.speed}"
    )


def register_variant(candidate: VariantCandidate) -> Promotion:
    """Log and register a variant under the teacher's model name, tagged with its variant and
    teacher version; move its alias (`champion-<variant>`) only when `variant_decision` says so,
    otherwise record why on the version."""
    version = str(log_classifier(candidate))
    client = MlflowClient()
    name = candidate.model_name
    describe_version(client, name, version, candidate.privacy)
    promoted, reason = variant_decision(candidate)
    forced = candidate.promote == "force"
    allowed, why_not = bless(client, name, version, candidate.baseline_gate, forced)
    if promoted and not allowed:
        promoted, reason = False, why_not
        warn_not_blessed(name, version, candidate.alias, reason)
    if forced and not promoted:
        promoted, reason = True, f"forced (registry.promote: force); the gate said: {reason}"
    tags = {
        VARIANT_TAG: candidate.variant,
        TEACHER_TAG: candidate.teacher_version,
        f"{METRIC_TAG_PREFIX}{candidate.metric}": f"{candidate.metrics[candidate.metric]:.6f}",
        TEST_SET_TAG: candidate.test_set,
        CLASSES_TAG: json.dumps(candidate.classes, ensure_ascii=False),
        DECISION_TAG: ("promoted: " if promoted else "not promoted: ") + reason,
    }
    for key, value in tags.items():
        client.set_model_version_tag(name, version, key, value)
    if promoted:
        client.set_registered_model_alias(name, candidate.alias, version)
    logger.info("Variant %s: %s v%s (%s)", candidate.variant, name, version, reason)
    current = _version(_champion(client, name, candidate.alias)) or "none"
    return Promotion(version, promoted, reason, current)
