"""Project commands, added to `kedro` (Kedro loads `<package>.cli.cli`): `kedro lmforge …`.

Kept light: every `kedro` invocation imports this module."""

from __future__ import annotations

import click

from lmforge.team.services import DEFAULTS, STATE_DIR, TeamServices, load_services  # stdlib only


@click.group(name="lmforge")
def cli() -> None:
    """lmforge project commands."""


@cli.group(name="lmforge")
def lmforge() -> None:
    """lmforge project commands."""


@lmforge.command(name="dvc-sync")
@click.option("--check", is_flag=True, help="Only compare; exit 1 when dvc.yaml is stale.")
@click.pass_obj
def dvc_sync(metadata, check: bool) -> None:
    """Write dvc.yaml from the Kedro project (pipelines, catalog, parameters, imports)."""
    from lmforge.dvc_stages import sync

    current = sync(metadata.project_path, check=check)
    if current:
        click.echo("dvc.yaml is up to date")
    elif check:
        raise click.ClickException(
            "dvc.yaml differs from the Kedro project: run `kedro lmforge dvc-sync`"
        )
    else:
        click.echo("dvc.yaml written")


@lmforge.group(name="services")
def services() -> None:
    """Team mode: PostgreSQL and an MLflow tracking server on it (docs/team.md)."""


@services.command(name="start")
@click.option("--host", default=DEFAULTS["host"], show_default=True, help="Where both listen.")
@click.option("--postgres-port", default=DEFAULTS["postgres_port"], show_default=True)
@click.option("--mlflow-port", default=DEFAULTS["mlflow_port"], show_default=True)
@click.pass_obj
def services_start(metadata, host: str, postgres_port: int, mlflow_port: int) -> None:
    """Start PostgreSQL and the tracking server (state in .services/)."""
    team = TeamServices(metadata.project_path / STATE_DIR, host, postgres_port, mlflow_port)
    team.start()
    click.echo(
        f"MLflow tracking server {team.tracking_uri} on PostgreSQL {team.host}:"
        f"{team.postgres_port}; "
        "run with `kedro run --env team`, stop with `make services-stop`"
    )


@services.command(name="stop")
@click.pass_obj
def services_stop(metadata) -> None:
    """Stop the tracking server, then PostgreSQL (their data stays in .services/)."""
    load_services(metadata.project_path).stop()
    click.echo("team services stopped")


@services.command(name="status")
@click.pass_obj
def services_status(metadata) -> None:
    """Whether the services run, and where."""
    team = load_services(metadata.project_path)
    click.echo(
        f"PostgreSQL {team.host}:{team.postgres_port}: "
        f"{'up' if team.postgres_running() else 'down'}"
    )
    click.echo(f"MLflow {team.tracking_uri}: {'up' if team.tracking_server_running() else 'down'}")
