from django.apps import AppConfig


class UtterancesConfig(AppConfig):
    name = "utterances"
    verbose_name = "Utterances"
