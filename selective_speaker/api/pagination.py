"""Keyset (cursor) pagination for APIViews, HackSoft style."""

from __future__ import annotations

from django.conf import settings
from django.db.models import QuerySet
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer


class CursorPage(CursorPagination):
    """Cursor pagination with the page size from settings; subclasses set `ordering`
    (ending in a unique field, so the order is total)."""

    page_size_query_param = "page_size"

    def get_page_size(self, request: Request) -> int:
        self.page_size = settings.API_PAGE_SIZE
        self.max_page_size = settings.API_MAX_PAGE_SIZE
        return super().get_page_size(request)


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
