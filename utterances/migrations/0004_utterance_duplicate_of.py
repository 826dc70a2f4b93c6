"""One voice across devices (utterances.merge): `duplicate_of` links another device's take of the
same words to the kept one, which the timeline shows alone. Nullable, so adding it rewrites
nothing (existing utterances are all kept); a partial index on the linked rows finds a kept
utterance's duplicates without holding an entry for every kept one.

On PostgreSQL the new column gets its planner statistics at once (ANALYZE of that column, a sample:
about a second at a million rows): without them the planner guesses that a page's "duplicates of
these 200" matches a large share of the table and scans it (measured: 330 ms instead of 0.25 ms at
263,000 utterances) until autovacuum happens to analyze the table.
"""

import django.db.models
from django.db import migrations

import utterances.models

TABLE = "utterances_utterance"


def search_index_stray_drop(apps, schema_editor):
    """Backwards, last: 0003's GIN index is in the model state everywhere but in the schema only
    on PostgreSQL. Elsewhere (SQLite) removing this foreign key rebuilds the table with every index
    of the state, that one included as a plain index; 0003's own backward step would then fail on it."""
    if schema_editor.connection.vendor != "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS utterance_search_idx")


def duplicate_of_analyze(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ANALYZE {TABLE} (duplicate_of_id)")


class Migration(migrations.Migration):
    dependencies = [
        ("utterances", "0003_utterance_search_vector"),
    ]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, search_index_stray_drop, elidable=True),
        migrations.AddField(
            model_name="utterance",
            name="duplicate_of",
            field=django.db.models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=utterances.models.promote_a_duplicate,
                related_name="duplicates",
                to="utterances.utterance",
            ),
        ),
        migrations.AddIndex(
            model_name="utterance",
            index=django.db.models.Index(
                condition=django.db.models.Q(duplicate_of__isnull=False),
                fields=["duplicate_of"],
                name="utterance_duplicates_idx",
            ),
        ),
        migrations.RunPython(duplicate_of_analyze, migrations.RunPython.noop, elidable=True),
    ]
