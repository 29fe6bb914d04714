"""GeoReport v2 documents as XML or JSON (the spec's Spark convention), chosen by suffix.

XML: a root element, lists as a container of repeated item elements, empty elements for
missing values, booleans as true/false, and the UTF-8 declaration. JSON: the same data,
lists as arrays (the spec's top-level arrays), missing values as null. Ids are strings
in both (the spec's own JSON examples with leading zeros are not valid JSON).
"""

from __future__ import annotations

import json
from typing import Any
from xml.etree import ElementTree  # nosec B405  # only writes XML, never parses it

from django.http import HttpResponse

XML = "xml"
JSON = "json"
CONTENT_TYPES = {XML: "text/xml; charset=utf-8", JSON: "application/json; charset=utf-8"}
# Container element → the element of each item in it.
ITEM_TAGS = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _element(tag: str, value: Any) -> ElementTree.Element:
    element = ElementTree.Element(tag)
    if isinstance(value, dict):
        for key, child in value.items():
            element.append(_element(key, child))
    elif isinstance(value, list):
        item_tag = ITEM_TAGS[tag]
        for child in value:
            element.append(_element(item_tag, child))
    else:
        element.text = _text(value)
    return element


def to_xml(root: str, data: Any) -> bytes:
    """``data`` under ``root`` (a list becomes repeated items of ITEM_TAGS[root])."""
    body = ElementTree.tostring(_element(root, data), encoding="unicode")
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + body).encode()


def respond(fmt: str, root: str, data: Any, *, status: int = 200) -> HttpResponse:
    """The document in the requested format, with the spec's content type."""
    content = to_xml(root, data) if fmt == XML else json.dumps(data, ensure_ascii=False).encode()
    return HttpResponse(content, content_type=CONTENT_TYPES[fmt], status=status)


def errors(
    fmt: str, status: int, descriptions: list[str], *, code: int | None = None
) -> HttpResponse:
    """The spec's error list: one {code, description} per problem, with the HTTP status."""
    data = [{"code": code or status, "description": text} for text in descriptions]
    return respond(fmt, "errors", data, status=status)
