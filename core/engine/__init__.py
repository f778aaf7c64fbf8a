"""The local sweep engine: job records, the worker pool, the scheduler and its MLflow writer."""
