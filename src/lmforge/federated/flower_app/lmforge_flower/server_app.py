"""The ServerApp: lmforge.federated.apps.server_app."""

from lmforge.federated.apps import server_app as app

__all__ = ["app"]
