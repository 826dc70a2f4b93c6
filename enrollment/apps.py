from django.apps import AppConfig


class EnrollmentConfig(AppConfig):
    name = "enrollment"
    verbose_name = "Voice enrollment"

    def ready(self) -> None:
        from django.db.models.signals import post_delete

        from enrollment.models import Enrollment
        from selective_speaker.audio_files import delete_file_when_row_deleted

        post_delete.connect(delete_file_when_row_deleted, sender=Enrollment, dispatch_uid="enrollment-delete-audio-file")
