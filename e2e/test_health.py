"""Staff health journey in real Chromium at a phone viewport (390×844), in Chinese: a
technician holding two open requests checks in as isolating on the phone, is told their work
went to their deputy, and the deputy finds both requests in My work, each with its history;
their supervisor sees the check-in on the team page, with a colleague who has not checked in."""

from __future__ import annotations

from typing import Any

import pytest

from e2e.conftest import PHONE, log_in, open_menu, screenshot
from wennuan.emergency.services import set_emergency_mode
from wennuan.grid.choices import Duty
from wennuan.grid.tests.factories import assign, make_building, make_household, make_user, make_zone
from wennuan.people.choices import HealthStatus, Role
from wennuan.people.models import HealthCheckIn
from wennuan.service.catalogue import seed_catalogue
from wennuan.service.models import ServiceRequest
from wennuan.service.tests.factories import file_not_warm, on_shift

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "wennuan-demo"


@pytest.fixture
def team(transactional_db: Any) -> dict[str, Any]:
    """A zone whose repair owner (王师傅) and deputy (李师傅) are on shift, a supervisor of
    both, and two "not warm" requests with the owner."""
    seed_catalogue()  # transactional tests flush migration data
    supervisor = make_user(
        Role.DISPATCHER, username="e2e-lead", full_name="赵班长", password=PASSWORD
    )
    owner = make_user(
        Role.TECHNICIAN,
        username="e2e-owner",
        full_name="王师傅",
        phone="13900000001",
        supervisor=supervisor,
        password=PASSWORD,
    )
    deputy = make_user(
        Role.TECHNICIAN,
        username="e2e-deputy",
        full_name="李师傅",
        phone="13900000002",
        supervisor=supervisor,
        password=PASSWORD,
    )
    zone = make_zone()
    assign(zone, Duty.REPAIR, owner, deputy)
    on_shift(owner)
    on_shift(deputy)
    household = make_household(make_building(zone=zone), phone="13812345678")
    requests = [file_not_warm(household).request for _ in range(2)]
    assert {r.assignee for r in requests} == {owner}
    return {"owner": owner, "deputy": deputy, "supervisor": supervisor, "requests": requests}


def fits(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"])


def test_technician_checks_in_as_isolating_and_their_requests_appear_with_their_deputy(
    phone, browser, live_server, team
):
    owner, deputy, requests = team["owner"], team["deputy"], team["requests"]
    set_emergency_mode(on=True, actor=None, reason="疫情防控")

    # Given the owner opens the health check-in from the menu on the phone
    log_in(phone, owner.username, PASSWORD)
    open_menu(phone)
    with phone.expect_navigation():
        phone.click("nav a[href='/people/health/']")
    assert phone.locator("[data-testid=mandatory]").is_visible()
    assert phone.locator("[data-testid=not-yet]").is_visible()
    assert fits(phone)

    # When they enter 36.8 °C, a cough, tap "isolating" and check in
    phone.fill("#id_temperature", "36.8")
    phone.click("label[for=id_status_1]")  # isolating
    phone.click("label[for=id_symptoms_1]")  # cough
    assert phone.locator("#id_status_1").is_checked()
    screenshot(phone, "health-check-in-form")
    with phone.expect_navigation():
        phone.click("[data-testid=submit]")

    # Then the page says they get no work and both requests went to the deputy
    alert = phone.locator(".alert-warning").inner_text()
    assert "2" in alert
    assert phone.locator("[data-testid=today] [data-status=isolating]").is_visible()
    assert fits(phone)
    screenshot(phone, "health-check-in-done")
    owner.refresh_from_db()
    assert owner.health_status == HealthStatus.ISOLATING
    record = HealthCheckIn.objects.get(staff=owner)
    assert (str(record.temperature), record.symptoms) == ("36.8", ["cough"])
    assert {ServiceRequest.objects.get(pk=r.pk).assignee for r in requests} == {deputy}

    # And the deputy finds both in My work, with the handover in each request's history
    other = browser.new_context(viewport=PHONE, locale="zh-CN", base_url=live_server.url)
    try:
        page = other.new_page()
        page.set_default_timeout(15_000)
        log_in(page, deputy.username, PASSWORD)
        page.goto("/service/my/")
        for request in requests:
            assert page.locator(f"[data-request='{request.number}']").count() == 1
        assert fits(page)
        screenshot(page, "health-deputy-my-work")
        page.goto(f"/service/requests/{requests[0].pk}/")
        assert "李师傅" in page.locator("[data-testid=assignee]").inner_text()
        history = page.locator("ol.list-group").inner_text()
        assert "36.8" in history and "王师傅" in history
        assert fits(page)
    finally:
        other.close()

    # And their supervisor sees the check-in, and the deputy flagged as not checked in
    lead = browser.new_context(viewport=PHONE, locale="zh-CN", base_url=live_server.url)
    try:
        page = lead.new_page()
        page.set_default_timeout(15_000)
        log_in(page, team["supervisor"].username, PASSWORD)
        page.goto("/people/health/team/")
        assert page.locator(f"tr[data-staff='{owner.username}'] [data-status=isolating]").count()
        assert page.locator(f"tr[data-staff='{deputy.username}'][data-missing]").count() == 1
        assert fits(page)
        screenshot(page, "health-team")
    finally:
        lead.close()
