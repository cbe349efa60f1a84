"""Names of lmforge's JSON side files inside a Hugging Face model folder (no imports: the
pipelines refer to them without loading torch or MLflow)."""

LINEAGE_FILE = "lmforge_lineage.json"  # parameters and MLflow run ids of every stage
LABEL_MAP_FILE = "label_map.json"
SERVING_FILE = "lmforge_serving.json"  # max_length and classes for the pyfunc
SKIPPED_FILE = "lmforge_skipped.json"  # a folder that holds no model, on purpose, and why
