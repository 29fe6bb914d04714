"""Open311 GeoReport v2 conformance, written from the specification in shared/data/open311.

Every endpoint in both formats, every error case the issue lists; on each refusal,
nothing is stored.
"""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from typing import Any
from xml.etree import ElementTree

import pytest
from django.test import Client
from django.utils import timezone

from wennuan.grid.tests.factories import make_building, make_zone
from wennuan.open311.services import issue_key, revoke_key
from wennuan.service.choices import Channel, Status
from wennuan.service.models import CategoryAttribute, ServiceRequest
from wennuan.service.services import accept_request, give_guidance, resolve_request
from wennuan.service.tests.factories import category, file_not_warm, make_area

pytestmark = pytest.mark.django_db
BASE = "/open311/v2"
FORMATS = ["xml", "json"]


def get(client: Client, path: str, **params: Any) -> Any:
    return client.get(f"{BASE}/{path}", params, HTTP_ACCEPT_LANGUAGE="en")


def post(client: Client, fmt: str, data: dict[str, Any], **headers: str) -> Any:
    return client.post(f"{BASE}/requests.{fmt}", data, HTTP_ACCEPT_LANGUAGE="en", headers=headers)


def parse(response: Any, fmt: str) -> Any:
    """The body as data: JSON as is; XML as an Element, after checking the declaration."""
    body = response.content.decode("utf-8")
    if fmt == "json":
        assert response["Content-Type"] == "application/json; charset=utf-8"
        return json.loads(body)
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert body.startswith('<?xml version="1.0" encoding="utf-8"?>')
    return ElementTree.fromstring(body.split("\n", 1)[1])


def error_descriptions(response: Any, fmt: str) -> list[str]:
    data = parse(response, fmt)
    if fmt == "json":
        assert all(set(e) == {"code", "description"} for e in data)
        assert all(e["code"] == response.status_code for e in data)
        return [e["description"] for e in data]
    assert data.tag == "errors"
    assert [e.findtext("code") for e in data] == [str(response.status_code)] * len(data)
    return [e.findtext("description") or "" for e in data]


@pytest.fixture
def area() -> Any:
    return make_area()


@pytest.fixture
def key() -> str:
    return issue_key(name="Yantai 12345 hotline").key


def not_warm(area: Any, key: str, **extra: Any) -> dict[str, Any]:
    data = {
        "api_key": key,
        "service_code": "not_warm",
        "account_id": area.household.account_number,
        "address_id": area.household.building.code,
        "attribute[indoor_temperature]": "14",
        "attribute[rooms_affected]": "whole_home",
        "description": "暖气不热 radiators cold",
        "first_name": "Mei",
        "last_name": "Wang",
        "phone": "13812345678",
        "email": "mei@example.com",
        "device_id": "hotline-7",
        "media_url": "https://example.com/photo.jpg",
    }
    data.update(extra)
    return {k: v for k, v in data.items() if v is not None}


# --- discovery and services -------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_discovery_names_our_endpoint_and_both_formats(client, fmt):
    response = get(client, f"discovery.{fmt}")
    assert response.status_code == 200
    data = parse(response, fmt)
    if fmt == "json":
        assert set(data) == {"changeset", "contact", "key_service", "endpoints"}
        (endpoint,) = data["endpoints"]
        assert endpoint["url"] == "http://testserver/open311/v2/"
        assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
        assert endpoint["formats"] == ["text/xml", "application/json"]
        assert endpoint["type"] == "production"
        assert data["changeset"]
    else:
        assert data.tag == "discovery"
        assert data.findtext("endpoints/endpoint/url") == "http://testserver/open311/v2/"
        assert [f.text for f in data.findall("endpoints/endpoint/formats/format")] == [
            "text/xml",
            "application/json",
        ]


@pytest.mark.parametrize("fmt", FORMATS)
def test_services_list_every_category_with_string_codes(client, fmt):
    response = get(client, f"services.{fmt}")
    assert response.status_code == 200
    data = parse(response, fmt)
    if fmt == "xml":
        assert data.tag == "services"
        data = [{child.tag: child.text for child in service} for service in data]
        assert all(s["metadata"] in {"true", "false"} for s in data)
    codes = [s["service_code"] for s in data]
    assert "not_warm" in codes and "outdoor_hazard" in codes
    not_warm_service = next(s for s in data if s["service_code"] == "not_warm")
    assert not_warm_service["service_name"] == "Home not warm"
    assert not_warm_service["type"] == "realtime"
    assert not_warm_service["metadata"] in {True, "true"}
    assert set(not_warm_service) == {
        "service_code", "service_name", "description", "metadata", "type", "keywords", "group",
    }  # fmt: skip
    gas = next(s for s in data if s["service_code"] == "gas_smell")
    assert "call" in gas["description"].lower()  # disabled: the description says what to do


def test_service_names_follow_the_callers_language(client):
    english = json.loads(get(client, "services.json").content)
    chinese = json.loads(client.get(f"{BASE}/services.json", HTTP_ACCEPT_LANGUAGE="zh-CN").content)
    assert (
        next(s for s in chinese if s["service_code"] == "not_warm")["service_name"] == "室温不达标"
    )
    assert english != chinese


@pytest.mark.parametrize("fmt", FORMATS)
def test_service_definition_lists_attributes_in_order_with_values(client, fmt):
    response = get(client, f"services/not_warm.{fmt}")
    assert response.status_code == 200
    data = parse(response, fmt)
    if fmt == "xml":
        assert data.tag == "service_definition"
        assert data.findtext("service_code") == "not_warm"
        attributes = data.findall("attributes/attribute")
        assert [a.findtext("code") for a in attributes] == [
            "indoor_temperature",
            "rooms_affected",
            "since",
        ]
        rooms = attributes[1]
        assert rooms.findtext("datatype") == "singlevaluelist"
        assert rooms.findtext("required") == "true"
        assert rooms.findtext("variable") == "true"
        assert "whole_home" in [v.findtext("key") for v in rooms.findall("values/value")]
        return
    assert data["service_code"] == "not_warm"
    temperature, rooms, since = data["attributes"]
    assert temperature["datatype"] == "number" and temperature["required"] is True
    assert temperature["datatype_description"] == "A number from -10 to 40."
    assert temperature["order"] < rooms["order"] < since["order"]
    assert {"key": "whole_home", "name": "The whole home"} in rooms["values"]
    assert since["datatype"] == "datetime" and since["required"] is False


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_service_code_is_404(client, fmt):
    response = get(client, f"services/no_such.{fmt}")
    assert response.status_code == 404
    assert error_descriptions(response, fmt) == ["service_code “no_such” is not a service."]


# --- POST requests ----------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_post_files_a_request_routed_to_the_named_owner(client, area, key, fmt):
    response = post(client, fmt, not_warm(area, key))
    assert response.status_code == 201
    data = parse(response, fmt)
    if fmt == "xml":
        assert data.tag == "service_requests"
        data = [{child.tag: child.text for child in request} for request in data]
    (answer,) = data
    filed = ServiceRequest.objects.get()
    assert answer["service_request_id"] == filed.number
    assert isinstance(answer["service_request_id"], str)
    assert answer["account_id"] == area.household.account_number
    assert filed.channel == Channel.OPEN311
    assert filed.api_key.name == "Yantai 12345 hotline"
    assert filed.household == area.household
    assert filed.assignee == area.owner
    assert filed.status == Status.ASSIGNED
    assert filed.measured_temperature == 14
    assert filed.reporter_name == "Wang Mei"
    assert (filed.reporter_email, filed.device_id, filed.media_url) == (
        "mei@example.com",
        "hotline-7",
        "https://example.com/photo.jpg",
    )
    assert filed.api_key.last_used_at is not None


def test_post_with_lat_long_is_placed_at_the_nearest_building_within_150_m(client, key):
    zone = make_zone()
    building = make_building(zone=zone)
    hazard_kind = category("outdoor_hazard").attributes.get(code="hazard_kind")
    response = post(
        client,
        "json",
        {
            "api_key": key,
            "service_code": "outdoor_hazard",
            "lat": str(building.latitude + 0.0009),  # about 100 m north
            "long": str(building.longitude),
            f"attribute[{hazard_kind.code}]": hazard_kind.values[0]["key"],
            "description": "井盖冒汽 steam from a manhole",
        },
    )
    assert response.status_code == 201, response.content
    filed = ServiceRequest.objects.get()
    assert filed.building == building and filed.zone == zone
    assert filed.household is None


def test_post_with_address_string_matching_a_building(client, area, key):
    building = area.household.building
    data = not_warm(area, key, address_id=None, address_string=building.address)
    assert post(client, "json", data).status_code == 201
    assert ServiceRequest.objects.get().building == building


def test_retry_with_the_same_idempotency_key_files_once_and_answers_the_same(client, area, key):
    first = post(client, "json", not_warm(area, key), **{"Idempotency-Key": "k-1"})
    again = post(client, "json", not_warm(area, key), **{"Idempotency-Key": "k-1"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert json.loads(first.content) == json.loads(again.content)
    assert ServiceRequest.objects.count() == 1


def test_multi_value_list_takes_repeated_values(client, area, key):
    noise = category("noise")
    CategoryAttribute.objects.create(
        category=noise,
        code="when",
        label_zh="何时",
        label_en="When",
        datatype="multivaluelist",
        order=9,
        values=[
            {"key": "day", "zh": "白天", "en": "Day"},
            {"key": "night", "zh": "夜间", "en": "Night"},
        ],
    )
    data = {
        "api_key": key,
        "service_code": "noise",
        "account_id": area.household.account_number,
        "address_id": area.household.building.code,
        "attribute[when][]": ["day", "night"],
    }
    response = post(client, "json", data)
    assert response.status_code == 201, response.content
    assert ServiceRequest.objects.get().attributes["when"] == ["day", "night"]


BAD_POSTS = [
    # (what, changes to a good request, HTTP status, words in the description)
    ("missing api_key", {"api_key": None}, 403, "api_key is missing"),
    ("invalid api_key", {"api_key": "wn311_nope"}, 403, "api_key is not valid"),
    ("missing service_code", {"service_code": None}, 400, "service_code is required"),
    ("unknown service_code", {"service_code": "nope"}, 404, "is not a service"),
    ("no location", {"address_id": None}, 400, "A location is required"),
    ("lat without long", {"address_id": None, "lat": "37.5"}, 400, "lat and long"),
    ("lat not a number", {"address_id": None, "lat": "north", "long": "121.4"}, 400, "lat must be"),
    (
        "far from every building",
        {"address_id": None, "lat": "37.6", "long": "121.4"},
        400,
        "within 150 m",
    ),
    ("unknown address_id", {"address_id": "NOPE"}, 400, "is not a building code"),
    (
        "unknown address_string",
        {"address_id": None, "address_string": "火星路1号"},
        400,
        "matches no building",
    ),
    ("unknown account", {"account_id": "X000"}, 400, "is not a household account"),
    (
        "missing required attribute",
        {"attribute[rooms_affected]": None},
        400,
        "attribute[rooms_affected]",
    ),
    (
        "value not in the list",
        {"attribute[rooms_affected]": "garage"},
        400,
        "Choose one of the options",
    ),
    (
        "temperature out of range",
        {"attribute[indoor_temperature]": "55"},
        400,
        "Enter a number from -10 to 40",
    ),
    ("unknown attribute", {"attribute[colour]": "red"}, 400, "attribute[colour]"),
    ("description too long", {"description": "冷" * 4001}, 400, "At most 4000 characters"),
    ("bad email", {"email": "not-an-email"}, 400, "email: Enter a valid e-mail address"),
    ("bad phone", {"phone": "12"}, 400, "phone:"),
    ("bad media_url", {"media_url": "ftp://x"}, 400, "media_url:"),
    ("disabled category", {"service_code": "gas_smell"}, 400, "service_code:"),
]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("what", "changes", "status", "words"), BAD_POSTS, ids=[b[0] for b in BAD_POSTS]
)
def test_bad_post_is_refused_with_the_specs_error_and_stores_nothing(
    client, area, key, fmt, what, changes, status, words
):
    response = post(client, fmt, not_warm(area, key, **changes))
    assert response.status_code == status, response.content
    assert any(words in d for d in error_descriptions(response, fmt)), error_descriptions(
        response, fmt
    )
    assert not ServiceRequest.objects.exists()


def test_revoked_key_is_refused(client, area):
    issued = issue_key(name="old partner")
    revoke_key(api_key=issued.api_key)
    response = post(client, "json", not_warm(area, issued.key))
    assert response.status_code == 403
    assert error_descriptions(response, "json") == ["api_key was revoked."]
    assert not ServiceRequest.objects.exists()


def test_every_problem_is_listed_at_once(client, area, key):
    data = not_warm(area, key, **{"attribute[rooms_affected]": None, "email": "bad"})
    descriptions = error_descriptions(post(client, "json", data), "json")
    assert len(descriptions) == 2


# --- GET requests -----------------------------------------------------------------------


def _as_dicts(response: Any, fmt: str) -> list[dict[str, Any]]:
    data = parse(response, fmt)
    if fmt == "json":
        return list(data)
    assert data.tag == "service_requests"
    return [{child.tag: child.text for child in request} for request in data]


@pytest.mark.parametrize("fmt", FORMATS)
def test_get_one_request_in_both_formats(client, area, key, fmt):
    number = json.loads(post(client, "json", not_warm(area, key)).content)[0]["service_request_id"]
    response = get(client, f"requests/{number}.{fmt}")
    assert response.status_code == 200
    (found,) = _as_dicts(response, fmt)
    assert found["service_request_id"] == number
    assert found["status"] == "open"
    assert found["service_code"] == "not_warm"
    assert found["address_id"] == area.household.building.code
    assert found["address"] == area.household.building.address  # the building, not the flat
    assert area.zone.name in found["agency_responsible"]
    assert area.owner.full_name not in found["agency_responsible"]
    for stamp in ("requested_datetime", "updated_datetime", "expected_datetime"):
        moment = timezone.datetime.fromisoformat(found[stamp])
        assert moment.utcoffset() == timedelta(hours=8)


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_request_id_is_404(client, fmt):
    response = get(client, f"requests/999.{fmt}")
    assert response.status_code == 404
    assert error_descriptions(response, fmt) == ["service_request_id “999” is not a request."]


def test_a_households_description_is_shown_only_to_the_key_that_filed_it(client, area, key):
    number = json.loads(post(client, "json", not_warm(area, key)).content)[0]["service_request_id"]
    other = issue_key(name="community app").key
    public = json.loads(get(client, f"requests/{number}.json").content)[0]
    theirs = json.loads(get(client, f"requests/{number}.json", api_key=other).content)[0]
    ours = json.loads(get(client, f"requests/{number}.json", api_key=key).content)[0]
    assert public["description"] is None and theirs["description"] is None
    assert ours["description"] == "暖气不热 radiators cold"
    # Nothing that identifies the household reaches a public read, in either format.
    for fmt in FORMATS:
        body = get(client, f"requests.{fmt}").content.decode()
        for private in (
            area.household.account_number,
            area.household.phone,
            area.household.address,
            "Wang Mei",
            "mei@example.com",
            "13812345678",
        ):
            assert private not in body


def test_get_with_an_invalid_key_is_403(client, area, key):
    assert get(client, "requests.json", api_key="wn311_bad").status_code == 403


def test_status_is_open_or_closed_with_notes_from_the_public_history(client, area):
    open_one = file_not_warm(area.household).request
    closed_one = file_not_warm(area.household).request
    ServiceRequest.objects.filter(pk=closed_one.pk).update(status=Status.CLOSED)
    found = {r["service_request_id"]: r for r in json.loads(get(client, "requests.json").content)}
    assert found[open_one.number]["status"] == "open"
    assert found[closed_one.number]["status"] == "closed"
    only_closed = json.loads(get(client, "requests.json", status="closed").content)
    assert [r["service_request_id"] for r in only_closed] == [closed_one.number]
    both = json.loads(get(client, "requests.json", status="open,closed").content)
    assert len(both) == 2
    assert found[open_one.number]["status_notes"] == "Assigned"


def test_status_notes_carry_the_note_of_the_change_the_resident_saw(client, area):
    filed = file_not_warm(area.household).request
    accept_request(request=filed, actor=area.owner)
    give_guidance(request=filed, actor=area.owner, note="请给暖气片放气")
    resolve_request(
        request=filed, actor=area.owner, note="放气后恢复", measured_temperature=Decimal("19")
    )
    (found,) = json.loads(get(client, f"requests/{filed.number}.json").content)
    assert found["status"] == "closed"
    assert found["status_notes"].startswith("Resolved: 放气后恢复")


def test_service_request_ids_override_the_other_filters(client, area):
    first = file_not_warm(area.household).request
    second = file_not_warm(area.household).request
    file_not_warm(area.household)
    response = get(
        client,
        "requests.json",
        service_request_id=f"{first.number},{second.number}",
        service_code="billing",
        status="closed",
    )
    assert sorted(r["service_request_id"] for r in json.loads(response.content)) == sorted(
        [first.number, second.number]
    )


def test_dates_default_to_the_last_90_days_and_filter_by_service_code(client, area):
    recent = file_not_warm(area.household).request
    old = file_not_warm(area.household).request
    ServiceRequest.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=91))
    numbers = [r["service_request_id"] for r in json.loads(get(client, "requests.json").content)]
    assert numbers == [recent.number]
    window = get(
        client,
        "requests.json",
        start_date=(timezone.now() - timedelta(days=95)).isoformat(),
        end_date=(timezone.now() - timedelta(days=85)).isoformat(),
    )
    assert [r["service_request_id"] for r in json.loads(window.content)] == [old.number]
    assert json.loads(get(client, "requests.json", service_code="billing").content) == []
    by_code = json.loads(get(client, "requests.json", service_code="billing,not_warm").content)
    assert [r["service_request_id"] for r in by_code] == [recent.number]


def test_page_and_page_size_extension(client, area):
    numbers = [file_not_warm(area.household).request.number for _ in range(3)]
    page1 = json.loads(get(client, "requests.json", page_size="2").content)
    page2 = json.loads(get(client, "requests.json", page_size="2", page="2").content)
    assert [r["service_request_id"] for r in page1 + page2] == numbers[::-1]


BAD_QUERIES = [
    ({"start_date": "yesterday"}, "start_date must be a date-time with a time zone"),
    ({"end_date": "2026-01-01T00:00:00"}, "end_date must be a date-time with a time zone"),
    (
        {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"},
        "may span at most 90 days",
    ),
    ({"start_date": "2026-02-01T00:00:00Z", "end_date": "2026-01-01T00:00:00Z"}, "before"),
    ({"status": "pending"}, "status must be open, closed"),
    ({"page": "0"}, "page must be a whole number"),
    ({"page_size": "1001"}, "page_size must be a whole number from 1 to 1000"),
]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(("params", "words"), BAD_QUERIES)
def test_bad_query_is_400(client, fmt, params, words):
    response = get(client, f"requests.{fmt}", **params)
    assert response.status_code == 400
    assert any(words in d for d in error_descriptions(response, fmt))


# --- tokens, jurisdiction, limits, unknown paths ----------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_token_is_the_idempotency_key_of_a_post(client, area, key, fmt):
    post(client, "json", not_warm(area, key), **{"Idempotency-Key": "tok-42"})
    response = get(client, f"tokens/tok-42.{fmt}")
    assert response.status_code == 200
    (found,) = _as_dicts(response, fmt)
    assert found == {"service_request_id": ServiceRequest.objects.get().number, "token": "tok-42"}
    missing = get(client, f"tokens/nope.{fmt}")
    assert missing.status_code == 404
    assert error_descriptions(missing, fmt) == ["token “nope” is not known."]


def test_jurisdiction_id_is_checked_when_configured(client, settings, area, key):
    settings.OPEN311_JURISDICTION_ID = "yantai.example"
    assert get(client, "services.json").status_code == 200
    assert get(client, "services.json", jurisdiction_id="yantai.example").status_code == 200
    wrong = get(client, "services.json", jurisdiction_id="beijing.example")
    assert wrong.status_code == 404
    assert error_descriptions(wrong, "json") == [
        "jurisdiction_id “beijing.example” is not served here."
    ]
    refused = post(client, "json", not_warm(area, key, jurisdiction_id="beijing.example"))
    assert refused.status_code == 404
    assert not ServiceRequest.objects.exists()


def test_too_many_calls_get_429_with_retry_after(client, settings):
    settings.OPEN311_RATE_PER_MINUTE_IP = 3
    statuses = [get(client, "services.json").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = get(client, "services.xml")
    assert 1 <= int(limited["Retry-After"]) <= 60
    assert "Too many calls" in error_descriptions(limited, "xml")[0]


def test_posts_are_limited_per_key(client, settings, area, key):
    settings.OPEN311_RATE_PER_MINUTE_KEY = 1
    assert post(client, "json", not_warm(area, key)).status_code == 201
    refused = post(client, "json", not_warm(area, key))
    assert refused.status_code == 429
    assert ServiceRequest.objects.count() == 1


def test_unknown_paths_and_methods_answer_in_the_specs_error_format(client):
    missing = client.get(f"{BASE}/nothing.json", HTTP_ACCEPT_LANGUAGE="en")
    assert missing.status_code == 404
    assert "No such Open311 resource" in error_descriptions(missing, "json")[0]
    assert client.get(f"{BASE}/services.csv").status_code == 404
    chinese = client.get(f"{BASE}/nothing.xml")  # no Accept-Language: the company's language
    assert "没有这个 Open311 资源" in error_descriptions(chinese, "xml")[0]
    wrong_method = client.post(f"{BASE}/services.xml")
    assert wrong_method.status_code == 400
    assert wrong_method["Allow"] == "GET"
