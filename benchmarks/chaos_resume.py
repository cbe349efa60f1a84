"""Resume under chaos: `kill -9` at random moments, a full disk during a checkpoint.

    python benchmarks/chaos_resume.py [--kills 10] [--seed 0]

A tiny pretraining run (tests/training/train_script.py: 24 steps, a checkpoint every 8) is
first run without interruption. Then, `--kills` times: start the same run in a fresh checkpoint
folder, `kill -9` it at a random moment (one of them exactly while a checkpoint is being
written, when its temporary folder appears), rerun it to the end, and check that

- the final weights equal the uninterrupted run's (SHA-256 of every tensor's bytes), and
- the work lost is at most one checkpoint interval (last step started before the kill minus
  the step it resumed from).

Last, a full disk: the checkpoint write at step 16 fails with ENOSPC (fault injected into the
weights write); the run must fail with that error, the step-8 checkpoint must stay usable, and
a rerun must resume from it and end with the same weights. Bounded to a few minutes on 2 cores.
The figures go to benchmarks/results/chaos_resume.json (docs/benchmarks.md's table comes from
there).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.recording import RESULTS, commit, record  # noqa: E402
from lmforge.training.checkpoint import CheckpointManager  # noqa: E402
from tests.training.train_script import CONFIG, launch  # noqa: E402

INTERVAL = CONFIG.checkpoint_every


def finish(checkpoints: Path, result: Path) -> dict:
    process = launch(checkpoints, result, 0.0)
    output, _ = process.communicate(timeout=600)
    if process.returncode != 0:
        raise RuntimeError(output[-3000:])
    return json.loads(result.read_text())


def kill_at(process: subprocess.Popen, checkpoints: Path, moment: float | str) -> int:
    """Kill -9 `moment` seconds after the first training step, or when a checkpoint write is
    under way; returns the last step the run had started."""
    import fcntl
    import os

    assert process.stdout is not None
    fd = process.stdout.fileno()
    fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_NONBLOCK)
    began, last, buffer = None, 0, ""
    while process.poll() is None:
        with contextlib.suppress(BlockingIOError, TypeError):
            buffer += process.stdout.read() or ""
        steps = [int(line.split()[1]) for line in buffer.splitlines() if line.startswith("STEP ")]
        last = max(steps, default=0)
        if steps and began is None:
            began = time.monotonic()
        writing = any(checkpoints.glob(".step_*.tmp-*"))
        if (moment == "checkpoint" and writing) or (
            moment != "checkpoint" and began is not None and time.monotonic() - began >= moment
        ):
            process.kill()
            process.wait()
            return last
        time.sleep(0.002)
    raise RuntimeError("the run ended before the kill")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--results", type=Path, default=RESULTS / "chaos_resume.json")
    args = parser.parse_args()
    measured_at = commit()
    rows: list[dict] = []
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="lmforge-chaos-") as tmp:
        tmp = Path(tmp)
        began = time.monotonic()
        reference = finish(tmp / "straight" / "ckpt", tmp / "straight.json")
        print(
            f"uninterrupted run: {CONFIG.max_steps} steps, "
            f"{time.monotonic() - began:.1f} s, weights {reference['weights_sha256'][:12]}"
        )
        slow = 0.15  # seconds per step while a kill may come (24 steps: about 4 s)
        moments: list[float | str] = ["checkpoint"] + [
            rng.uniform(0.0, 0.8 * CONFIG.max_steps * slow) for _ in range(args.kills - 1)
        ]
        clean = 0
        print(
            f"{'kill':>4}  {'moment':>10}  {'last step':>9}  {'resumed':>7}  {'lost':>4}  weights"
        )
        for i, moment in enumerate(moments, 1):
            checkpoints, result = tmp / f"k{i}" / "ckpt", tmp / f"k{i}.json"
            last = kill_at(launch(checkpoints, result, slow), checkpoints, moment)
            if result.exists():  # the kill came after the result was saved: nothing to redo
                outcome, resumed, lost = json.loads(result.read_text()), "done", 0
            else:
                outcome = finish(checkpoints, result)
                resumed = outcome["resumed_from"] or 0
                lost = max(last - resumed, 0)
            same = outcome["weights_sha256"] == reference["weights_sha256"]
            ok = same and lost <= INTERVAL
            clean += ok
            label = moment if isinstance(moment, str) else f"{moment:.2f} s"
            rows.append(
                {"moment": label, "last_step": last, "resumed_from": resumed, "lost": lost}
                | {"weights_equal": same}
            )
            print(
                f"{i:>4}  {label:>10}  {last:>9}  {resumed:>7}  {lost:>4}  "
                f"{'equal' if same else 'DIFFERENT'}{'' if ok else '  FAILED'}"
            )
        print(
            f"clean resumes: {clean}/{len(moments)} (lost work <= {INTERVAL} steps, same weights)"
        )

        checkpoints, result = tmp / "full" / "ckpt", tmp / "full.json"
        failing = launch(
            checkpoints, result, 0.0, {"LMFORGE_FAIL_CHECKPOINT_AT": str(2 * INTERVAL)}
        )
        output, _ = failing.communicate(timeout=600)
        survivor = CheckpointManager(checkpoints).latest_valid()
        leftovers = list(checkpoints.glob(".step_*.tmp-*"))
        outcome = finish(checkpoints, result)
        same = outcome["weights_sha256"] == reference["weights_sha256"]
        print(
            "full disk at the step-16 checkpoint: "
            f"exit {failing.returncode}, "
            f"{'ENOSPC reported' if 'No space left on device' in output else 'NO CLEAR ERROR'}; "
            f"usable checkpoint: step {survivor.step if survivor else None}; "
            f"half-written folders left: {len(leftovers)}; rerun resumed from "
            f"{outcome['resumed_from']}, weights "
            f"{'equal' if same else 'DIFFERENT'}"
        )
        full_disk = {
            "exit_code": failing.returncode,
            "enospc_reported": "No space left on device" in output,
            "usable_checkpoint_step": survivor.step if survivor else None,
            "half_written_left": len(leftovers),
            "resumed_from": outcome["resumed_from"],
            "weights_equal": same,
        }
    figures = {
        "steps": CONFIG.max_steps,
        "checkpoint_every": INTERVAL,
        "clean": clean,
        "kills": rows,
        "full_disk": full_disk,
    }
    record(args.results, {f"{args.kills} kills, seed {args.seed}": figures}, measured_at)
    print(f"results: {args.results}")


if __name__ == "__main__":
    main()
