"""Full-text search of what the owner said, on PostgreSQL.

`search_vector` holds each utterance's lexemes (the `english` text search configuration, the one
utterances.search.SEARCH_CONFIG queries with). A trigger writes it whenever a row is inserted or
its text changes — bulk loads included — and a GIN index on (user_id, search_vector) finds one
owner's rows of a query without visiting anybody else's (the btree_gin extension lets a GIN
index hold user_id; PostgreSQL 13+ lets the database's owner create it, older servers need a
superuser to run `CREATE EXTENSION btree_gin` once). On other databases the column stays NULL,
no extension, trigger or GIN index is made, and search matches words in `text` instead.

On a database that already holds utterances, this migration fills the column for every row (one
UPDATE: about a minute per million rows) before it builds the index.
"""

import django.contrib.postgres.indexes
import django.contrib.postgres.search
from django.contrib.postgres.operations import BtreeGinExtension
from django.db import migrations

TABLE = "utterances_utterance"
TRIGGER = "utterance_search_vector_update"
CONFIG = "pg_catalog.english"  # = utterances.search.SEARCH_CONFIG


class BtreeGinExtensionKept(BtreeGinExtension):
    """CREATE EXTENSION btree_gin on PostgreSQL; migrating back leaves it (something else may use it)."""

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        pass


class AddIndexOnPostgreSQL(migrations.AddIndex):
    """AddIndex for an index only PostgreSQL has (GIN): the model state has it everywhere, the
    schema only where the database is PostgreSQL."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


def search_vector_trigger_create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE TRIGGER {TRIGGER} BEFORE INSERT OR UPDATE OF text ON {TABLE} FOR EACH ROW "
        f"EXECUTE FUNCTION tsvector_update_trigger(search_vector, '{CONFIG}', text)"
    )
    schema_editor.execute(f"UPDATE {TABLE} SET search_vector = to_tsvector('{CONFIG}', text)")


def search_vector_trigger_drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON {TABLE}")


class Migration(migrations.Migration):
    dependencies = [
        ("utterances", "0002_rename_segment_utterance"),
    ]

    operations = [
        BtreeGinExtensionKept(),  # does nothing on other databases
        migrations.AddField(
            model_name="utterance",
            name="search_vector",
            field=django.contrib.postgres.search.SearchVectorField(editable=False, null=True),
        ),
        migrations.RunPython(search_vector_trigger_create, search_vector_trigger_drop, elidable=False),
        AddIndexOnPostgreSQL(
            model_name="utterance",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["user", "search_vector"], name="utterance_search_idx"
            ),
        ),
    ]
