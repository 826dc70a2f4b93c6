from django.apps import AppConfig


class ChunksConfig(AppConfig):
    name = "chunks"
    verbose_name = "Audio chunks"

    def ready(self) -> None:
        from django.db.models.signals import post_delete

        from chunks.models import Chunk
        from selective_speaker.audio_files import delete_file_when_row_deleted

        post_delete.connect(delete_file_when_row_deleted, sender=Chunk, dispatch_uid="chunks-delete-audio-file")
