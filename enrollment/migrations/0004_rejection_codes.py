"""Rejected enrollments carry a machine code beside the engine's English reason; rows rejected
before codes existed get theirs from the reason's words (the last time anything reads them)."""

import re

from django.db import migrations, models

# (pattern of the stored reason, code): the rules the pages used before codes existed.
LEGACY_REASONS = (
    (r"too little speech|audio is too short", "too_short"),
    (r"too quiet|silent", "too_quiet"),
    (r"more than one voice", "several_voices"),
    (r"not consistent", "inconsistent_voice"),
    (r"too long|longer than the limit", "too_long"),
    (r"not audio|could not be decoded|no audio stream|no audio samples|file is empty|truncated|invalid", "unreadable_audio"),
    (r"missing from storage", "audio_missing"),
    (r"gave up after|did not finish", "gave_up"),
)


def backfill_codes(apps, schema_editor):
    Enrollment = apps.get_model("enrollment", "Enrollment")
    for enrollment in Enrollment.objects.filter(status="rejected", error_code="").only("id", "error"):
        code = next((code for pattern, code in LEGACY_REASONS if re.search(pattern, enrollment.error, re.I)), "")
        if code:
            Enrollment.objects.filter(id=enrollment.id).update(error_code=code)


class Migration(migrations.Migration):
    dependencies = [
        ("enrollment", "0003_schedule_requeue_stale_enrollments"),
    ]

    operations = [
        migrations.AddField(
            model_name="enrollment",
            name="error_code",
            field=models.CharField(blank=True, max_length=32),
        ),
        migrations.RunPython(backfill_codes, migrations.RunPython.noop),
    ]
