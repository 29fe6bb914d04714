"""Partner-community journeys (双报到) in real Chromium at a phone viewport (390×844)."""

from __future__ import annotations

import pytest
from django.utils import timezone, translation

from e2e.conftest import PHONE, log_in, open_menu, screenshot
from wennuan.community.choices import EntryKind
from wennuan.community.models import PartnerCommunity, SupplyEntry, SupplyItem, SupportRecord
from wennuan.demo.services import FUTAI_CODE, build_demo_city
from wennuan.grid.models import Household
from wennuan.service.catalogue import seed_catalogue
from wennuan.service.choices import Channel, Priority, Status
from wennuan.service.models import ServiceRequest

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def city(transactional_db):
    seed_catalogue()  # transactional tests flush migration data
    build_demo_city(households=1_500, seed=11)


def status_label(status: str) -> str:
    with translation.override("zh-hans"):
        return str(Status(status).label)


def open_menu_and_go(page, href: str) -> None:
    """At phone width the navigation is behind the menu button."""
    open_menu(page)
    page.click(f"#nav a[href='{href}']")
    page.wait_for_url(f"**{href}")


def test_community_worker_files_for_an_elderly_resident_and_sees_its_status(phone, city):
    # Given an elderly resident of Futai who lives alone and has no phone
    elderly = (
        Household.objects.filter(building__complex__community__code=FUTAI_CODE)
        .order_by("account_number")
        .first()
    )
    Household.objects.filter(pk=elderly.pk).update(
        phone="", alt_phone="", vulnerable=True, vulnerability_note="独居老人"
    )

    # When Futai's community worker finds the home by its address on their phone
    log_in(phone, "community")
    open_menu_and_go(phone, "/community/mine/")
    phone.fill("[data-testid=home-search]", elderly.address)
    phone.click("[data-testid=file-for-resident] button[type=submit]")
    phone.click(f"[data-testid=file-for-{elderly.account_number}]")
    phone.wait_for_url(f"**/service/new/?account={elderly.account_number}")
    assert elderly.address in phone.content()

    # and files "not warm" for them, with nobody's phone to give
    phone.click("a[href*='category=not_warm']")
    phone.fill("#id_attr_indoor_temperature", "13")
    phone.select_option("#id_attr_rooms_affected", "whole_home")
    phone.fill("#id_description", "老人独居，家里暖气不热，无手机，由网格员代报")
    phone.fill("#id_reporter_name", "福泰社区网格员")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone, "community-worker-files-phone")
    phone.click("main form[method=post] button[type=submit]")
    phone.wait_for_url("**/service/requests/*/")

    # Then the request is filed by the community channel, urgent for a vulnerable home
    request = ServiceRequest.objects.get(household=elderly)
    assert request.channel == Channel.COMMUNITY and request.reporter_phone == ""
    assert request.created_by.username == "community" and request.priority == Priority.URGENT
    assert request.number in phone.content()

    # and the worker sees it with its status in their community's list
    open_menu_and_go(phone, "/community/mine/")
    card = phone.locator(f"[data-request='{request.number}']")
    assert card.locator("[data-testid=status]").inner_text() == status_label(request.status)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone, "community-worker-sees-status-phone")

    # and when the technician accepts it, the worker's list shows the new status
    request.refresh_from_db()
    if request.assignee is not None:
        from wennuan.service.services import accept_request

        accept_request(request=request, actor=request.assignee)
        phone.reload()
        shown = card.locator("[data-testid=status]").inner_text()
        assert shown == status_label(Status.ACCEPTED)


def test_manager_donates_from_stock_and_the_community_sees_it(browser, live_server, city):
    manager = browser.new_context(viewport=PHONE, locale="zh-CN", base_url=live_server.url)
    page = manager.new_page()
    page.set_default_timeout(15_000)

    # Given the demo's opening stock of 2,000 medical masks
    log_in(page, "manager")
    page.goto("/community/supplies/")
    masks = page.locator("[data-item='mask-medical'] [data-testid=balance]")
    assert masks.inner_text() == "2000"

    # When the manager records masks from stock and goods in words handed over to Futai
    page.click("[data-testid=record-donation] summary")
    form = page.locator("[data-testid=record-donation] form")
    partner = PartnerCommunity.objects.get(community__code=FUTAI_CODE)
    form.locator("select[name=partner]").select_option(str(partner.pk))
    form.locator("input[name=handed_over_by]").fill("technician")
    form.locator("input[name=received_by]").fill("郑主任")
    mask = SupplyItem.objects.get(code="mask-medical")
    form.locator("select[name=lines-0-item]").select_option(str(mask.pk))
    form.locator("input[name=lines-0-quantity]").fill("500")
    form.locator("input[name=lines-1-description]").fill("暖手宝")
    form.locator("input[name=lines-1-unit]").fill("个")
    form.locator("input[name=lines-1-quantity]").fill("40")
    form.locator("button[type=submit]").click()
    page.wait_for_url("**/community/supplies/")

    # Then the stock is down by 500 and the donation is on record
    assert masks.inner_text() == "1500"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "manager-supplies-phone")
    record = SupportRecord.objects.get(partner=partner, day=timezone.localdate())
    assert record.lines.count() == 2 and record.handed_over_by.username == "technician"
    booked = SupplyEntry.objects.get(kind=EntryKind.DONATION, partner=partner)
    assert booked.quantity == -500 and booked.created_by.username == "manager"

    # and Futai's partner page lists it beside the members reported in and their hours
    page.goto(f"/community/{partner.pk}/")
    assert "暖手宝" in page.locator("[data-testid=records]").inner_text()
    assert page.locator("[data-testid=total-hours]").inner_text() == "20"  # the demo's two
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "manager-partner-phone")

    # and Futai's community worker sees what the company donated
    worker = browser.new_context(viewport=PHONE, locale="zh-CN", base_url=live_server.url)
    mine = worker.new_page()
    mine.set_default_timeout(15_000)
    log_in(mine, "community")
    mine.goto("/community/mine/")
    donations = mine.locator("[data-testid=donations]").inner_text()
    assert "暖手宝" in donations and "500" in donations
    manager.close()
    worker.close()
