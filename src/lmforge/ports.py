"""A free TCP port, for the servers lmforge starts on this machine: Flower's SuperLink and
SuperNodes, torch.distributed's rendezvous, team mode's PostgreSQL and MLflow server."""

from __future__ import annotations

import socket


def free_port(host: str = "127.0.0.1") -> int:
    """A port that nothing listens on at `host` now (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])
