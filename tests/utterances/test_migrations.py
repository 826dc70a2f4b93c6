"""Migration 0003: the search vector, its trigger and its GIN index (PostgreSQL), a NULL column elsewhere;
migration 0004: the link between takes of the same words (utterances.merge)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.factories import ChunkFactory, UserFactory, UtteranceFactory
from utterances.models import Utterance

BEFORE = ("utterances", "0002_rename_segment_utterance")


def search_vector(utterance_id: int):
    return Utterance.objects.filter(id=utterance_id).values_list("search_vector", flat=True).get()


def index_names() -> set[str]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, Utterance._meta.db_table)
    return {name for name, about in constraints.items() if about["index"]}


@pytest.mark.django_db(transaction=True)
def test_it_fills_the_vector_of_rows_written_before_it_and_migrates_back():
    chunk = ChunkFactory(user=UserFactory())
    call_command("migrate", *BEFORE, verbosity=0)
    try:
        old_utterance = MigrationExecutor(connection).loader.project_state(BEFORE).apps.get_model(
            "utterances", "Utterance"
        )
        assert "search_vector" not in {field.name for field in old_utterance._meta.fields}
        earlier = old_utterance.objects.create(
            chunk_id=chunk.id,
            user_id=chunk.user_id,
            device_id=chunk.device_id,
            start_ts=chunk.start_ts,
            end_ts=chunk.end_ts,
            start_ms=0,
            end_ms=1000,
            text="Lips and mouth",
            confidence=0.9,
        )
    finally:
        call_command("migrate", "utterances", verbosity=0)
    if connection.vendor == "postgresql":
        assert search_vector(earlier.id) == "'lip':1 'mouth':3"
        assert "utterance_search_idx" in index_names()
    else:
        assert search_vector(earlier.id) is None
        assert "utterance_search_idx" not in index_names()


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the trigger is PostgreSQL's (elsewhere the column stays NULL)"
)
def test_it_keeps_the_vector_in_step_with_the_text(user):
    utterance = UtteranceFactory(chunk=ChunkFactory(user=user), text="Running late")
    assert search_vector(utterance.id) == "'late':2 'run':1"
    Utterance.objects.filter(id=utterance.id).update(text="coffee first")
    assert search_vector(utterance.id) == "'coffe':1 'first':2"
    Utterance.objects.filter(id=utterance.id).update(uncertain=True)  # not the text: the vector stays
    assert search_vector(utterance.id) == "'coffe':1 'first':2"
    copy = Utterance.objects.get(id=utterance.id)
    copy.id, copy.text = None, "bulk words"
    Utterance.objects.bulk_create([copy])
    assert search_vector(copy.id) == "'bulk':1 'word':2"


@pytest.mark.django_db(transaction=True)
def test_it_adds_the_duplicate_link_with_a_partial_index_and_its_statistics():
    UtteranceFactory.create_batch(3, chunk=ChunkFactory(user=UserFactory()))
    call_command("migrate", "utterances", "0003_utterance_search_vector", verbosity=0)
    try:
        assert "utterance_duplicates_idx" not in index_names()
    finally:
        call_command("migrate", "utterances", verbosity=0)
    assert "utterance_duplicates_idx" in index_names()
    assert set(Utterance.objects.values_list("duplicate_of", flat=True)) == {None}  # every earlier one is kept
    if connection.vendor == "postgresql":  # analysed at once: the planner knows the column is all NULL
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT null_frac FROM pg_stats WHERE tablename = %s AND attname = 'duplicate_of_id'",
                [Utterance._meta.db_table],
            )
            assert cursor.fetchone() == (1.0,)
