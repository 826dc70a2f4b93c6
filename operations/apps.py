from django.apps import AppConfig


class OperationsConfig(AppConfig):
    """What an operator runs and watches: `manage.py status` (the job queue and the worker clusters
    seen), `check_services` (database, broker, store, models: one line each, non-zero exit on a
    failure), `init_storage` (the bucket or directory, made and tested), and the Prometheus
    `/metrics` endpoint. Reads only: every count comes from the apps' selectors."""

    name = "operations"
    verbose_name = "Operations"
