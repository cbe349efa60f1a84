"""Project commands, added to `kedro` (Kedro loads `<package>.cli.cli`): `kedro lmforge …`.

Kept light: every `kedro` invocation imports this module."""

from __future__ import annotations

import click


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
