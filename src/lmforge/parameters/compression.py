"""The parameter block of the `compression` pipeline (types; defaults in
conf/base/parameters_compression.yml)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from lmforge.parameters import Strict
from lmforge.parameters.finetuning import Training

VARIANTS = ("int8", "pruned", "distilled")
Variant = Literal["int8", "pruned", "distilled"]


class Measurement(Strict):
    rounds: int = Field(ge=1)
    batch_size: int = Field(ge=1)
    timing_texts: int = Field(ge=1)
    latency_texts: int = Field(ge=1)


class Pruning(Strict):
    keep_fraction: float = Field(gt=0, lt=1)  # of the encoder's (transformer layers') parameters
    score: Literal["magnitude", "taylor"]
    taylor_batches: int = Field(ge=1)
    recovery: Training


class Student(Strict):
    n_layers: int = Field(ge=1)
    d_ff: int | None = Field(default=..., ge=1)


class Distillation(Strict):
    student: Student
    temperature: float = Field(gt=0)
    alpha: float = Field(ge=0, le=1)
    max_unlabeled: int = Field(ge=0)
    training: Training


class Compression(Strict):
    variants: list[Variant] | Literal["all"]
    max_macro_f1_drop: float = Field(ge=0)
    measurement: Measurement
    pruning: Pruning
    distillation: Distillation

    def enabled(self, variant: str) -> bool:
        """Whether `compression.variants` asks for `variant` (`all`: every one)."""
        return self.variants == "all" or variant in self.variants


def student_problems(student: dict, teacher_layers: int, teacher_d_ff: int) -> list[str]:
    """Why a student spec is not smaller than a teacher of that shape (empty: it is)."""
    d_ff = student["d_ff"] or teacher_d_ff
    key = "compression.distillation.student"
    if student["n_layers"] > teacher_layers:
        return [f"`{key}.n_layers` = {student['n_layers']}: the teacher has {teacher_layers}"]
    if d_ff > teacher_d_ff:
        return [f"`{key}.d_ff` = {d_ff}: the teacher's is {teacher_d_ff}"]
    if (student["n_layers"], d_ff) == (teacher_layers, teacher_d_ff):
        return [f"`{key}` is the teacher's size ({teacher_layers} layer(s), d_ff {d_ff})"]
    return []


def student_smaller_than_teacher(params: dict) -> list[str]:
    """When the teacher is built from `pretraining.model` (from scratch, fine-tuned from the
    pretrained model), a distilled student must be smaller: checked before any training.
    Otherwise the teacher's shape is known once it is loaded, and checked then."""
    compression, pretraining = params.get("compression"), params.get("pretraining") or {}
    finetuning = params.get("finetuning") or {}
    if not compression or not Compression.model_validate(compression).enabled("distilled"):
        return []
    if pretraining.get("init_from") != "scratch" or finetuning.get("init_from") != "pretrained":
        return []
    teacher = pretraining["model"]
    student = compression["distillation"]["student"]
    return student_problems(student, teacher["n_layers"], teacher["d_ff"])


SETTINGS = {"compression": Compression}
CROSS_CHECKS = (student_smaller_than_teacher,)
