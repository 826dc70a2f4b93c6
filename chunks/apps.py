from django.apps import AppConfig


class ChunksConfig(AppConfig):
    name = "chunks"
    verbose_name = "Audio chunks"

    def ready(self) -> None:
        from django.db.models.signals import post_delete

        from chunks import receivers
        from chunks.models import Chunk
        from enrollment.signals import voiceprint_ready
        from selective_speaker.audio_files import delete_file_when_row_deleted
        from utterances.signals import utterance_removing

        post_delete.connect(delete_file_when_row_deleted, sender=Chunk, dispatch_uid="chunks-delete-audio-file")
        utterance_removing.connect(receivers.forget_removed_utterance, dispatch_uid="chunks-forget-utterance")
        voiceprint_ready.connect(receivers.requeue_waiting_chunks, dispatch_uid="chunks-requeue-waiting")
