from django.apps import AppConfig


class ReviewConfig(AppConfig):
    """Review of the engine's uncertain owner decisions: by staff (admin) and by the owner
    ("Was this you?" in the API; the pages show it). The review items, voice samples and
    voiceprints are the enrollment app's models; this app is the reviewers' side of them."""

    name = "review"
    verbose_name = "Voice review"
