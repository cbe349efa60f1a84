"""Team mode's services: a PostgreSQL server and an MLflow tracking server on it.

`kedro lmforge services start` (`make services`) starts both on loopback, with proxied
artifacts (clients need no storage credentials), and writes where they listen to
`.services/team.json`; `kedro run --env team` reads that file (`conf/team/`). `stop` stops
both; the database and the artifacts stay in `.services/` for the next start.

PostgreSQL refuses to run as root: as root, its commands run as the `postgres` user, which
owns the database folder. Its binaries come from Debian's `postgresql` package
(`scripts/install-postgres.sh`), found on PATH or under /usr/lib/postgresql/<version>/bin.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

STATE_DIR = Path(".services")
STATE_FILE = "team.json"
DATABASE = "mlflow"
USER = "lmforge"
DEFAULTS = {"host": "127.0.0.1", "postgres_port": 5433, "mlflow_port": 5001}
INSTALL_HINT = (
    "install Debian's `postgresql` package (`bash scripts/install-postgres.sh`) or put "
    "PostgreSQL's bin folder (initdb, pg_ctl) on PATH"
)


class ServicesError(RuntimeError):
    """A team service could not start or stop; the message names the log to read."""


def postgres_bin(name: str) -> Path:
    """A PostgreSQL server binary (`initdb`, `pg_ctl`): PATH first, then Debian's folders."""
    found = shutil.which(name)
    if found:
        return Path(found)
    candidates = sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
        key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0,
    )
    if not candidates:
        raise ServicesError(f"PostgreSQL's `{name}` was not found: {INSTALL_HINT}")
    return candidates[-1]


def _as_postgres_user(command: list[str]) -> list[str]:
    """PostgreSQL will not run as root: run its commands as the `postgres` user then."""
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


def _give_to_postgres_user(*paths: Path) -> None:
    if os.geteuid() == 0:
        for path in paths:
            shutil.chown(path, "postgres")


@dataclass(frozen=True)
class TeamServices:
    """Where the services keep their state and listen."""

    state_dir: Path = STATE_DIR
    host: str = DEFAULTS["host"]
    postgres_port: int = DEFAULTS["postgres_port"]
    mlflow_port: int = DEFAULTS["mlflow_port"]
    workers: int = 2  # the tracking server's processes

    @property
    def tracking_uri(self) -> str:
        return f"http://{self.host}:{self.mlflow_port}"

    @property
    def database_uri(self) -> str:
        """The backend store, for the tracking server (SQLAlchemy with psycopg 3)."""
        return f"postgresql+psycopg://{USER}@{self.host}:{self.postgres_port}/{DATABASE}"

    @property
    def lock_uri(self) -> str:
        """The same database, for the champion gate's advisory lock (libpq form)."""
        return f"postgresql://{USER}@{self.host}:{self.postgres_port}/{DATABASE}"

    @property
    def _pgdata(self) -> Path:
        return Path(self.state_dir) / "postgres"

    @property
    def _server_pid(self) -> Path:
        return Path(self.state_dir) / "mlflow-server.pid"

    # -- lifecycle -----------------------------------------------------------------------

    def start(self, timeout: float = 180) -> None:
        """Start PostgreSQL (initialising it the first time) and the tracking server; write
        `team.json`. Already running: nothing to do."""
        Path(self.state_dir).mkdir(parents=True, exist_ok=True)
        self.start_postgres(timeout)
        self.start_tracking_server(timeout)
        state = {**asdict(self), "state_dir": str(self.state_dir)}
        (Path(self.state_dir) / STATE_FILE).write_text(json.dumps(state, indent=2) + "\n")

    def stop(self) -> None:
        """Stop the tracking server, then PostgreSQL (fast shutdown: open sessions end)."""
        self.stop_tracking_server()
        self.stop_postgres()
        (Path(self.state_dir) / STATE_FILE).unlink(missing_ok=True)

    def stop_postgres(self) -> None:
        if (self._pgdata / "postmaster.pid").exists():
            self._pg_ctl("stop", "-m", "fast")

    def start_postgres(self, timeout: float = 60) -> None:
        if self.postgres_running():
            return
        log = Path(self.state_dir) / "postgres.log"
        if not (self._pgdata / "PG_VERSION").exists():
            self._pgdata.mkdir(parents=True, exist_ok=True)
            _give_to_postgres_user(self._pgdata)
            initdb = [str(postgres_bin("initdb")), "-D", str(self._pgdata.resolve())]
            initdb += ["-U", USER, "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"]
            _run(
                _as_postgres_user(initdb),
                "initdb (as root, the `postgres` user must be able to reach the folder)",
            )
        log.touch()
        _give_to_postgres_user(log)
        options = f"-h {self.host} -p {self.postgres_port} -k {self._pgdata.resolve()}"
        wait = ("-w", "-t", str(int(timeout)))
        self._pg_ctl("start", *wait, "-l", str(log.resolve()), "-o", options)
        if not self._database_exists():
            self._sql("postgres", f"CREATE DATABASE {DATABASE}")

    def start_tracking_server(self, timeout: float = 180) -> None:
        if self.tracking_server_running():
            return
        artifacts = Path(self.state_dir) / "artifacts"
        artifacts.mkdir(parents=True, exist_ok=True)
        log = (Path(self.state_dir) / "mlflow-server.log").open("ab")
        command = [
            str(Path(sys.executable).with_name("mlflow")),
            "server",
            "--backend-store-uri",
            self.database_uri,
            "--artifacts-destination",
            str(artifacts.resolve()),
            "--host",
            self.host,
            "--port",
            str(self.mlflow_port),
            "--workers",
            str(self.workers),
            # a stop or restart ends open keep-alive connections after 3 s instead of waiting
            "--uvicorn-opts",
            "--timeout-graceful-shutdown 3",
        ]
        # MLflow's GenAI job runner (LLM judges, trace archival) has no use here
        env = {**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
        with log:  # the server keeps its own handle
            process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, env=env
            )
        self._server_pid.write_text(str(process.pid))
        deadline = time.monotonic() + timeout
        while not self.tracking_server_running():
            if process.poll() is not None or time.monotonic() > deadline:
                self.stop_tracking_server()
                raise ServicesError(
                    f"the MLflow tracking server did not start on {self.tracking_uri}: "
                    f"read {log.name}"
                )
            time.sleep(0.5)

    def stop_tracking_server(self, timeout: float = 10) -> None:
        if not self._server_pid.exists():
            return
        pid = int(self._server_pid.read_text())
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while _group_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        if _group_alive(pid):
            os.killpg(pid, signal.SIGKILL)
        self._server_pid.unlink(missing_ok=True)

    def restart_tracking_server(self, down_s: float = 0.0) -> None:
        """Stop the tracking server, wait `down_s`, start it again (as an upgrade would)."""
        self.stop_tracking_server()
        time.sleep(down_s)
        self.start_tracking_server()

    # -- state ----------------------------------------------------------------------------

    def postgres_running(self) -> bool:
        return self._database_answers()

    def tracking_server_running(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.tracking_uri}/health", timeout=2) as response:
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def _database_answers(self) -> bool:
        try:
            self._sql("postgres", "SELECT 1")
            return True
        except ServicesError:
            return False

    def _database_exists(self) -> bool:
        rows = self._sql("postgres", f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'")
        return rows.strip() == "1"

    def _sql(self, database: str, statement: str) -> str:
        import psycopg

        uri = f"postgresql://{USER}@{self.host}:{self.postgres_port}/{database}"
        try:
            with psycopg.connect(uri, autocommit=True, connect_timeout=5) as connection:
                cursor = connection.execute(statement)
                return "\n".join(str(row[0]) for row in cursor) if cursor.description else ""
        except psycopg.Error as error:
            where = f"{self.host}:{self.postgres_port}"
            raise ServicesError(f"PostgreSQL at {where}: {error}") from None

    def _pg_ctl(self, *args: str) -> None:
        command = [str(postgres_bin("pg_ctl")), "-D", str(self._pgdata.resolve()), *args]
        _run(_as_postgres_user(command), f"pg_ctl {args[0]}", Path(self.state_dir) / "postgres.log")


def _run(command: list[str], what: str, log: Path | None = None) -> None:
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        where = f"; read {log}" if log else ""
        raise ServicesError(f"{what} failed: {(result.stderr or result.stdout).strip()}{where}")


def _group_alive(pgid: int) -> bool:
    # the server's first process is our child when this process started it: reap it
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pgid, os.WNOHANG)
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False


def load_services(project: Path) -> TeamServices:
    """The services `start` recorded for `project` (the defaults when none ran)."""
    state = project / STATE_DIR / STATE_FILE
    if not state.exists():
        return TeamServices(project / STATE_DIR)
    recorded = json.loads(state.read_text())
    fields = ("host", "postgres_port", "mlflow_port", "workers")
    return TeamServices(Path(recorded["state_dir"]), **{k: recorded[k] for k in fields})


def team_setting(key: str) -> str:
    """`tracking_uri` or `lock_uri` of the team services, for `conf/team/` (a resolver):
    `LMFORGE_TEAM_<KEY>` when set (a real deployment), else what `kedro lmforge services
    start` wrote to `.services/team.json`, else the defaults' loopback addresses."""
    from_env = os.environ.get(f"LMFORGE_TEAM_{key.upper()}")
    if from_env:
        return from_env
    from lmforge.tracking.store import main_project_root

    root = main_project_root(Path.cwd()) or Path.cwd()  # DVC experiments: the main project's
    return getattr(load_services(root), key)
