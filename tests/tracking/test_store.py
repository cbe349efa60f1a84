from pathlib import Path

from lmforge.tracking.store import ENV_VAR, artifact_location, main_project_root, tracking_uri


def test_a_dvc_experiment_workspace_logs_into_the_main_project(tmp_path, monkeypatch):
    workspace = tmp_path / "project" / ".dvc" / "tmp" / "exps" / "tmpab12" / "sub"
    workspace.mkdir(parents=True)
    assert main_project_root(workspace) == (tmp_path / "project").resolve()
    assert main_project_root(tmp_path / "project") is None
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.chdir(workspace)
    main = (tmp_path / "project").resolve()
    assert tracking_uri() == f"sqlite:///{main / 'mlruns' / 'mlflow.db'}"
    assert artifact_location() == str(main / "mlruns")
    monkeypatch.chdir(tmp_path)
    assert tracking_uri() == "sqlite:///mlruns/mlflow.db" and artifact_location() is None
    monkeypatch.setenv(ENV_VAR, "http://127.0.0.1:5000")
    assert tracking_uri() == "http://127.0.0.1:5000" and artifact_location() is None


def test_the_committed_mlflow_conf_uses_the_resolvers():
    text = (Path(__file__).resolve().parents[2] / "conf" / "base" / "mlflow.yml").read_text()
    assert "mlflow_tracking_uri: ${lmforge_tracking_uri:}" in text
