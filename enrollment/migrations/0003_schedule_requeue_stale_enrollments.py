"""Schedule the sweep that re-enqueues enrollments whose worker died or whose retry was lost."""

from django.db import migrations

SCHEDULE_NAME = "enrollment.requeue_stale_enrollments"


def delete_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=SCHEDULE_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("enrollment", "0002_decision_reviews"),
        ("django_q", "0018_task_success_index"),
    ]

    operations = [
        # The schedule itself is written from settings.JOB_SCHEDULES after every migrate
        # (selective_speaker.jobs.schedules_sync); this step only removes it on the way back.
        migrations.RunPython(migrations.RunPython.noop, delete_schedule),
    ]
