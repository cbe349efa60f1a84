"""One PostgreSQL and one MLflow tracking server for the team-mode tests (started once)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from lmforge.ports import free_port
from lmforge.team.services import ServicesError, TeamServices, postgres_bin
from tests.conftest import PROJECT_ROOT, copy_project


def make_team_project(target: Path, team: TeamServices) -> tuple[Path, dict[str, str]]:
    """A project copy on the tiny configuration with conf/team's settings (conf/test + conf/team:
    Kedro runs one environment), and the environment that points it at `team`."""
    project = copy_project(target)
    team_conf, test_conf = PROJECT_ROOT / "conf/team", project / "conf/test"
    shutil.copy(team_conf / "mlflow.yml", test_conf / "mlflow.yml")
    shutil.copy(team_conf / "parameters.yml", test_conf / "parameters_team.yml")
    env = {
        "LMFORGE_TEAM_TRACKING_URI": team.tracking_uri,
        "LMFORGE_TEAM_LOCK_URI": team.lock_uri,
        "KEDRO_ENV": "test",
        # MLflow's client retries a refused connection with backoff 2, 4, 8 … s; 1, 2, 4 … here
        "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
    }
    return project, env


@pytest.fixture(scope="session")
def team() -> TeamServices:
    try:
        postgres_bin("initdb")
        import psycopg  # noqa: F401
    except (ServicesError, ImportError) as missing:
        pytest.skip(f"team mode needs PostgreSQL and psycopg: {missing}")
    # not under pytest's temporary folders (mode 700): as root, PostgreSQL runs as the
    # `postgres` user, who must reach its database folder
    state = Path(tempfile.mkdtemp(prefix="lmforge-team-"))
    state.chmod(0o755)
    services = TeamServices(
        state / ".services",
        postgres_port=free_port(),
        mlflow_port=free_port(),
        workers=1,
    )
    services.start()
    yield services
    services.stop()
    shutil.rmtree(state, ignore_errors=True)
