"""Text classification on top of the model and the loop: fine-tuning a classifier
(`finetune.py`: strategies, head warm-up, the settings for a checkpoint) and its class
probabilities for raw text (`inference.py`, used by evaluation and serving)."""
