from django.apps import AppConfig


class PagesConfig(AppConfig):
    """The owner's server-rendered pages: timeline, enroll, account. No models: every read and
    write goes through the domain apps' selectors and services."""

    name = "pages"
    verbose_name = "Owner pages"
