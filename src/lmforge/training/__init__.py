"""The one training loop (`loop.py`) and what plugs into it: the batches and losses of a task
(`tasks.py`, `objectives.py`, `packing.py`), checkpoints (`checkpoint.py`, `finished.py`),
several processes (`distributed.py`), DP-SGD (`privacy.py`), weight averaging
(`weight_average.py`), device and precision (`device.py`), FLOPs and MFU (`flops.py`), and a
run with its MLflow curves, which the training nodes call (`run.py`)."""
