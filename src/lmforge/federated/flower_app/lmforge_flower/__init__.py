"""lmforge's Flower App (see pyproject.toml next to this package)."""
