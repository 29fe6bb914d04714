"""Online service journeys (网上问暖) in real Chromium at a phone viewport (390×844)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from e2e.conftest import PHONE, log_in, screenshot
from wennuan.demo.services import build_demo_city
from wennuan.grid.choices import Duty
from wennuan.grid.models import Household, ZoneAssignment
from wennuan.notify.models import Notification
from wennuan.people.models import Shift
from wennuan.service.catalogue import seed_catalogue
from wennuan.service.choices import Status
from wennuan.service.models import ServiceRequest

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def city(transactional_db):
    seed_catalogue()  # transactional tests flush migration data
    build_demo_city(households=6_000, seed=11)


def household_of(username: str) -> Household:
    """A household in a zone where ``username`` owns repair."""
    zone = (
        ZoneAssignment.objects.filter(staff__username=username, duty=Duty.REPAIR, rank=0)
        .first()
        .zone
    )
    return Household.objects.filter(building__zone=zone).order_by("pk").first()


def resident_files_not_warm(page, household: Household, temperature: str) -> str:
    page.goto("/portal/")
    page.click("a[href='/portal/new/']")
    page.fill("#id_account_number", household.account_number)
    page.fill("#id_phone", household.phone)
    page.click("button[type=submit]")
    page.wait_for_url("**/portal/verify/code/")
    code = (
        Notification.objects.filter(recipient=household.phone, template="otp_code")
        .latest("pk")
        .context["code"]
    )
    page.fill("#id_code", str(code))
    page.click("button[type=submit]")
    page.wait_for_url("**/portal/new/")
    page.click("[data-category=not_warm]")
    page.fill("#id_attr_indoor_temperature", temperature)
    page.select_option("#id_attr_rooms_affected", "whole_home")
    page.fill("#id_description", "暖气片是凉的")
    page.click("button[type=submit]")
    page.wait_for_url("**/portal/requests/*/?filed=1")
    number = page.locator("[data-testid=request-number]").inner_text()
    assert number in page.locator("[data-testid=filed]").inner_text()
    return number


def test_resident_to_technician_and_back(browser, live_server, city):
    resident = browser.new_context(
        viewport=PHONE, locale="zh-CN", base_url=live_server.url
    ).new_page()
    household = household_of("technician")

    # Given a resident whose home is at 14 °C files "not warm" and gets a number at once
    number = resident_files_not_warm(resident, household, "14")
    request = ServiceRequest.objects.get(number=number)
    assert request.assignee.username == "technician"
    screenshot(resident, "resident-number-phone")

    # When the owning technician accepts it from My work, visits and resolves with 19 °C
    tech = browser.new_context(viewport=PHONE, locale="zh-CN", base_url=live_server.url).new_page()
    log_in(tech, "technician")
    tech.goto("/service/my/")
    card = tech.locator(f"[data-request='{number}']")
    card.locator("button[type=submit]").click()  # Accept
    assert ServiceRequest.objects.get(pk=request.pk).status == Status.ACCEPTED
    tech.goto(f"/service/requests/{request.pk}/")
    when = (timezone.localtime() + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    tech.fill("#id_when", when)
    tech.click("[data-action=schedule]")
    for item in ("mask", "gloves", "shoe_covers", "hand_sanitiser"):
        tech.check(f"input[name=equipment][value={item}]")
    tech.click("[data-action=check_in]")
    tech.fill("#id_measured_temperature", "19")
    tech.fill("#id_note_resolve", "阀门堵塞，已清理")
    tech.click("[data-action=resolve]")
    screenshot(tech, "technician-resolved-phone")
    request.refresh_from_db()
    assert request.status == Status.RESOLVED
    assert tech.evaluate("document.documentElement.scrollWidth") <= 390

    # Then the resident tracks it by number and phone, confirms, and rates 5
    tracker = browser.new_context(
        viewport=PHONE, locale="zh-CN", base_url=live_server.url
    ).new_page()
    tracker.goto("/portal/track/")
    tracker.fill("#id_number", number)
    tracker.fill("#id_phone", household.phone)
    tracker.click("button[type=submit]")
    tracker.wait_for_url(f"**/portal/requests/{number}/")
    assert ServiceRequest.objects.get(pk=request.pk).status == "resolved"
    tracker.click(f"form[action$='/{number}/confirm/'] button")
    tracker.check("input[name=rating][value='5']")
    tracker.click(f"form[action$='/{number}/rate/'] button")
    screenshot(tracker, "resident-rated-phone")
    request.refresh_from_db()
    assert request.status == Status.CLOSED and request.rating == 5


def test_deputy_gets_it_when_the_owner_is_off_shift(browser, live_server, city):
    household = household_of("technician")
    deputy = ZoneAssignment.objects.get(
        zone=household.building.zone, duty=Duty.REPAIR, rank=1
    ).staff
    Shift.objects.filter(staff__username="technician").delete()
    Shift.objects.filter(staff=deputy).delete()
    now = timezone.now()
    Shift.objects.create(
        staff=deputy, starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=11)
    )

    resident = browser.new_context(
        viewport=PHONE, locale="zh-CN", base_url=live_server.url
    ).new_page()
    number = resident_files_not_warm(resident, household, "15")

    page = browser.new_context(viewport=PHONE, locale="zh-CN", base_url=live_server.url).new_page()
    log_in(page, deputy.username)
    page.goto("/service/my/")
    assert page.locator(f"[data-request='{number}']").count() == 1
    page.click(f"[data-request='{number}'] a.fw-semibold")
    assert page.locator("[data-testid=assignee]").inner_text() == deputy.display_name
    history = page.content()
    assert "演示维修员" in history  # the skipped owner is named in the decision
