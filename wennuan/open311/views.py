"""Open311 GeoReport v2 endpoints under /open311/v2/: thin views over selectors and services."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from wennuan.core.ratelimit import client_ip, over_limit
from wennuan.open311 import formats, selectors
from wennuan.open311.models import ApiKey
from wennuan.open311.services import Open311Error, authenticate, check_jurisdiction, file_request

View = Callable[..., HttpResponse]


def _too_many(fmt: str, retry_after: int) -> HttpResponse:
    response = formats.errors(
        fmt, 429, [_("Too many calls; try again in %(s)s seconds.") % {"s": retry_after}]
    )
    response["Retry-After"] = str(retry_after)
    return response


def open311_endpoint(*methods: str) -> Callable[[View], View]:
    """Allowed methods, the per-address rate limit, jurisdiction_id, and errors in the
    spec's format (the format comes from the URL's suffix)."""

    def decorate(view: View) -> View:
        @csrf_exempt  # integrations authenticate with api_key, not a session cookie
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, fmt: str, **kwargs: Any) -> HttpResponse:
            if request.method not in methods:
                # The spec answers 400 for everything but 403 and 404.
                response = formats.errors(
                    fmt, 400, [_("Use %(methods)s here.") % {"methods": " or ".join(methods)}]
                )
                response["Allow"] = ", ".join(methods)
                return response
            wait = over_limit(
                "open311-ip", client_ip(request), per_minute=settings.OPEN311_RATE_PER_MINUTE_IP
            )
            if wait:
                return _too_many(fmt, wait)
            try:
                check_jurisdiction(
                    request.POST.get("jurisdiction_id") or request.GET.get("jurisdiction_id", "")
                )
                return view(request, *args, fmt=fmt, **kwargs)
            except Open311Error as refusal:
                return formats.errors(fmt, refusal.status, refusal.descriptions)

        return wrapper

    return decorate


def _viewer(request: HttpRequest) -> ApiKey | None:
    """The key a GET names, if any: it may read the descriptions of what it filed."""
    key = request.GET.get("api_key", "")
    return authenticate(key) if key else None


@open311_endpoint("GET")
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    endpoint = request.build_absolute_uri("/open311/v2/")
    return formats.respond(fmt, "discovery", selectors.discovery(endpoint))


@open311_endpoint("GET")
def services(request: HttpRequest, fmt: str) -> HttpResponse:
    return formats.respond(fmt, "services", selectors.services())


@open311_endpoint("GET")
def service_definition(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    return formats.respond(fmt, "service_definition", selectors.service_definition(code))


@open311_endpoint("GET", "POST")
def requests(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _post_request(request, fmt)
    query = selectors.RequestQuery(
        **{name: request.GET.get(name, "") for name in selectors.RequestQuery.__dataclass_fields__}
    )
    found = selectors.find_requests(query, viewer=_viewer(request))
    return formats.respond(fmt, "service_requests", found)


def _post_request(request: HttpRequest, fmt: str) -> HttpResponse:
    api_key = authenticate(request.POST.get("api_key") or request.GET.get("api_key", ""))
    wait = over_limit(
        "open311-key", str(api_key.pk), per_minute=settings.OPEN311_RATE_PER_MINUTE_KEY
    )
    if wait:
        return _too_many(fmt, wait)
    submitted = file_request(
        api_key=api_key,
        params=request.POST,
        language=request.LANGUAGE_CODE,
        idempotency_key=request.headers.get("Idempotency-Key", ""),
    )
    filed = submitted.request
    answer = {
        "service_request_id": filed.number,
        "service_notice": filed.category.notice or None,
        "account_id": filed.household.account_number if filed.household else None,
    }
    return formats.respond(
        fmt, "service_requests", [answer], status=201 if submitted.created else 200
    )


@open311_endpoint("GET")
def request_detail(request: HttpRequest, number: str, fmt: str) -> HttpResponse:
    found = selectors.one_request(number, viewer=_viewer(request))
    return formats.respond(fmt, "service_requests", [found])


@open311_endpoint("GET")
def token(request: HttpRequest, token: str, fmt: str) -> HttpResponse:
    number = selectors.request_for_token(token)
    return formats.respond(
        fmt, "service_requests", [{"service_request_id": number, "token": token}]
    )


@csrf_exempt
def unknown(request: HttpRequest, path: str) -> HttpResponse:
    """Anything else under /open311/v2/: the spec's 404, in XML unless .json was asked."""
    fmt = formats.JSON if path.endswith(".json") else formats.XML
    return formats.errors(
        fmt,
        404,
        [_("No such Open311 resource: %(path)s (formats are .xml and .json).") % {"path": path}],
    )
