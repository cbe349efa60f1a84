"""Before any training: is the MLflow tracking server there, and is its database?

With the embedded sqlite store there is nothing to check. With a tracking server (team mode),
a run that starts while the server or its database is down would train for minutes and then
fail to log; MLflow's client would first retry for about two minutes. One request with a short
timeout tells which of the two is missing, before anything runs.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

TEAM_HINT = "start it with `make services` (docs/team.md) or set LMFORGE_TEAM_TRACKING_URI"


class TrackingStoreUnavailableError(RuntimeError):
    """The tracking server or its database does not answer; nothing was run."""


def check_tracking_store(uri: str, timeout: float = 10) -> None:
    """Raise a clear error when the tracking server at `uri` (http/https) cannot store runs."""
    if not uri.startswith(("http://", "https://")):
        return
    request = urllib.request.Request(
        f"{uri.rstrip('/')}/api/2.0/mlflow/experiments/search",
        data=json.dumps({"max_results": 1}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout):
            return
    except urllib.error.HTTPError as error:
        body = error.read().decode(errors="replace")[:300]
        if error.code in (401, 403):
            why = f"refuses this client ({error.code}): set MLFLOW_TRACKING_USERNAME/PASSWORD"
        else:
            why = f"answers, but not its database ({error.code}: {body})"
        raise TrackingStoreUnavailableError(
            f"The MLflow tracking server {uri} {why}. Nothing was run."
        ) from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise TrackingStoreUnavailableError(
            f"The MLflow tracking server {uri} is unreachable ({reason}): {TEAM_HINT}. "
            "Nothing was run."
        ) from None
