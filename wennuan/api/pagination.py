from typing import Any

from rest_framework.pagination import CursorPagination, PageNumberPagination
from rest_framework.response import Response

from wennuan.core.paging import COUNT_CAP, CappedPaginator


class Pages(PageNumberPagination):
    """?page=N&page_size=M (at most 100); the answer says how many there are in all, up to
    10,000: beyond that ``count`` is 10,000 and ``count_capped`` true ("more than 10,000"),
    since counting a million households took longer than the page itself. ``next`` links
    every following page all the same."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 100
    django_paginator_class = CappedPaginator

    def get_paginated_response(self, data: Any) -> Response:
        paginator: Any = self.page.paginator  # type: ignore[union-attr]
        return Response(
            {
                "count": min(paginator.count, COUNT_CAP),
                "count_capped": paginator.count_capped,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        answer = super().get_paginated_response_schema(schema)
        answer["properties"]["count"]["description"] = "How many in all, at most 10,000."
        answer["properties"]["count_capped"] = {
            "type": "boolean",
            "description": "True when there are more than 10,000 (count is then 10,000).",
        }
        answer["required"] = [*answer.get("required", []), "count_capped"]
        return answer


class ReadingCursor(CursorPagination):
    """A station's readings oldest first, ?page_size=N (at most 5,000) a page; the answer
    links the next page by an opaque cursor, which stays right while new readings arrive."""

    ordering = "time"
    page_size = 1_000
    page_size_query_param = "page_size"
    max_page_size = 5_000


class HourCursor(ReadingCursor):
    """A station's hourly roll-ups, oldest first."""

    ordering = "hour"
