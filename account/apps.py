from django.apps import AppConfig


class AccountConfig(AppConfig):
    """The owner's data rights: export all of it, erase all of it, API tokens; what a locked-out login is told
    (account/lockout.py; the lockout's records are django-axes' models); the owner's settings for the pages
    (their time zone, account.models.AccountSettings, put in force per request by account.middleware)."""

    name = "account"
    verbose_name = "Account"
