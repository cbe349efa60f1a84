"""The project's Kedro context: parameters reach the catalog as the dicts the YAML gives.

Kedro 1.3+ replaces a parameter block with a pydantic model wherever a node annotates its
`params:` input with one. lmforge's nodes do annotate their blocks (`source: Source`), but the
conversion happens at the node (`lmforge.parameters.typed_settings`), not in the catalog:
kedro-mlflow 2.0.3 flattens only dicts into MLflow params, so a model would be logged as one
string (`source = "kind='builtin' path=None …"`) instead of `source.kind`, `source.path`, …, and
the hooks and lineage files read the blocks as plain data. The whole tree is still validated
against the same models before any node runs (`lmforge.hooks.ParameterCheckHook`).
"""

from __future__ import annotations

from typing import Any

from kedro.framework.context import KedroContext


class ProjectContext(KedroContext):
    @property
    def params(self) -> dict[str, Any]:
        """The parameters as loaded (with `--params` merged in), blocks as dicts."""
        return self.config_loader["parameters"]
