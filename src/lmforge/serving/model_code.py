"""The pyfunc model as code (MLflow "models from code"): MLflow runs this file to build the
model when loading it, instead of unpickling an object."""

import mlflow

from lmforge.serving.pyfunc import TextClassifierModel

mlflow.models.set_model(TextClassifierModel())
