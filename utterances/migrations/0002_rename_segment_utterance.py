"""One name for the kept unit: the Segment model is now Utterance (table renamed; indexes keep
their names)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("chunks", "0003_audio_retention"),
        ("utterances", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RenameModel(old_name="Segment", new_name="Utterance"),
        migrations.AlterField(
            model_name="utterance",
            name="chunk",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="utterances", to="chunks.chunk"
            ),
        ),
        migrations.AlterField(
            model_name="utterance",
            name="user",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="utterances", to=settings.AUTH_USER_MODEL
            ),
        ),
    ]
