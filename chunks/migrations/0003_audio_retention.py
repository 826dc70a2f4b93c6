"""Raw-audio retention: when a chunk's audio was deleted, the spans the owner deleted, and the
hourly sweep that applies CHUNK_AUDIO_RETENTION."""

from django.db import migrations, models

SCHEDULE_NAME = "chunks.sweep_audio_retention"


def create_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.update_or_create(
        name=SCHEDULE_NAME,
        defaults={
            "func": "chunks.tasks.sweep_audio_retention",
            "schedule_type": "H",  # hourly
            "repeats": -1,
        },
    )


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
        migrations.RunPython(create_schedule, delete_schedule),
    ]
