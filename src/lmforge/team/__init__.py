"""Team mode: a shared MLflow tracking server on PostgreSQL (`kedro lmforge services`)."""
