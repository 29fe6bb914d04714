from rest_framework.pagination import PageNumberPagination


class Pages(PageNumberPagination):
    """?page=N&page_size=M (at most 100); the answer says how many there are in all."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 100
