from django.apps import AppConfig


class AccountConfig(AppConfig):
    """The owner's data rights: export all of it, erase all of it, API tokens; what a locked-out login is told
    (account/lockout.py; the lockout's records are django-axes' models). No models of its own."""

    name = "account"
    verbose_name = "Account"
