"""The briefing page, regeneration, and the Excel and PDF exports: who may see what, what
they show, and that refusals change nothing."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from wennuan.grid.tests.factories import make_user
from wennuan.people.choices import Role
from wennuan.reports.models import Briefing
from wennuan.reports.services import generate_morning_briefing
from wennuan.reports.tests.factories import AFTER, BEFORE, DAY, plant_day

pytestmark = pytest.mark.django_db
PAGE = reverse("reports:briefing")
XLSX = reverse("reports:briefing_xlsx")
PDF = reverse("reports:briefing_pdf")
REGENERATE = reverse("reports:regenerate")


@pytest.fixture
def client() -> Client:
    """Pages in English here (the suite checks messages in English); some read Chinese."""
    return Client(headers={"Accept-Language": "en"})


@pytest.fixture
def planted(time_machine):
    day = plant_day(time_machine)
    generate_morning_briefing()
    return day


def test_whole_city_staff_see_the_briefing_and_no_one_else(client, planted):
    assert client.get(PAGE).status_code == 302  # to the login page
    for role in (Role.TECHNICIAN, Role.INSPECTOR, Role.COMMUNITY_WORKER):
        client.force_login(make_user(role))
        for url in (PAGE, XLSX, PDF):
            assert client.get(url).status_code == 404, (role, url)
        assert client.post(REGENERATE, {"day": DAY.isoformat()}).status_code == 404
    for role in (Role.DISPATCHER, Role.AGENT, Role.MANAGER):
        client.force_login(make_user(role))
        assert client.get(PAGE).status_code == 200, role
    assert Briefing.objects.count() == 1


def test_the_page_shows_the_morning_briefing_with_charts_and_tables(client, planted):
    client.force_login(make_user(Role.DISPATCHER))
    page = client.get(PAGE)  # default: yesterday, the morning's briefing

    assert page.context["day"] == DAY
    assert page.context["briefing"].version == 1
    shown = page.context["b"]
    assert (shown["requests"]["received"], shown["sla"]["compliance_pct"]) == (5, 25.0)
    chart = page.context["chart"]
    assert chart["categories"] == ["Radiator leak", "Home not warm", "Noise in the heating",
                                   "Billing question"]  # fmt: skip
    assert (chart["received"], chart["resolved"]) == ([2, 1, 1, 1], [1, 1, 0, 0])
    assert chart["trend_received"] == [0, 0, 0, 0, 0, 1, 5]
    assert (chart["sources"], chart["cover"], chart["rule"]) == (
        ["芝罘热电厂", "测试热源厂"],
        [None, 10.0],
        15,
    )
    html = page.content.decode()
    assert "vendor/echarts-5.6.0.min.js" in html
    for chart_id in ("category-chart", "trend-chart", "cover-chart"):
        assert f'id="{chart_id}"' in html
    assert "css/briefing.css" in html  # the A4 print layout (static/css/briefing.css)
    assert 'data-testid="regenerate"' not in html, "dispatchers do not regenerate"
    assert f'href="{XLSX}?day={DAY.isoformat()}"' in html
    assert f'href="{PDF}?day={DAY.isoformat()}"' in html
    assert "SLA compliance: of the requests whose resolution target was decided" in html
    assert f'href="{PAGE}"' in html, "the menu links the briefing for whole-city staff"

    chinese = Client(headers={"Accept-Language": "zh-hans"})
    chinese.force_login(make_user(Role.MANAGER))
    html = chinese.get(PAGE).content.decode()
    assert "暖气漏水" in html and "测试热源厂" in html
    assert 'data-testid="regenerate"' in html


def test_a_day_without_a_stored_briefing_is_computed_but_not_stored(client, planted):
    client.force_login(make_user(Role.MANAGER))
    page = client.get(PAGE, {"day": BEFORE.isoformat()})

    assert page.status_code == 200
    assert page.context["briefing"] is None
    assert page.context["b"]["requests"]["received"] == 1
    assert "Not stored" in page.content.decode()
    assert list(Briefing.objects.values_list("day", flat=True)) == [DAY]


def test_a_manager_regenerates_and_the_earlier_version_stays(client, planted):
    client.force_login(make_user(Role.DISPATCHER))
    assert client.post(REGENERATE, {"day": DAY.isoformat()}).status_code == 404
    assert Briefing.objects.count() == 1

    client.force_login(make_user(Role.MANAGER))
    answer = client.post(REGENERATE, {"day": DAY.isoformat()}, follow=True)

    assert answer.redirect_chain[-1][0] == f"{PAGE}?day={DAY.isoformat()}"
    assert answer.context["briefing"].version == 2
    assert "Briefing of 2026-12-09 generated (version 2)." in answer.content.decode()
    assert list(Briefing.objects.order_by("version").values_list("version", "complete")) == [
        (1, True),
        (2, True),
    ]
    older = client.get(PAGE, {"day": DAY.isoformat(), "version": 1})
    assert older.context["briefing"].version == 1
    assert 'data-testid="versions"' in older.content.decode()
    assert client.get(PAGE, {"day": DAY.isoformat(), "version": 9}).status_code == 404


def test_a_day_not_begun_or_not_a_date_is_refused_clearly(client, planted):
    client.force_login(make_user(Role.MANAGER))
    tomorrow = (AFTER + timedelta(days=1)).isoformat()
    page = client.get(PAGE, {"day": tomorrow})
    assert page.context["day"] == DAY
    assert "There is no briefing for a day that has not begun." in page.content.decode()
    assert client.get(PAGE, {"day": "2026-13-45"}).context["day"] == DAY

    answer = client.post(REGENERATE, {"day": tomorrow}, follow=True)
    assert "There is no briefing for a day that has not begun." in answer.content.decode()
    assert Briefing.objects.count() == 1

    # Today is allowed: the figures so far, marked as such.
    today = client.get(PAGE, {"day": AFTER.isoformat()})
    assert today.context["b"]["complete"] is False
    assert "The day is not over" in today.content.decode()


def test_the_workbook_has_a_sheet_per_section_with_the_figures(client, planted):
    client.force_login(make_user(Role.DISPATCHER))
    answer = client.get(XLSX, {"day": DAY.isoformat()})

    assert answer["Content-Type"].startswith("application/vnd.openxmlformats")
    assert 'filename="briefing-2026-12-09.xlsx"' in answer["Content-Disposition"]
    book = load_workbook(io.BytesIO(answer.content))
    assert book.sheetnames == [
        "Summary", "Requests", "Trend", "Channels", "SLA", "Top categories", "Incidents",
        "Alarms", "Coal", "Inspections", "Staff health", "Emergency", "Donations",
    ]  # fmt: skip
    summary = {row[0]: row[1] for row in book["Summary"].iter_rows(min_row=2, values_only=True)}
    assert summary["Version"] == 1
    assert (summary["Requests received"], summary["Requests resolved"]) == (5, 2)
    assert summary["Requests open at the end"] == 3
    assert (summary["SLA compliance (%)"], summary["Rounds overdue"]) == (25.0, 1)
    assert (summary["Station alarms raised"], summary["Incidents open at the end"]) == (2, 1)
    assert summary["Emergency mode"] == "on"
    rows = list(book["Requests"].iter_rows(min_row=2, values_only=True))
    assert rows[0] == ("Radiator leak", 2, 1, 0, 2)
    assert list(book["SLA"].iter_rows(min_row=2, values_only=True)) == [(1, 3, 4, 25.0)]
    assert [r[1:3] for r in book["Trend"].iter_rows(min_row=2, values_only=True)][-2:] == [
        (1, 0),
        (5, 2),
    ]
    coal = list(book["Coal"].iter_rows(min_row=2, values_only=True))
    assert coal[1][:4] == ("HS09 测试热源厂", 1000, 100, 10)
    assert len(list(book["Alarms"].iter_rows(min_row=2))) == 2
    health = {row[0]: row[1] for row in book["Staff health"].iter_rows(min_row=2, values_only=True)}
    assert (health["Staff"], health["Health: Isolating"], health["Did not check in"]) == (7, 1, 4)
    donations = list(book["Donations"].iter_rows(min_row=2, values_only=True))
    assert [row[1:4] for row in donations] == [("Medical masks", 200, "pcs"), ("大米", 10, "袋")]


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_pdf_is_a_printable_document(planted, language):
    client = Client(headers={"Accept-Language": language})
    client.force_login(make_user(Role.MANAGER))
    answer = client.get(PDF, {"day": DAY.isoformat()})

    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/pdf"
    assert 'filename="briefing-2026-12-09.pdf"' in answer["Content-Disposition"]
    content = answer.content
    assert content.startswith(b"%PDF-")
    assert content.rstrip().endswith(b"%%EOF")
    assert b"trailer" in content and b"/Root" in content
    pages = re.search(rb"/Type /Pages\s*/Count (\d+)|/Count (\d+)\s*/Kids", content)
    assert pages is not None
    assert int(pages.group(1) or pages.group(2)) >= 1
    assert len(re.findall(rb"/Type /Page\b(?!s)", content)) >= 1
    assert b"STSong-Light" in content  # the built-in Chinese font, nothing embedded


EARLY_DAYS = ["0001-01-01", "0001-01-10", "1999-12-31"]
OUT_OF_RANGE = "Choose a day from 2000-01-01 to 2026-12-10."


@pytest.mark.parametrize("day", EARLY_DAYS)
def test_a_day_before_the_records_falls_back_to_yesterday_clearly(client, planted, day):
    client.force_login(make_user(Role.MANAGER))
    page = client.get(PAGE, {"day": day})
    assert page.status_code == 200
    assert page.context["day"] == DAY
    assert OUT_OF_RANGE in page.content.decode()


@pytest.mark.parametrize("day", EARLY_DAYS)
def test_the_exports_of_a_day_before_the_records_are_yesterdays(client, planted, day):
    client.force_login(make_user(Role.MANAGER))
    for url in (XLSX, PDF):
        export = client.get(url, {"day": day})
        assert export.status_code == 200
        assert f"briefing-{DAY.isoformat()}" in export["Content-Disposition"]


@pytest.mark.parametrize("day", EARLY_DAYS)
def test_regenerating_a_day_before_the_records_is_refused_and_stores_nothing(client, planted, day):
    client.force_login(make_user(Role.MANAGER))
    answer = client.post(REGENERATE, {"day": day}, follow=True)
    assert answer.status_code == 200
    assert answer.redirect_chain[-1][0] == PAGE
    assert OUT_OF_RANGE in answer.content.decode()
    assert list(Briefing.objects.values_list("day", "version")) == [(DAY, 1)]


def test_the_first_day_of_the_records_is_shown(client, planted):
    client.force_login(make_user(Role.MANAGER))
    page = client.get(PAGE, {"day": "2000-01-01"})
    assert page.status_code == 200
    assert page.context["day"] == date(2000, 1, 1)
    assert "Choose a day" not in page.content.decode()
