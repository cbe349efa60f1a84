"""A project copy on which the whole default pipeline ran once (tiny `conf/test`)."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from lmforge.ports import free_port
from tests.conftest import BIN, copy_project, kedro_run, project_env


@pytest.fixture(scope="session")
def trained_project(tmp_path_factory) -> Path:
    project = copy_project(tmp_path_factory.mktemp("e2e") / "project")
    kedro_run(project)
    return project


def tracking_uri(project: Path) -> str:
    return f"sqlite:///{project}/mlruns/mlflow.db"


class Server:
    """A CLI server on a free localhost port, stopped on exit."""

    def __init__(self, args: list[str], cwd: Path, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.log = cwd / f"server-{self.port}.log"
        self.process = subprocess.Popen(
            [str(BIN / args[0]), *args[1:], "--port", str(self.port)],
            cwd=cwd,
            env=project_env(env),
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
        )

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def wait(self, path: str, timeout: float = 120) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"server exited:\n{self.log.read_text()[-4000:]}")
            try:
                with urllib.request.urlopen(self.url(path), timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.5)
        raise AssertionError(f"server not ready:\n{self.log.read_text()[-4000:]}")

    def post(self, path: str, payload: dict) -> dict:
        request = urllib.request.Request(
            self.url(path),
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()


def serve_champion(project: Path, alias: str = "champion") -> Server:
    """`mlflow models serve` of the project's champion (or another alias), on loopback (call
    `wait("/ping")`)."""
    args = [
        "mlflow",
        "models",
        "serve",
        "-m",
        f"models:/lmforge-classifier@{alias}",
        "--env-manager",
        "local",
        "--host",
        "127.0.0.1",
    ]
    return Server(args, project, {"MLFLOW_TRACKING_URI": tracking_uri(project)})
