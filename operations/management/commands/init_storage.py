"""manage.py init_storage: make the file store ready — the S3 bucket (S3_BUCKET) or the local
directory (MEDIA_ROOT) created when missing — and prove this process can write, read and delete
in it. Idempotent: run it on every deploy (deploy/compose.yaml's `init` service, the Procfile's
`release`, the systemd `selective-speaker-init` unit). Exits 1, saying why, when it cannot."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from operations.storage_init import StorageInitError, storage_init


class Command(BaseCommand):
    help = "Create the S3 bucket or the media directory if missing, and check write/read/delete in it."

    def handle(self, *args, **options):
        try:
            result = storage_init()
        except StorageInitError as exc:
            raise CommandError(f"storage not ready: {exc}", returncode=1) from exc
        made = "created" if result.created else "exists"
        self.stdout.write(self.style.SUCCESS(f"{result.backend} {result.location}: {made}; write, read, delete ok"))
