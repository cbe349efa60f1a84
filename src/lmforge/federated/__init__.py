"""Federated fine-tuning with Flower: the labeled rows stay with N clients, only model updates
travel (FedAvg). `finetuning.federated.enabled: true` (or `kedro run --env federated`) makes the
`finetuning` pipeline's classifier this way; evaluation, registration and compression treat
it like any other classifier.

- `config.py`: the `finetuning.federated` block and the checks made before any work;
- `partition.py`: which client holds which training row (by a column, IID, or Dirichlet);
- `weights.py`: the model every party builds, and the weights they exchange;
- `apps.py`: Flower's ServerApp (FedAvg + validation of the global model each round) and
  ClientApp (local epochs with the shared training loop);
- `deployment.py`: a SuperLink and N SuperNodes as separate processes on loopback, and
  `flwr run`;
- `training.py`: what the fine-tuning node calls.
"""
