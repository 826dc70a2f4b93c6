"""manage.py check_services: is every service this process needs there? One line per service.

    python manage.py check_services                  # database, queue, storage, models, model checksums
    python manage.py check_services --no-checksums   # skip hashing the model files (seconds)

The checks are the readiness probe's (GET /health) plus the bundled models' checksums. Exits 1
when any fails (a deploy step or a worker host's start can stop on it), 0 when all pass.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from operations.service_checks import service_checks


class Command(BaseCommand):
    help = "Check the database, the job broker, the file store (write/read/delete) and the models; exit 1 on a failure."

    def add_arguments(self, parser):
        parser.add_argument("--no-checksums", action="store_true", help="do not hash the model files")

    def handle(self, *args, **options):
        results = service_checks(checksums=not options["no_checksums"])
        for result in results:
            line = f"{result.name}: {'ok' if result.ok else 'FAILED'} — {result.detail}"
            self.stdout.write(self.style.SUCCESS(line) if result.ok else self.style.ERROR(line))
        failed = [result.name for result in results if not result.ok]
        if failed:
            raise CommandError(f"not ready: {', '.join(failed)}", returncode=1)
