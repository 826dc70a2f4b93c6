"""Keyset pages of search results, in utterances.search.SEARCH_ORDERING (rank, start_ts, id),
with the number of results.

DRF's CursorPagination keys a page on the first ordering field alone and falls back to an
offset among equal values — capped at 1,000 — but thousands of results can share one rank.
Here a cursor's position is the whole key of the page's edge row, "rank|start_ts|id", and the
next page is every row after it: never an offset, whatever the ties.

A page costs one pass over the matches, not two: the first query orders only the keys of the
matching rows (id, rank, time) and counts them in the same scan (COUNT(*) OVER ()); the second
loads the page's rows, joined to their chunk and place, by id. The count travels on in the
cursors, so later pages show the first page's count.
"""

from __future__ import annotations

import math
from datetime import datetime

from django.db.models import Count, Q, QuerySet, Window
from rest_framework.exceptions import NotFound
from rest_framework.pagination import Cursor, CursorPagination

from utterances.search import SEARCH_ORDERING

ID_MAX = 2**63 - 1


def search_position(utterance, count: int) -> str:
    return f"{utterance.rank!r}|{utterance.start_ts.isoformat()}|{utterance.id}|{count}"


def search_position_parse(position: str) -> tuple[tuple[float, datetime, int], int]:
    """((rank, start_ts, id), count) of a cursor position; ValueError unless search_position made it."""
    rank_text, start_text, id_text, count_text = position.split("|")
    rank, start_ts, utterance_id = float(rank_text), datetime.fromisoformat(start_text), int(id_text)
    count = int(count_text)
    if not math.isfinite(rank) or start_ts.utcoffset() is None or not 0 < utterance_id <= ID_MAX or count < 0:
        raise ValueError(f"not a search position: {position!r}")
    return (rank, start_ts, utterance_id), count


def _after(key: tuple[float, datetime, int]) -> Q:
    """Rows after `key` in SEARCH_ORDERING (descending): a smaller (rank, start_ts, id)."""
    rank, start_ts, utterance_id = key
    return Q(rank__lt=rank) | Q(rank=rank, start_ts__lt=start_ts) | Q(rank=rank, start_ts=start_ts, id__lt=utterance_id)


def _before(key: tuple[float, datetime, int]) -> Q:
    rank, start_ts, utterance_id = key
    return Q(rank__gt=rank) | Q(rank=rank, start_ts__gt=start_ts) | Q(rank=rank, start_ts=start_ts, id__gt=utterance_id)


class SearchCursorPagination(CursorPagination):
    """Cursor pages of a queryset from utterances.search.search_filter; `count` is the number of
    results. Links and cursors look like CursorPagination's (`cursor=`, next/previous); a cursor
    it did not give out raises NotFound, as CursorPagination does."""

    ordering = SEARCH_ORDERING
    count: int | None = None

    def paginate_queryset(self, queryset: QuerySet, request, view=None):
        self.request = request
        self.page_size = self.get_page_size(request)
        self.base_url = request.build_absolute_uri()
        self.cursor = self.search_cursor(request)
        reverse = self.cursor is not None and self.cursor.reverse
        key, count = self.key, self.cursor_count
        if reverse:
            keys = queryset.order_by(*(field.lstrip("-") for field in SEARCH_ORDERING))
            keys = keys.filter(_before(key)) if key else keys
        else:
            keys = queryset.order_by(*SEARCH_ORDERING)
            keys = keys.filter(_after(key)) if key else keys
        keys = list(
            keys.annotate(result_count=Window(Count("pk"))).values_list("pk", "result_count")[: self.page_size + 1]
        )
        self.count = count if count is not None else (keys[0][1] if keys else 0)
        more = len(keys) > self.page_size
        ids = [pk for pk, _ in keys[: self.page_size]]
        rows = {utterance.id: utterance for utterance in self.page_rows(queryset.filter(pk__in=ids))} if ids else {}
        self.page = [rows[pk] for pk in ids if pk in rows]  # one deleted meanwhile is left out
        if reverse:
            self.page.reverse()
            self.has_next, self.has_previous = True, more
        else:
            self.has_next, self.has_previous = more, key is not None
        # an empty page (its rows deleted meanwhile) links on from where it started
        edge = None if self.cursor is None else self.cursor.position
        self.next_position = search_position(self.page[-1], self.count) if self.page else edge
        self.previous_position = search_position(self.page[0], self.count) if self.page else edge
        self.display_page_controls = self.has_next or self.has_previous
        return self.page

    def page_rows(self, queryset: QuerySet) -> QuerySet:
        """What a page's rows are read as (the page's utterances; any object with their `id`,
        `rank` and `start_ts`): the queryset's own by default."""
        return queryset

    def search_cursor(self, request) -> Cursor | None:
        cursor = CursorPagination.decode_cursor(self, request)  # NotFound for anything but a cursor
        self.key, self.cursor_count = None, None
        if cursor is not None and cursor.position is not None:
            try:
                self.key, self.cursor_count = search_position_parse(cursor.position)
            except (ValueError, OverflowError) as exc:
                raise NotFound(self.invalid_cursor_message) from exc
        return cursor

    def get_next_link(self) -> str | None:
        if not self.has_next or self.next_position is None:
            return None
        return self.encode_cursor(Cursor(offset=0, reverse=False, position=self.next_position))

    def get_previous_link(self) -> str | None:
        if not self.has_previous or self.previous_position is None:
            return None
        return self.encode_cursor(Cursor(offset=0, reverse=True, position=self.previous_position))
