from django.apps import AppConfig


class AccountConfig(AppConfig):
    """The owner's data rights: export all of it, erase all of it, API tokens. No models."""

    name = "account"
    verbose_name = "Account"
