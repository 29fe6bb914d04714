"""A round trip with a real third-party client: the PyPI package ``georeport`` reads our
server over loopback in both formats (it only reads; the request is filed with a plain
form POST, as any partner would)."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from georeport import GeoReport

from wennuan.open311.services import issue_key
from wennuan.service.models import ServiceRequest
from wennuan.service.tests.factories import make_area

pytestmark = pytest.mark.django_db(transaction=True)


def items(value: Any) -> list[Any]:
    """georeport hands back XML lists of one item as a bare dict (xmltodict's way)."""
    return value if isinstance(value, list) else [value]


def test_georeport_reads_what_a_partner_filed(live_server):
    area = make_area()
    base = f"{live_server.url}/open311/v2/"
    key = issue_key(name="round trip").key
    filed = requests.post(
        f"{base}requests.json",
        data={
            "api_key": key,
            "service_code": "not_warm",
            "account_id": area.household.account_number,
            "address_id": area.household.building.code,
            "attribute[indoor_temperature]": "14",
            "attribute[rooms_affected]": "whole_home",
            "description": "radiators cold",
        },
        headers={"Accept-Language": "en"},
        timeout=10,
    )
    assert filed.status_code == 201, filed.text
    number = filed.json()[0]["service_request_id"]
    assert ServiceRequest.objects.get(number=number).assignee == area.owner

    for fmt in ("json", "xml"):
        client = GeoReport(base, output_format=fmt)
        services = items(client.get_service_list())
        assert "not_warm" in [s["service_code"] for s in services]
        definition = client.get_service_definition("not_warm")
        attributes = items(
            definition["attributes"] if fmt == "json" else definition["attributes"]["attribute"]
        )
        assert [a["code"] for a in attributes][:2] == ["indoor_temperature", "rooms_affected"]
        listed = items(client.get_service_requests(service_code="not_warm", status="open"))
        assert [r["service_request_id"] for r in listed] == [number]
        one = client.get_service_request(number)
        one = one if fmt == "json" else items(one)[0]
        assert one["service_request_id"] == number
        assert one["status"] == "open"
