# The scores every comparison reports (metrics.json keys, with a baseline's prefix).
KEPT_METRICS = ("accuracy", "macro_f1")
