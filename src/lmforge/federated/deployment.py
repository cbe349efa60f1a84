"""A federation on one machine, run by Flower's deployment engine: a SuperLink and one
SuperNode per client as separate processes talking over loopback, then `flwr run` of lmforge's
Flower App (`flower_app/`). On separate machines the same three commands run there
(docs/federated.md); nothing here is specific to loopback but the address.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lmforge.federated.apps import GLOBAL_WEIGHTS  # what the ServerApp writes when it succeeds
from lmforge.ports import free_port

APP_DIR = Path(__file__).parent / "flower_app"
CONNECTION = "lmforge"  # the SuperLink connection's name in FLWR_HOME/config.toml
START_TIMEOUT_S = 120.0


class FederationError(RuntimeError):
    """The federation did not produce a model; the message points at the logs."""


def toml_table(values: dict[str, Any]) -> str:
    """Flat key = value lines (strings, numbers, booleans) in TOML."""
    return "".join(f"{key} = {json.dumps(value)}\n" for key, value in values.items())


def _wait_for_port(host: str, port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise FederationError(f"flower-superlink exited ({process.returncode}); see {log}")
        with socket.socket() as probe:
            if probe.connect_ex((host, port)) == 0:
                return
        time.sleep(0.25)
    raise FederationError(f"flower-superlink did not listen on {host}:{port}; see {log}")


def _start(command: Sequence[str], log: Path, env: dict[str, str]) -> subprocess.Popen:
    """A process in its own session with its output in `log`."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        return subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )


def _stop_all(processes: Sequence[subprocess.Popen], grace_s: float = 15.0) -> None:
    """SIGTERM to every process group still running, all at once (each shuts down in
    seconds, so one after another would add up), then SIGKILL to any left after `grace_s`."""
    running = [p for p in processes if p.poll() is None]
    for process in running:
        os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    for process in running:
        try:
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _tail(path: Path, lines: int = 25) -> str:
    if not path.is_file():
        return ""
    text = path.read_text(encoding="utf-8", errors="replace").splitlines()
    return "\n".join(text[-lines:])


def run_federation(
    work_dir: Path,
    run_config: dict[str, Any],
    node_configs: Sequence[dict[str, Any]],
    address: str,
    timeout_s: float,
) -> None:
    """Start a SuperLink on `address` and one SuperNode per entry of `node_configs`, run the
    Flower App with `run_config` and wait for it; every process is stopped on the way out.
    Logs go to `work_dir/logs/`. Success is the ServerApp's final weights in
    `run_config["out-dir"]` (`flwr run --stream` exits 0 even when the ServerApp failed)."""
    bin_dir = Path(sys.executable).parent
    env = {
        **os.environ,
        "FLWR_HOME": str(work_dir / "flwr-home"),
        "FLWR_TELEMETRY_ENABLED": "0",  # no network calls
        # how often a SuperExec asks for a task to launch (a ClientApp, the ServerApp): 1 s by
        # default, a wait added to every round
        "FLWR_SUPEREXEC_TASK_POLL_INTERVAL": os.environ.get(
            "FLWR_SUPEREXEC_TASK_POLL_INTERVAL", "0.2"
        ),
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    logs = work_dir / "logs"
    port = free_port(address)
    home = Path(env["FLWR_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(
        f'[superlink]\ndefault = "{CONNECTION}"\n\n[superlink.{CONNECTION}]\n'
        + toml_table({"address": f"{address}:{port}", "insecure": True}),
        encoding="utf-8",
    )
    (work_dir / "run_config.toml").write_text(toml_table(run_config), encoding="utf-8")
    link_log = logs / "superlink.log"
    processes: list[subprocess.Popen] = []
    try:
        superlink = _start(
            [
                str(bin_dir / "flower-superlink"),
                "--insecure",
                "--host",
                address,
                "--port",
                str(port),
                "--disable-runtime-dependency-installation",
            ],
            link_log,
            env,
        )
        processes.append(superlink)
        _wait_for_port(address, port, superlink, link_log)
        for i, node_config in enumerate(node_configs):
            config_file = work_dir / f"node-{i}.toml"
            config_file.write_text(toml_table(node_config), encoding="utf-8")
            node = [
                str(bin_dir / "flower-supernode"),
                "--insecure",
                "--superlink",
                f"{address}:{port}",
                "--port",
                str(free_port("127.0.0.1")),
                "--node-config",
                str(config_file),
            ]
            processes.append(_start(node, logs / f"supernode-{i}.log", env))
        run_log = logs / "flwr-run.log"
        command = [
            str(bin_dir / "flwr"),
            "run",
            str(APP_DIR),
            CONNECTION,
            "--stream",
            "--run-config",
            str(work_dir / "run_config.toml"),
        ]
        with run_log.open("wb") as out:
            try:
                code = subprocess.run(
                    command, stdout=out, stderr=subprocess.STDOUT, env=env, timeout=timeout_s
                ).returncode
            except subprocess.TimeoutExpired:
                raise FederationError(
                    f"the federation ran past finetuning.federated.timeout_minutes "
                    f"({timeout_s / 60:g} min); logs in {logs}"
                ) from None
    finally:
        _stop_all(processes)
    if code != 0 or not (Path(run_config["out-dir"]) / GLOBAL_WEIGHTS).is_file():
        raise FederationError(
            f"the federation produced no model (`flwr run` exited with {code}); logs in "
            f"{logs}. The ServerApp's last lines:\n{_tail(run_log)}"
        )
