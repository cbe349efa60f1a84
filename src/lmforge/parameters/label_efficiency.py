"""The parameter block of the `label_efficiency` pipeline (types; defaults in
conf/base/parameters_label_efficiency.yml)."""

from __future__ import annotations

from lmforge.parameters import Strict


class LabelEfficiency(Strict):
    budgets: list[int | None]
    compare_no_pretrain: bool
    seed: int


SETTINGS = {"label_efficiency": LabelEfficiency}
