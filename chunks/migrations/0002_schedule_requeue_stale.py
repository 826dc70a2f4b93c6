"""Schedule the sweep that re-enqueues chunks whose worker died or whose retry was lost."""

from django.db import migrations

SCHEDULE_NAME = "chunks.requeue_stale_chunks"


def create_schedule(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.update_or_create(
        name=SCHEDULE_NAME,
        defaults={
            "func": "chunks.tasks.requeue_stale_chunks",
            "schedule_type": "I",  # every `minutes`
            "minutes": 5,
            "repeats": -1,
        },
    )


def delete_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=SCHEDULE_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("chunks", "0001_initial"),
        ("django_q", "0018_task_success_index"),
    ]

    operations = [migrations.RunPython(create_schedule, delete_schedule)]
