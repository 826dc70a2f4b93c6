from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        from django.db.models.signals import post_delete

        from chunks.signals import chunk_processed
        from utterances.signals import utterances_created, utterances_deleted
        from webhooks import receivers

        chunk_processed.connect(receivers.chunk_processed, dispatch_uid="webhooks-chunk-processed")
        # a lazy sender: the model, not the chunks app's code (its deletes already go row by row: its file)
        post_delete.connect(receivers.chunk_deleted, sender="chunks.Chunk", dispatch_uid="webhooks-chunk-deleted")
        utterances_created.connect(receivers.utterances_created, dispatch_uid="webhooks-utterances-created")
        utterances_deleted.connect(receivers.utterances_deleted, dispatch_uid="webhooks-utterances-deleted")
