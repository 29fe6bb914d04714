"""A manager turns on emergency mode, and the residents' portal says the halls are closed."""

from __future__ import annotations

from typing import Any

from e2e.conftest import PHONE, log_in, screenshot
from wennuan.emergency.models import EmergencyChange
from wennuan.grid.tests.factories import make_user
from wennuan.people.choices import Role

PASSWORD = "wennuan-demo"


def test_a_manager_turns_on_emergency_mode_and_the_portal_shows_the_banner(
    phone: Any, browser: Any, live_server: Any
) -> None:
    manager = make_user(Role.MANAGER, username="em-manager", password=PASSWORD)
    resident = browser.new_context(viewport=PHONE, locale="zh-CN", base_url=live_server.url)
    portal = resident.new_page()
    portal.goto("/portal/")
    assert portal.locator("[data-testid=emergency-banner]").count() == 0

    log_in(phone, manager.username, PASSWORD)
    phone.goto("/emergency/")
    switch = phone.locator("[data-testid=emergency-switch]")
    switch.locator("input[name=reason]").fill("疫情防控：营业厅暂停对外服务")
    with phone.expect_navigation():
        switch.locator("button[type=submit]").click()
    assert phone.locator("[data-testid=emergency-banner]").is_visible()
    assert EmergencyChange.objects.get().changed_by == manager
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 1, width
    screenshot(phone, "emergency-on")

    portal.reload()
    banner = portal.locator("[data-testid=emergency-banner]")
    assert banner.is_visible() and "营业厅" in banner.inner_text()
    screenshot(portal, "portal-emergency-banner")
    resident.close()
