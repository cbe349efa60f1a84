"""What the training loop trains on: a task yields the global batch of any step
(deterministically, from the seed and the step alone, so a resumed or a multi-process run sees
exactly the same data), builds the loss module, and evaluates on held-out data."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import torch
from torch import nn

from lmforge.training.device import autocast
from lmforge.training.objectives import (
    CausalLMObjective,
    ClassificationObjective,
    MaskedLMObjective,
    ReplacedTokenDetectionObjective,
)
from lmforge.training.packing import PackedTokens

Batch = dict[str, torch.Tensor]


class Task(Protocol):
    monitor: str  # the evaluation metric for early stopping and the best checkpoint
    mode: str  # "min" or "max"

    def objective(self, model: nn.Module) -> nn.Module: ...

    def steps_per_epoch(self, batch_size: int) -> int: ...

    def global_batch(self, step: int, batch_size: int) -> Batch: ...

    def evaluate(
        self, objective: nn.Module, device: torch.device, precision: str, batch_size: int
    ) -> dict[str, float]: ...


NORMALIZER = "normalizer"  # the one batch entry that is not a model input


def normalizer(batch: Batch) -> float:
    """How many loss items the global batch holds (the denominator of its mean loss)."""
    return float(batch[NORMALIZER])


def model_inputs(batch: Batch) -> list[str]:
    """The batch's tensors that the objective takes (everything but the normalizer)."""
    return [key for key in batch if key != NORMALIZER]


def to_device(batch: Batch, device: torch.device) -> Batch:
    """The model inputs of `batch` on `device`."""
    return {k: batch[k].to(device, non_blocking=True) for k in model_inputs(batch)}


def _pad(
    sequences: Sequence[Sequence[int]], pad_id: int, length: int | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    width = length or max(len(s) for s in sequences)
    ids = torch.full((len(sequences), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(sequences), width), dtype=torch.long)
    for row, seq in enumerate(sequences):
        ids[row, : len(seq)] = torch.as_tensor(seq[:width], dtype=torch.long)
        mask[row, : len(seq)] = 1
    return ids, mask


@dataclass(frozen=True)
class SpecialIds:
    pad: int
    cls: int
    sep: int
    mask: int  # -1: the tokenizer has no mask token (causal LM only)
    vocab_size: int

    def token_ids(self) -> dict[str, int]:
        return {"pad": self.pad, "cls": self.cls, "sep": self.sep, "mask": self.mask}


def special_ids_of(tokenizer: Any) -> SpecialIds:
    """Padding, start, separator and mask ids, whichever names the tokenizer uses."""

    def first(*names: str) -> int:
        for name in names:
            value = getattr(tokenizer, name, None)
            if value is not None:
                return int(value)
        return -1

    return SpecialIds(
        pad=first("pad_token_id", "eos_token_id"),
        cls=first("cls_token_id", "bos_token_id"),
        sep=first("sep_token_id", "eos_token_id"),
        mask=first("mask_token_id"),
        vocab_size=len(tokenizer),
    )


# BERT's masking rate: the library default (the pipeline reads pretraining.data).
MASK_PROBABILITY = 0.15


def mask_tokens(
    ids: torch.Tensor,
    attention: torch.Tensor,
    special: SpecialIds,
    generator: torch.Generator,
    probability: float = MASK_PROBABILITY,
) -> tuple[torch.Tensor, torch.Tensor]:
    """BERT masking: pick `probability` of the real tokens; 80% → [MASK], 10% → a random
    token, 10% kept. Returns (inputs, labels) with -100 where no prediction is asked."""
    candidates = attention.bool() & (ids != special.cls) & (ids != special.sep)
    chosen = (torch.rand(ids.shape, generator=generator) < probability) & candidates
    if not chosen.any():  # always predict at least one token
        first = candidates.nonzero()[0]
        chosen[first[0], first[1]] = True
    labels = torch.where(chosen, ids, torch.full_like(ids, -100))
    roll = torch.rand(ids.shape, generator=generator)
    inputs = ids.clone()
    inputs[chosen & (roll < 0.8)] = special.mask
    randomize = chosen & (roll >= 0.8) & (roll < 0.9)
    inputs[randomize] = torch.randint(special.vocab_size, ids.shape, generator=generator)[randomize]
    return inputs, labels


MASKED_OBJECTIVES = ("mlm", "electra")


class LanguageModelingTask:
    """MLM, CLM or ELECTRA on windows of a packed-token file; each window starts at a document
    start and may run into the next documents ([SEP]-separated). The last `val_fraction` of the
    documents are held out for validation loss and perplexity (ELECTRA: its generator's)."""

    mode = "min"
    monitor = "val_loss"

    def __init__(
        self,
        tokens: PackedTokens,
        objective_name: str,
        special: SpecialIds,
        seq_len: int,
        seed: int,
        val_fraction: float = 0.02,
        mask_probability: float = MASK_PROBABILITY,
        eval_windows: int = 256,
        pack_documents: bool = True,
    ) -> None:
        if tokens.n_docs < 2:
            raise ValueError(f"{tokens.path}: need at least 2 documents, got {tokens.n_docs}")
        self.tokens, self.objective_name, self.special = tokens, objective_name, special
        self.seq_len, self.seed, self.mask_probability = seq_len, seed, mask_probability
        self.pack_documents = pack_documents
        # each predicted position (the normalizer) costs 6·V·d FLOPs; ELECTRA's normalizer is
        # every real token and only its small generator projects, at the masked ones (MFU
        # leaves that out: a slight underestimate)
        self.projects_vocabulary = objective_name != "electra"
        held_out = min(max(1, round(tokens.n_docs * val_fraction)), tokens.n_docs - 1)
        self.n_train_docs = tokens.n_docs - held_out
        self.train_token_limit = int(tokens.offsets[self.n_train_docs])
        self.eval_docs = np.unique(
            np.linspace(
                self.n_train_docs, tokens.n_docs - 1, num=min(eval_windows, held_out)
            ).astype(int)
        )

    def objective(self, model: nn.Module) -> nn.Module:
        if self.objective_name == "electra":
            return ReplacedTokenDetectionObjective(model, self.mask_probability)
        return (
            MaskedLMObjective(model) if self.objective_name == "mlm" else CausalLMObjective(model)
        )

    def steps_per_epoch(self, batch_size: int) -> int:
        if not self.pack_documents:
            return max(1, math.ceil(self.n_train_docs / batch_size))
        return max(1, math.ceil(self.train_token_limit / (batch_size * (self.seq_len - 1))))

    def _window(self, doc: int, limit: int | None) -> list[int]:
        if not self.pack_documents:
            limit = int(self.tokens.offsets[doc + 1])
        return [self.special.cls, *self.tokens.window(doc, self.seq_len - 1, limit)]

    def _batch(self, docs: Sequence[int], limit: int | None, seed: Sequence[int]) -> Batch:
        windows = [self._window(d, limit) for d in docs]
        ids, attention = _pad(
            windows, self.special.pad, self.seq_len if self.pack_documents else None
        )
        if self.objective_name in MASKED_OBJECTIVES:
            generator = torch.Generator().manual_seed(
                int(np.random.SeedSequence(seed).generate_state(1)[0])
            )
            inputs, labels = mask_tokens(
                ids, attention, self.special, generator, self.mask_probability
            )
            mlm = self.objective_name == "mlm"
            count = (labels != -100).sum() if mlm else attention.sum()
        else:
            inputs, labels = ids, torch.where(attention.bool(), ids, torch.full_like(ids, -100))
            count = (labels[:, 1:] != -100).sum()
        return {
            "input_ids": inputs,
            "attention_mask": attention,
            "labels": labels,
            NORMALIZER: count,
        }

    def global_batch(self, step: int, batch_size: int) -> Batch:
        rng = np.random.default_rng([self.seed, step])
        docs = rng.integers(0, self.n_train_docs, size=batch_size)
        return self._batch(docs.tolist(), self.train_token_limit, [self.seed, step, 1])

    def eval_batches(self, batch_size: int) -> Iterator[Batch]:
        for start in range(0, len(self.eval_docs), batch_size):
            docs = self.eval_docs[start : start + batch_size].tolist()
            yield self._batch(docs, None, [self.seed, 10**9 + start])

    @torch.no_grad()
    def evaluate(
        self, objective: nn.Module, device: torch.device, precision: str, batch_size: int
    ) -> dict[str, float]:
        if isinstance(objective, ReplacedTokenDetectionObjective):
            return self._evaluate_electra(objective, device, precision, batch_size)
        total, count = 0.0, 0.0
        for batch in self.eval_batches(batch_size):
            with autocast(device, precision):
                total += float(objective(**to_device(batch, device)))
            count += normalizer(batch)
        loss = total / max(count, 1.0)
        return {"val_loss": loss, "val_perplexity": math.exp(min(loss, 50.0))}

    def _evaluate_electra(
        self,
        objective: ReplacedTokenDetectionObjective,
        device: torch.device,
        precision: str,
        batch_size: int,
    ) -> dict[str, float]:
        """Combined loss, the generator's masked-LM perplexity, and the discriminator's
        accuracy at telling replaced tokens from original ones. The generator's samples come
        from a seeded copy of the RNG: the same figures every time, training's stream untouched."""
        sums: dict[str, float] = {}
        with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
            torch.manual_seed(self.seed)
            for batch in self.eval_batches(batch_size):
                with autocast(device, precision):
                    parts = objective.components(**to_device(batch, device))
                for key, value in parts.items():
                    sums[key] = sums.get(key, 0.0) + float(value)
        masked, tokens = max(sums["masked"], 1.0), max(sums["tokens"], 1.0)
        mlm = sums["mlm"] / masked
        return {
            "val_loss": mlm + objective.discriminator_weight * sums["rtd"] / tokens,
            "val_perplexity": math.exp(min(mlm, 50.0)),
            "val_rtd_accuracy": sums["rtd_correct"] / tokens,
        }


class ClassificationTask:
    """Sequence classification on tokenized texts; batches reshuffle every epoch."""

    mode = "max"
    monitor = "val_macro_f1"
    BUCKET_POOL = 50  # batches whose rows are sorted by length together

    def __init__(
        self,
        train_ids: Sequence[Sequence[int]],
        train_labels: Sequence[int],
        val_ids: Sequence[Sequence[int]],
        val_labels: Sequence[int],
        pad_id: int,
        n_classes: int,
        seed: int,
        class_weights: torch.Tensor | None = None,
    ) -> None:
        if not train_ids:
            raise ValueError("the training split is empty")
        self.train_ids, self.train_labels = list(train_ids), np.array(train_labels)
        self.val_ids, self.val_labels = list(val_ids), np.array(val_labels)
        self.pad_id, self.n_classes, self.seed = pad_id, n_classes, seed
        self.class_weights = class_weights
        self._lengths = np.array([len(ids) for ids in self.train_ids])
        self._plan_key: tuple[int, int] | None = None
        self._plan: list[np.ndarray] = []

    def objective(self, model: nn.Module) -> nn.Module:
        return ClassificationObjective(model, self.class_weights)

    def steps_per_epoch(self, batch_size: int) -> int:
        return max(1, len(self.train_ids) // batch_size)

    def _epoch_batches(self, epoch: int, batch_size: int) -> list[np.ndarray]:
        """The epoch's batches: a seeded shuffle, cut into pools of `BUCKET_POOL` batches whose
        rows are sorted by length (little padding), then the batches shuffled again."""
        if self._plan_key != (epoch, batch_size):
            rng = np.random.default_rng([self.seed, epoch])
            order = rng.permutation(len(self.train_ids))
            n_batches = self.steps_per_epoch(batch_size)
            order = order[: n_batches * batch_size]
            pool = batch_size * self.BUCKET_POOL
            batches = []
            for start in range(0, len(order), pool):
                chunk = order[start : start + pool]
                chunk = chunk[np.argsort(self._lengths[chunk], kind="stable")]
                batches += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
            self._plan = [batches[i] for i in rng.permutation(len(batches))]
            self._plan_key = (epoch, batch_size)
        return self._plan

    def batch_rows(self, step: int, batch_size: int) -> np.ndarray:
        """The training rows of `step`'s global batch."""
        batch_size = min(batch_size, len(self.train_ids))
        epoch, position = divmod(step, self.steps_per_epoch(batch_size))
        return self._epoch_batches(epoch, batch_size)[position]

    def global_batch(self, step: int, batch_size: int) -> Batch:
        return self.rows_batch(self.batch_rows(step, batch_size))

    @property
    def n_rows(self) -> int:
        return len(self.train_ids)

    def rows_batch(self, index: np.ndarray) -> Batch:
        """The batch of the training rows `index` (in that order)."""
        ids, attention = _pad([self.train_ids[i] for i in index], self.pad_id)
        labels = torch.as_tensor(self.train_labels[index], dtype=torch.long)
        weights = self.class_weights
        count = weights[labels].sum() if weights is not None else torch.tensor(float(len(index)))
        return {
            "input_ids": ids,
            "attention_mask": attention,
            "labels": labels,
            NORMALIZER: count,
        }

    @torch.no_grad()
    def evaluate(
        self, objective: nn.Module, device: torch.device, precision: str, batch_size: int
    ) -> dict[str, float]:
        model = objective.model
        logits = predict_logits(model, self.val_ids, self.pad_id, device, precision, batch_size)
        labels = torch.as_tensor(self.val_labels, dtype=torch.long)
        loss = torch.nn.functional.cross_entropy(logits, labels).item()
        predicted = logits.argmax(-1).numpy()
        # here, not at the top: scikit-learn (with scipy) costs 1.4 s to import, which every
        # pretraining process, Flower client and DVC stage would pay for nothing
        from sklearn.metrics import accuracy_score, f1_score

        return {
            "val_loss": loss,
            "val_accuracy": float(accuracy_score(self.val_labels, predicted)),
            "val_macro_f1": float(
                f1_score(
                    self.val_labels,
                    predicted,
                    average="macro",
                    labels=list(range(self.n_classes)),
                    zero_division=0,
                )
            ),
        }


@torch.no_grad()
def predict_logits(
    model: nn.Module,
    sequences: Sequence[Sequence[int]],
    pad_id: int,
    device: torch.device,
    precision: str,
    batch_size: int,
) -> torch.Tensor:
    """Classifier logits (float32, CPU) for tokenized `sequences`, in order; batches are formed
    from length-sorted sequences to waste little on padding."""
    was_training = model.training
    model.eval()
    order = sorted(range(len(sequences)), key=lambda i: len(sequences[i]))
    out = torch.empty((len(sequences), model.config.num_labels), dtype=torch.float32)
    for start in range(0, len(order), batch_size):
        chunk = order[start : start + batch_size]
        ids, attention = _pad([sequences[i] for i in chunk], pad_id)
        with autocast(device, precision):
            logits = model(input_ids=ids.to(device), attention_mask=attention.to(device)).logits
        out[chunk] = logits.float().cpu()
    model.train(was_training)
    return out
