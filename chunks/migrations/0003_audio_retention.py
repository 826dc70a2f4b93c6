"""Raw-audio retention: when a chunk's audio was deleted, the spans the owner deleted, and the
hourly sweep that applies CHUNK_AUDIO_RETENTION."""

from django.db import migrations, models

SCHEDULE_NAME = "chunks.sweep_audio_retention"


def delete_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=SCHEDULE_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("chunks", "0002_schedule_requeue_stale"),
        ("django_q", "0018_task_success_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="chunk",
            name="audio_deleted_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="chunk",
            name="suppressed_spans",
            field=models.JSONField(blank=True, default=list),
        ),
        # The schedule itself is written from settings.JOB_SCHEDULES after every migrate
        # (selective_speaker.jobs.schedules_sync); this step only removes it on the way back.
        migrations.RunPython(migrations.RunPython.noop, delete_schedule),
    ]
