"""The one training loop, shared by pretraining and fine-tuning.

AdamW (decay on matrices, none on biases and norms), linear warmup then cosine decay, gradient
clipping and accumulation, `max_steps` or `epochs`, periodic evaluation with early stopping
and the best weights kept, atomic checkpoints with exact resume, bf16 autocast + TF32 on
CUDA, optional `torch.compile`, DistributedDataParallel when `devices > 1` (or when started
by torchrun), and DP-SGD through Opacus when a `PrivacyConfig` is enabled (`privacy.py`).
Every step's data comes from `task.global_batch(step)` (a private run: a Poisson sample), so
resuming, accumulating or splitting a batch across processes changes nothing but the speed.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import math
import os
import statistics
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

import torch
from safetensors.torch import load_model, save_model
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from tqdm.auto import tqdm

from lmforge.modeling.layers import layer_lr_scales
from lmforge.training import distributed
from lmforge.training.checkpoint import CheckpointManager, exclusive
from lmforge.training.config import (
    PrivacyConfig,
    PrivacyConfigError,
    TrainConfig,
    check_compatible,
)
from lmforge.training.device import autocast, configure_backends, resolve_device, resolve_precision
from lmforge.training.finished import FINISHED_CHECKPOINTS
from lmforge.training.flops import (
    flops_per_token,
    mfu,
    non_embedding_parameters,
    output_projection_parameters,
    peak_flops,
)
from lmforge.training.privacy import PrivateTraining, noise_only_gradients, private_wrap
from lmforge.training.tasks import Task, model_inputs, normalizer, to_device
from lmforge.training.weight_average import WeightAverage

logger = logging.getLogger(__name__)


class StepCallback(Protocol):
    def __call__(self, step: int, metrics: dict[str, float]) -> None: ...


@dataclass
class TrainResult:
    model: nn.Module
    history: list[dict[str, float]]
    final_metrics: dict[str, float]
    best_metric: float | None
    steps: int
    resumed_from: int | None
    summary: dict[str, float] = field(default_factory=dict)
    privacy: dict[str, Any] | None = None  # the DP guarantee of a private run


def lr_lambda(
    total: int, warmup_ratio: float, min_ratio: float, window: tuple[float, float] = (0.0, 1.0)
):
    """Linear warmup then cosine decay to `min_ratio`. A run covering only the `window` part
    of a longer schedule (a federated round) takes that part: its `total` steps are the
    window's share of the whole schedule's."""
    start, end = window
    span = max(1, round(total / (end - start)))  # the whole schedule, in this run's steps
    offset = round(start * span)
    warmup = max(1, round(span * warmup_ratio)) if warmup_ratio > 0 else 0

    def factor(step: int) -> float:
        step += offset
        if step < warmup:
            return (step + 1) / warmup
        progress = (step - warmup) / max(1, span - warmup)
        return min_ratio + (1 - min_ratio) * 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))

    return factor


def build_optimizer(model: nn.Module, config: TrainConfig) -> torch.optim.AdamW:
    """AdamW with weight decay on weight matrices only (not biases, norms), and with
    `layer_lr_decay` < 1 a learning rate that shrinks layer by layer towards the embeddings."""
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    if not named:
        raise ValueError("the model has no trainable parameter")
    scales = layer_lr_scales(model, config.layer_lr_decay) if config.layer_lr_decay != 1.0 else {}
    groups: dict[tuple[bool, float], list[nn.Parameter]] = {}
    for name, parameter in named:
        key = (parameter.dim() >= 2, scales.get(name, 1.0))
        groups.setdefault(key, []).append(parameter)
    fused = all(p.device.type in ("cpu", "cuda") for _, p in named)  # one kernel per step
    return torch.optim.AdamW(
        [
            {
                "params": params,
                "weight_decay": config.weight_decay if decays else 0.0,
                "lr": config.lr * scale,
            }
            for (decays, scale), params in sorted(
                groups.items(), key=lambda g: (not g[0][0], -g[0][1])
            )
        ],
        lr=config.lr,
        betas=config.betas,
        fused=fused,
    )


def _seconds_per_step(
    objective: nn.Module,
    task: Task,
    config: TrainConfig,
    device: torch.device,
    precision: str,
    privacy: PrivacyConfig | None = None,
    steps: int = 5,
) -> float:
    """Wall time of an optimizer step (the median of `steps`), measured on a throwaway copy
    with batches spread over the first epoch (length-bucketed batches differ in cost): the real
    model, optimizer and random state are untouched. A private run is timed with its
    per-sample gradients, clipping and noise."""
    trial: nn.Module = copy.deepcopy(objective).train()
    optimizer = build_optimizer(trial.model, replace(config, lr=0.0))
    if privacy is not None:
        trial, optimizer, _ = private_wrap(
            trial, optimizer, 1.0, privacy.max_grad_norm, config.batch_size
        )
    timings = []
    stride = max(1, task.steps_per_epoch(config.batch_size) // (steps + 2))
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        for step in range(steps + 2):
            batch = task.global_batch(step * stride, config.batch_size)
            start = time.perf_counter()
            with autocast(device, precision):
                loss = trial(**to_device(batch, device)) / normalizer(batch)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            if step >= 2:  # the first steps warm up (allocations, thread pools)
                timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def replanned_steps(done: int, elapsed: float, budget_seconds: float, ceiling: int) -> int:
    """The total steps that end a run at its time budget, at the pace of its first `done` steps
    (`elapsed` seconds, evaluations and checkpoints included): at least one more step, at most
    `ceiling` (the plan without a budget)."""
    return max(done + 1, min(ceiling, int(budget_seconds * done / elapsed)))


def _micro_batches(
    batch: dict[str, torch.Tensor], ctx: distributed.DistContext, accum: int
) -> list[dict[str, torch.Tensor]]:
    """This rank's micro-batches: the global batch cut in world_size × accum pieces."""
    pieces = ctx.world_size * accum
    keys = model_inputs(batch)
    parts = {k: torch.tensor_split(batch[k], pieces) for k in keys}
    mine = range(ctx.rank * accum, (ctx.rank + 1) * accum)
    return [{k: parts[k][i] for k in keys} for i in mine]


def _rng_state() -> dict[str, Any]:
    state: dict[str, Any] = {"cpu": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _set_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["cpu"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


@dataclass
class _Progress:
    step: int = 0
    best: float | None = None
    bad_evals: int = 0
    history: list[dict[str, float]] = field(default_factory=list)
    last_eval: dict[str, float] = field(default_factory=dict)
    stopped: bool = False  # early stopping ended the run (a resume must not train on)

    def improved(self, value: float, mode: str) -> bool:
        return self.best is None or (value > self.best if mode == "max" else value < self.best)


class _Trainer:
    """State of one process of one training run."""

    def __init__(
        self,
        model: nn.Module,
        task: Task,
        config: TrainConfig,
        checkpoint_root: Path | None,
        callbacks: Sequence[StepCallback],
        privacy: PrivacyConfig | None = None,
    ) -> None:
        self.task, self.config, self.callbacks = task, config, callbacks
        self.privacy = privacy if privacy is not None and privacy.enabled else None
        if self.privacy is not None:
            check_compatible(config)
        self.ctx = distributed.setup(resolve_device(config.device).type)
        if self.privacy is not None and self.ctx.enabled:
            raise PrivacyConfigError("private training runs in one process, not under torchrun")
        self.device = resolve_device(config.device, self.ctx.local_rank)
        self.precision = resolve_precision(config.precision, self.device)
        configure_backends(self.device)
        if self.ctx.enabled and self.device.type == "cpu":
            torch.set_num_threads(max(1, (os.cpu_count() or 1) // self.ctx.world_size))
        torch.manual_seed(config.seed + self.ctx.rank)
        self.objective = task.objective(model).to(self.device)
        self.model = model
        self.total = config.total_steps(task.steps_per_epoch(config.batch_size))
        self.unbudgeted_total = self.total
        if config.budget_minutes:
            self.total = self._fit_budget(config.budget_minutes)
        self.optimizer = build_optimizer(model, config)
        self.scheduler = self._scheduler()
        self.manager = (
            CheckpointManager(checkpoint_root, config.keep_checkpoints) if checkpoint_root else None
        )
        self.progress = _Progress()
        self.average = WeightAverage(model, config.ema_decay) if config.ema_decay else None
        self._best_in_memory: dict[str, torch.Tensor] | None = None
        wrapped: nn.Module = self.objective
        if self.ctx.enabled:
            ids = [self.device.index] if self.device.type == "cuda" else None
            wrapped = DistributedDataParallel(wrapped, device_ids=ids)
        self.wrapped = torch.compile(wrapped) if config.compile else wrapped
        self.n_params = non_embedding_parameters(model)
        projects = getattr(task, "projects_vocabulary", False)
        self.head_params = output_projection_parameters(model) if projects else 0
        self.shape = (int(model.config.num_hidden_layers), int(model.config.hidden_size))
        self.peak, _ = peak_flops(self.device)
        # last: restoring the RNG state must be the final thing before the first step
        self.resumed_from = self._resume()
        self.private: PrivateTraining | None = None
        if self.privacy is not None:  # calibrated to the final plan (a resumed run keeps its)
            self.private = PrivateTraining(
                self.privacy, task.n_rows, config.batch_size, self.total, config.seed
            )
            self.wrapped, self.optimizer = self.private.attach(self.objective, self.optimizer)

    def _scheduler(self) -> torch.optim.lr_scheduler.LambdaLR:
        """The schedule over `self.total` steps, read at every step: a re-plan reshapes it."""
        config = self.config
        return torch.optim.lr_scheduler.LambdaLR(
            self.optimizer,
            lambda step: lr_lambda(
                self.total, config.warmup_ratio, config.min_lr_ratio, config.schedule_window
            )(step),
        )

    def _fit_budget(self, minutes: float) -> int:
        """The planned steps, capped by what fits in `minutes` at the measured step time
        (rank 0 measures, every rank agrees; a resumed run keeps its checkpoint's plan)."""
        planned = self.total
        if self.ctx.is_main:
            seconds = _seconds_per_step(
                self.objective, self.task, self.config, self.device, self.precision, self.privacy
            )
            planned = max(1, min(self.total, int(minutes * 60 / seconds)))
            logger.info(
                "Budget %.1f min at %.3f s/step: %d steps (of %d planned)",
                minutes,
                seconds,
                planned,
                self.total,
            )
        return int(distributed.broadcast(self.ctx, planned))

    def _replan(self, elapsed: float) -> None:
        """Re-plan a budgeted run at the pace measured so far: the first plan times five bare
        steps, not evaluations, checkpoints or a machine that slows down.
        A private run keeps the plan its noise was calibrated to, a resumed one its
        checkpoint's."""
        budget = self.config.budget_minutes
        if not budget or self.private is not None or self.resumed_from is not None:
            return
        total = self.total
        if self.ctx.is_main:
            total = replanned_steps(self.progress.step, elapsed, budget * 60, self.unbudgeted_total)
            if total != self.total:
                logger.info(
                    "Budget %.1f min at %.3f s/step so far: %d steps (was %d)",
                    budget,
                    elapsed / self.progress.step,
                    total,
                    self.total,
                )
        self.total = int(distributed.broadcast(self.ctx, total))

    # ---- checkpoints -------------------------------------------------------------------------
    def _resume(self) -> int | None:
        if self.manager is None:
            return None
        checkpoint = self.manager.latest_valid()
        if checkpoint is None:
            return None
        state = self.manager.load(checkpoint, self.model)
        if int(state.get("total", self.total)) != self.total:  # a budget planned it
            self.total = int(state["total"])
            self.scheduler = self._scheduler()
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        if self.average is not None:
            self.average.load_state_dict(state["weight_average"])
        rng = state["rng"]
        _set_rng_state(rng[self.ctx.rank] if self.ctx.rank < len(rng) else rng[0])
        self.progress = _Progress(
            step=int(state["step"]),
            best=state["best"],
            bad_evals=int(state["bad_evals"]),
            history=list(state["history"]),
            last_eval=dict(state["last_eval"]),
            stopped=bool(state.get("stopped", False)),
        )
        logger.info(
            "Resumed from %s (step %d of %d)", checkpoint.path, self.progress.step, self.total
        )
        if self.ctx.is_main:
            for row in self.progress.history:
                self._emit(int(row["step"]), row)
        return int(state["step"])

    def _checkpoint(self) -> None:
        rng = distributed.gather(self.ctx, _rng_state())
        if self.ctx.is_main and self.manager is not None:
            progress = self.progress
            self.manager.save(
                progress.step,
                self.model,
                {
                    "step": progress.step,
                    "total": self.total,
                    "best": progress.best,
                    "bad_evals": progress.bad_evals,
                    "history": progress.history,
                    "last_eval": progress.last_eval,
                    "stopped": progress.stopped,
                    "optimizer": self.optimizer.state_dict(),
                    "scheduler": self.scheduler.state_dict(),
                    "weight_average": self.average.state_dict() if self.average else None,
                    "rng": rng,
                },
            )
        distributed.barrier(self.ctx)

    # ---- evaluation and logging --------------------------------------------------------------
    def _emit(self, step: int, row: dict[str, float]) -> None:
        metrics = {
            k: v for k, v in row.items() if k != "step" and v is not None and math.isfinite(v)
        }
        for callback in self.callbacks:
            callback(step, metrics)

    def _evaluate(self) -> bool:
        """Evaluate on rank 0; returns whether to stop early (agreed by every rank)."""
        stop = False
        if self.ctx.is_main:
            with self._averaged():  # the average is what is evaluated, kept and returned
                stop = self._evaluate_here()
        return bool(distributed.broadcast(self.ctx, stop))

    def _averaged(self) -> contextlib.AbstractContextManager:
        return self.average.applied() if self.average else contextlib.nullcontext()

    def _evaluate_here(self) -> bool:
        """One evaluation (rank 0): record it, keep the best weights; whether to stop."""
        self.objective.eval()
        metrics = self.task.evaluate(
            self.objective, self.device, self.precision, self.config.eval_batch_size
        )
        self.objective.train()
        if self.private is not None:
            metrics["epsilon"] = self.private.epsilon(self.progress.step)
        value = metrics[self.task.monitor]
        if self.progress.improved(value, self.task.mode):
            self.progress.best, self.progress.bad_evals = value, 0
            self._save_best()
        else:
            self.progress.bad_evals += 1
        patience = self.config.early_stopping_patience
        stop = patience is not None and self.progress.bad_evals >= patience
        self.progress.last_eval = metrics
        self._record({"step": self.progress.step, **metrics})
        if stop:
            logger.info(
                "Early stopping at step %d: %s has not improved for %d evaluations",
                self.progress.step,
                self.task.monitor,
                patience,
            )
        return stop

    def _record(self, row: dict[str, float]) -> None:
        self.progress.history.append(row)
        self._emit(int(row["step"]), row)

    def _save_best(self) -> None:
        if self.manager is not None:
            self.manager.save_best(self.model)
        else:
            self._best_in_memory = {
                k: v.detach().to("cpu", copy=True) for k, v in self.model.state_dict().items()
            }

    def _restore_best(self) -> bool:
        restored = False
        if self.ctx.is_main and self.config.restore_best:
            if self.manager is not None:
                restored = self.manager.load_best(self.model)
            elif self._best_in_memory is not None:
                self.model.load_state_dict(self._best_in_memory)
                restored = True
        if restored:
            logger.info(
                "Restored the best weights (%s = %.4f)", self.task.monitor, self.progress.best
            )
        return restored

    # ---- the loop ----------------------------------------------------------------------------
    def run(self) -> TrainResult:
        config, ctx, progress = self.config, self.ctx, self.progress
        started = time.perf_counter()
        self.objective.train()
        if progress.step == 0 and not progress.last_eval:
            self._evaluate()
        bar = tqdm(
            total=self.total,
            initial=progress.step,
            desc="train",
            mininterval=2.0,
            disable=not (ctx.is_main and config.progress_bar),
        )
        running = torch.zeros((), device=self.device)
        window_steps, window_tokens, window_flops = 0, 0, 0.0
        tokens_seen, flops_seen, train_time = 0, 0.0, 0.0
        window_start = time.perf_counter()
        while progress.step < self.total and not progress.stopped:
            batch = self._batch(progress.step)
            if batch is None:  # an empty Poisson sample: the step adds noise only
                noise_only_gradients(self.model)
            else:
                running += self._forward_backward(batch)
            if config.max_grad_norm and self.private is None:  # DP-SGD clips per sample
                torch.nn.utils.clip_grad_norm_(self.model.parameters(), config.max_grad_norm)
            self.optimizer.step()
            self.scheduler.step()
            self.optimizer.zero_grad(set_to_none=True)
            progress.step += 1
            if self.average is not None:
                self.average.update(progress.step)
            window_steps += 1
            if batch is not None:
                n_tokens = int(batch["input_ids"].numel())
                seq_len = int(batch["input_ids"].shape[1])
                window_tokens += n_tokens
                window_flops += n_tokens * flops_per_token(self.n_params, *self.shape, seq_len)
                window_flops += 6.0 * self.head_params * normalizer(batch)  # predicted positions
            if progress.step % config.log_every == 0 or progress.step == self.total:
                if self.device.type == "cuda":
                    torch.cuda.synchronize(self.device)
                elapsed = time.perf_counter() - window_start
                loss_value = float(distributed.all_reduce_sum(ctx, running).item()) / window_steps
                tokens_seen, flops_seen = tokens_seen + window_tokens, flops_seen + window_flops
                train_time += elapsed
                row = {
                    "step": progress.step,
                    "train_loss": loss_value,
                    "lr": self.scheduler.get_last_lr()[0],
                    "tokens_per_s": window_tokens / elapsed,
                    "mfu": mfu(window_flops / elapsed, self.peak),
                }
                if ctx.is_main:
                    self._record(row)
                bar.set_postfix(loss=f"{loss_value:.4f}", tok_s=f"{row['tokens_per_s']:.0f}")
                running.zero_()
                window_steps, window_tokens, window_flops = 0, 0, 0.0
                window_start = time.perf_counter()
            bar.update(1)
            if progress.step % config.eval_every == 0 or progress.step == self.total:
                progress.stopped = self._evaluate()
                window_start = time.perf_counter()
            if self.manager is not None and (
                progress.step % config.checkpoint_every == 0
                or progress.step == self.total
                or progress.stopped
            ):
                self._checkpoint()
                window_start = time.perf_counter()
            if progress.step % config.eval_every == 0 and progress.step < self.total:
                self._replan(time.perf_counter() - started)
                bar.total = self.total
        bar.close()
        if not self._restore_best() and self.average is not None:
            self.average.copy_to_model()
        if self.private is not None:
            self.private.detach(self.model)
        summary = {
            "tokens_per_s": tokens_seen / train_time if train_time else 0.0,
            "mfu": mfu(flops_seen / train_time, self.peak) if train_time else None,
            "peak_memory_gb": (
                torch.cuda.max_memory_allocated(self.device) / 2**30
                if self.device.type == "cuda"
                else None
            ),
            "steps": progress.step,
            "world_size": ctx.world_size,
            **(self.private.summary(progress.step) if self.private is not None else {}),
        }
        return TrainResult(
            self.model,
            progress.history,
            progress.last_eval,
            progress.best,
            progress.step,
            self.resumed_from,
            {k: v for k, v in summary.items() if v is not None},
            self.private.describe(progress.step) if self.private is not None else None,
        )

    def _batch(self, step: int) -> dict[str, torch.Tensor] | None:
        """The step's global batch; a private run's Poisson sample (None when empty)."""
        if self.private is None:
            return self.task.global_batch(step, self.config.batch_size)
        rows = self.private.rows(step)
        return self.task.rows_batch(rows) if len(rows) else None

    def _forward_backward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """Accumulate the gradient of the batch's mean loss over this rank's micro-batches;
        returns the loss."""
        ctx, total_items = self.ctx, normalizer(batch)
        micro = _micro_batches(batch, ctx, self.config.grad_accum_steps)
        running = torch.zeros((), device=self.device)
        for index, piece in enumerate(micro):
            last = index == len(micro) - 1
            sync = (
                self.wrapped.no_sync()
                if ctx.enabled and not last and hasattr(self.wrapped, "no_sync")
                else contextlib.nullcontext()
            )
            with sync, autocast(self.device, self.precision):
                loss = self.wrapped(**to_device(piece, self.device)) / total_items
            (loss * ctx.world_size).backward()
            running += loss.detach()
        return running

    def finish(self, success: bool, clear_on_success: bool = True) -> None:
        if (
            success
            and self.ctx.is_main
            and self.manager is not None
            and not self.config.keep_checkpoints_on_success
        ):
            if clear_on_success:
                self.manager.clear()
            else:  # the caller clears them once it has saved the result
                FINISHED_CHECKPOINTS.append(self.manager.root)
        distributed.barrier(self.ctx)


def _train_here(
    model: nn.Module,
    task: Task,
    config: TrainConfig,
    checkpoint_root: Path | None,
    callbacks: Sequence[StepCallback],
    clear_on_success: bool = True,
    privacy: PrivacyConfig | None = None,
) -> TrainResult:
    trainer = _Trainer(model, task, config, checkpoint_root, callbacks, privacy)
    result = trainer.run()
    trainer.finish(success=True, clear_on_success=clear_on_success)
    result.model = result.model.to("cpu")
    return result


def _distributed_entry(
    model: nn.Module,
    task: Task,
    config: TrainConfig,
    checkpoint_root: Path | None,
    callbacks: Sequence[StepCallback],
    result_dir: str,
) -> dict[str, Any] | None:
    """One process under the elastic launcher; rank 0 hands its weights back through a file.

    The launcher passes tensors through shared memory: every rank would update the very same
    weights. Each rank trains its own copy instead, as on separate devices.
    """
    model = copy.deepcopy(model)
    result = _train_here(model, task, config, checkpoint_root, callbacks)
    ctx = distributed.setup(resolve_device(config.device).type)
    main = ctx.is_main
    if main:
        save_model(result.model, os.path.join(result_dir, "final.safetensors"))
    distributed.teardown(ctx)
    if not main:
        return None
    return {
        "history": result.history,
        "final_metrics": result.final_metrics,
        "best_metric": result.best_metric,
        "steps": result.steps,
        "resumed_from": result.resumed_from,
        "summary": result.summary,
    }


def train(
    model: nn.Module,
    task: Task,
    config: TrainConfig,
    checkpoint_root: Path | None = None,
    callbacks: Sequence[StepCallback] = (),
    clear_on_success: bool = True,
    privacy: PrivacyConfig | None = None,
) -> TrainResult:
    """Train `model` on `task`; with `config.devices > 1`, in that many processes under DDP.

    `checkpoint_root` is this configuration's checkpoint folder: an intact checkpoint there is
    resumed; it is removed after success unless `keep_checkpoints_on_success` — or, with
    `clear_on_success=False`, left for `clear_finished_checkpoints()` once the caller has saved
    the result (a kill in between then resumes at the last step).
    """
    if privacy is not None and privacy.enabled:
        check_compatible(config)  # before any process starts
    with exclusive(checkpoint_root):
        if config.devices > 1 and not distributed.launched_by_torchrun():
            with tempfile.TemporaryDirectory(prefix="lmforge-ddp-") as result_dir:
                out = distributed.launch(
                    _distributed_entry,
                    (model, task, config, checkpoint_root, callbacks, result_dir),
                    config.devices,
                )
                load_model(model, os.path.join(result_dir, "final.safetensors"))
            return TrainResult(model=model, **out)
        return _train_here(
            model, task, config, checkpoint_root, callbacks, clear_on_success, privacy
        )
