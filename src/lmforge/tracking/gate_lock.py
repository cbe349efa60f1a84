"""One champion decision at a time, across every process that writes to the registry.

MLflow has no compare-and-set for aliases: two evaluations finishing together could both read
the old champion and both move the alias. The gate holds a lock that every writer sees while it
re-reads the champion and moves the alias:
- a PostgreSQL advisory lock, when `registry.gate_lock` names the registry's database
  (team mode, `conf/team/`) or the tracking URI is a PostgreSQL store itself;
- an exclusive file lock next to the sqlite store (`mlruns/mlflow.db.gate-lock`), for the
  embedded default;
- none for another store without `registry.gate_lock` (a warning says so): the gate then only
  re-reads the champion before it moves the alias.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

logger = logging.getLogger(__name__)

WAIT_S = 300  # longer than any gate decision takes; a stuck holder fails the waiter clearly


class GateLockError(RuntimeError):
    """The gate's lock could not be taken (database unreachable, waited too long)."""


def lock_key(name: str, alias: str) -> int:
    """A stable signed 64-bit advisory-lock key for one (model, alias)."""
    digest = hashlib.sha256(f"lmforge-gate:{name}@{alias}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _postgres_uri(uri: str) -> str | None:
    """`uri` in libpq form when it is a PostgreSQL database, else None."""
    scheme, _, rest = uri.partition("://")
    if scheme.split("+")[0] in ("postgresql", "postgres"):
        return f"postgresql://{rest}"
    return None


def _sqlite_path(uri: str) -> Path | None:
    prefix = "sqlite:///"
    return Path(uri[len(prefix) :]) if uri.startswith(prefix) else None


@contextmanager
def gate_lock(
    tracking_uri: str, name: str, alias: str, lock_uri: str | None = None
) -> Iterator[str]:
    """Hold the lock for `name@alias` (see the module docstring); yields what is held."""
    if lock_uri and not _postgres_uri(lock_uri):
        raise GateLockError(
            f"registry.gate_lock must be a postgresql:// database URI, not {lock_uri!r}"
        )
    database = _postgres_uri(lock_uri or "") or _postgres_uri(tracking_uri)
    if database:
        with _advisory_lock(database, lock_key(name, alias)) as held:
            yield held
    elif (path := _sqlite_path(tracking_uri)) is not None:
        with _file_lock(Path(f"{path}.gate-lock")) as held:
            yield held
    else:
        logger.warning(
            "No lock shared by every writer of %s: set registry.gate_lock to the registry's "
            "PostgreSQL database (conf/team/) so concurrent evaluations cannot race for '%s'",
            tracking_uri,
            alias,
        )
        yield "none"


@contextmanager
def _advisory_lock(database: str, key: int) -> Iterator[str]:
    import psycopg

    try:
        connection = psycopg.connect(database, autocommit=True, connect_timeout=10)
    except psycopg.Error as error:
        raise GateLockError(f"the champion gate cannot reach its lock database: {error}") from None
    with connection:
        try:
            connection.execute(f"SET lock_timeout = '{WAIT_S}s'")
            connection.execute("SELECT pg_advisory_lock(%s)", (key,))
        except psycopg.Error as error:
            raise GateLockError(f"the champion gate's advisory lock {key}: {error}") from None
        try:
            yield f"advisory lock {key}"
        finally:
            connection.execute("SELECT pg_advisory_unlock(%s)", (key,))


@contextmanager
def _file_lock(path: Path) -> Iterator[str]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file closes, also on a crash
        try:
            yield f"file lock {path}"
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
