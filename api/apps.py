from django.apps import AppConfig


class ApiConfig(AppConfig):
    """The HTTP side of the REST API shared by every endpoint: errors, limits,
    idempotent replays, the schema and its documentation. The endpoints themselves
    live with their domain (cases/api.py)."""

    name = "api"
    verbose_name = "API"
    default_auto_field = "django.db.models.BigAutoField"
