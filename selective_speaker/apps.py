from django.apps import AppConfig


class SelectiveSpeakerConfig(AppConfig):
    """The project package: shared machinery (jobs, audio files, API helpers), no models."""

    name = "selective_speaker"
    verbose_name = "Selective Speaker"

    def ready(self) -> None:
        from django.apps import apps
        from django.db.models.signals import post_migrate

        from selective_speaker.jobs import schedules_sync

        # after django-q2's own migrations (post_migrate is sent per app that has models)
        post_migrate.connect(
            schedules_sync, sender=apps.get_app_config("django_q"), dispatch_uid="selective-speaker-schedules"
        )
