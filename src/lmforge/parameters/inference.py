"""The parameter block of the `inference` pipeline (types; defaults in
conf/base/parameters_inference.yml)."""

from __future__ import annotations

from lmforge.parameters import Strict


class Inference(Strict):
    text_column: str
    batch_size: int
    # Read by the catalog (`${runtime_params:…}`), given with --params only.
    input_path: str | None = None
    output_path: str | None = None


SETTINGS = {"inference": Inference}
