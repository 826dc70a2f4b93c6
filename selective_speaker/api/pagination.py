"""Keyset (cursor) pagination for APIViews, HackSoft style.

A cursor is opaque to clients: any cursor this API did not give out — not base64, a negative
offset, a position that is not a value of the ordering field or that no database can hold —
answers 400 naming `cursor`, never a 404 or a 500.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connection
from django.db.models import Model, QuerySet
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer

INVALID_CURSOR = "invalid cursor: use the `next` or `previous` link of a page, or leave the cursor out"
# The errors a value that no field or database takes can raise on its way to a query.
POSITION_ERRORS = (DjangoValidationError, ValueError, TypeError, OverflowError, ArithmeticError)


class CursorPage(CursorPagination):
    """Cursor pagination with the page size from settings; subclasses set `ordering`
    (ending in a unique field, so the order is total)."""

    page_size_query_param = "page_size"

    def get_page_size(self, request: Request) -> int:
        self.page_size = settings.API_PAGE_SIZE
        self.max_page_size = settings.API_MAX_PAGE_SIZE
        return super().get_page_size(request)

    def paginate_queryset(self, queryset: QuerySet, request: Request, view=None):
        self.model = queryset.model
        return super().paginate_queryset(queryset, request, view=view)

    def decode_cursor(self, request: Request) -> Cursor | None:
        try:
            cursor = super().decode_cursor(request)
        except (NotFound, ValueError, TypeError, OverflowError) as exc:
            raise invalid_cursor() from exc
        if cursor is not None and cursor.position is not None:
            # paginate_queryset has set the ordering; the position is a value of its first field
            cursor_position_check(cursor.position, model=self.model, field_name=self.ordering[0].lstrip("-"))
        return cursor


def invalid_cursor() -> ValidationError:
    return ValidationError({"cursor": [INVALID_CURSOR]})


def cursor_position_check(position: str, *, model: type[Model], field_name: str) -> None:
    """Raise a 400 on `cursor` unless `position` is a value of the field that the database
    takes as it is (a cursor's position is the str() of a row's value; for a time, an aware one)."""
    field = model._meta.get_field(field_name)
    try:
        if "\x00" in position:
            raise ValueError("a NUL character")
        value = field.to_python(position)
        field.run_validators(value)
        if isinstance(value, datetime):
            if value.tzinfo is None or value.utcoffset() is None:
                raise ValueError("a time without a time zone")
            value.astimezone(UTC)  # OverflowError at the ends of the calendar
        field.get_db_prep_value(value, connection, prepared=False)
    except POSITION_ERRORS as exc:
        raise invalid_cursor() from exc


def paginated_response(
    *,
    pagination_class: type[CursorPage],
    serializer_class: type[Serializer],
    queryset: QuerySet,
    request: Request,
    view,
    context: dict | None = None,
) -> Response:
    paginator = pagination_class()
    page = paginator.paginate_queryset(queryset, request, view=view)
    data = serializer_class(page, many=True, context=context or {}).data
    return paginator.get_paginated_response(data)
