"""The ClientApp: lmforge.federated.apps.client_app."""

from lmforge.federated.apps import client_app as app

__all__ = ["app"]
