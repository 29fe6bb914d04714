from rest_framework.pagination import CursorPagination, PageNumberPagination


class Pages(PageNumberPagination):
    """?page=N&page_size=M (at most 100); the answer says how many there are in all."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 100


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
