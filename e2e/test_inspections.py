"""Inspection round journey in real Chromium at a phone viewport (390×844), in Chinese: an
inspector opens today's round, loses the connection and reloads midway (nothing entered is
lost), completes it with one failed valve, and the zone's repair technician sees the new work
order in My work."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from e2e.conftest import PHONE, log_in, screenshot
from wennuan.grid.choices import Duty
from wennuan.grid.tests.factories import assign, make_building, make_user, make_zone
from wennuan.inspections.checklists import seed_checklists
from wennuan.inspections.choices import FacilityKind, ItemKind, RoundStatus
from wennuan.inspections.models import Facility, Finding, InspectionPlan, InspectionRound, PlanStop
from wennuan.inspections.services import checklists, generate_rounds
from wennuan.people.choices import Role
from wennuan.service.catalogue import seed_catalogue
from wennuan.service.tests.factories import on_shift

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "wennuan-demo"
LEAKING = "Valves and flanges not leaking"


@pytest.fixture
def patrol(transactional_db: Any) -> dict[str, Any]:
    """A zone whose inspection owner and repair owner are on shift, a daily plan over a valve
    well, a manhole and a compensator, and today's round."""
    seed_catalogue()  # transactional tests flush migration data
    seed_checklists()
    inspector = make_user(
        Role.INSPECTOR, username="e2e-inspector", full_name="刘巡检", password=PASSWORD
    )
    technician = make_user(
        Role.TECHNICIAN, username="e2e-technician", full_name="王师傅", password=PASSWORD
    )
    zone = make_zone()
    building = make_building(zone=zone)
    assign(zone, Duty.INSPECTION, inspector)
    assign(zone, Duty.REPAIR, technician)
    on_shift(inspector)
    on_shift(technician)
    facilities = [
        Facility.objects.create(
            code="VW-101",
            name="幸福路1号阀门井",
            kind=FacilityKind.VALVE_WELL,
            zone=zone,
            building=building,
        ),
        Facility.objects.create(
            code="MH-102", name="幸福路检查井", kind=FacilityKind.MANHOLE, zone=zone
        ),
        Facility.objects.create(
            code="CP-103", name="幸福路补偿器", kind=FacilityKind.COMPENSATOR, zone=zone
        ),
    ]
    today = timezone.localdate()
    plan = InspectionPlan.objects.create(
        name="幸福路日巡",
        zone=zone,
        every_days=1,
        active_from=today - timedelta(days=30),
        active_until=today + timedelta(days=120),
    )
    for position, facility in enumerate(facilities, start=1):
        PlanStop.objects.create(plan=plan, facility=facility, position=position)
    generate_rounds()
    round_ = InspectionRound.objects.get(plan=plan, due_on=today)
    assert round_.assignee == inspector
    return {
        "round": round_,
        "facilities": facilities,
        "inspector": inspector,
        "technician": technician,
    }


def open_card(page: Any, facility: Facility) -> Any:
    card = page.locator(f"details[data-facility='{facility.pk}']")
    if not card.evaluate("el => el.open"):
        card.locator("summary").click()
    return card


def answer(page: Any, facility: Facility, *, fail: str = "", note: str = "") -> None:
    """Every item of the facility's checklist: pass (or fail for ``fail``), readings in range."""
    open_card(page, facility)
    for item in checklists({facility.kind})[facility.kind]:
        name = f"f{facility.pk}-i{item.pk}"
        if item.kind == ItemKind.PASS_FAIL:
            choice = "0" if item.text_en == fail else "1"
            page.click(f"label[for='{name}-passed-{choice}']")
        elif item.kind == ItemKind.READING:
            page.fill(f"#{name}-reading", "6,5" if item.unit == "°C" else "40")
    if note:
        page.fill(f"#f{facility.pk}-note", note)


def wait_for(check: Any, seconds: float = 10) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if check():
            return True
        time.sleep(0.1)
    return False


def test_inspector_completes_a_round_with_a_failed_valve_and_the_technician_gets_the_order(
    phone, browser, live_server, patrol
):
    round_, (valve, manhole, compensator) = patrol["round"], patrol["facilities"]
    round_url = f"/inspections/rounds/{round_.pk}/"

    # Given the inspector opens today's round from My rounds on the phone
    log_in(phone, patrol["inspector"].username, PASSWORD)
    phone.goto("/inspections/my/")
    card = phone.locator(f"[data-round='{round_.pk}']")
    assert "幸福路日巡" in card.inner_text()
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    with phone.expect_navigation():
        card.locator(f"a.btn[href='{round_url}']").click()
    assert "0 / 3" in phone.locator("[data-progress]").inner_text()

    # When the connection drops while the valve well is filled in (one failed valve) …
    phone.route("**/draft/", lambda route: route.abort())
    answer(phone, valve, fail=LEAKING, note="法兰渗水")
    assert "1 / 3" in phone.locator("[data-progress]").inner_text()
    phone.wait_for_selector("#save-status[data-state=offline]")
    key = phone.locator("input[name=key]").input_value()
    round_.refresh_from_db()
    assert round_.draft == {}  # the server got nothing

    # … and the page is reloaded: every entry is still there (kept on the phone)
    phone.unroute("**/draft/")
    phone.reload()
    leaking = next(i for i in checklists({valve.kind})[valve.kind] if i.text_en == LEAKING)
    assert phone.locator(f"#f{valve.pk}-i{leaking.pk}-passed-0").is_checked()
    temperature = next(
        i for i in checklists({valve.kind})[valve.kind] if i.kind == ItemKind.READING
    )
    assert phone.locator(f"#f{valve.pk}-i{temperature.pk}-reading").input_value() == "6,5"
    assert phone.locator(f"#f{valve.pk}-note").input_value() == "法兰渗水"
    assert phone.locator("input[name=key]").input_value() == key  # one key per round
    assert "1 / 3" in phone.locator("[data-progress]").inner_text()
    screenshot(phone, "inspection-round-reloaded")
    # Back online, the kept entries reach the server's draft too.
    assert wait_for(
        lambda: (
            InspectionRound.objects.get(pk=round_.pk)
            .draft.get("values", {})
            .get(f"f{valve.pk}-note")
            == "法兰渗水"
        )
    )

    # Then the rest of the route, and submit
    answer(phone, manhole)
    answer(phone, compensator)
    assert "3 / 3" in phone.locator("[data-progress]").inner_text()
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    with phone.expect_navigation():
        phone.click("[data-testid=submit]")
    assert phone.url.endswith(round_url)
    assert phone.locator("[data-testid=submitted]").is_visible()
    finding = Finding.objects.get(round=round_)
    order = finding.work_order
    assert order is not None and order.assignee == patrol["technician"]
    findings = phone.locator("[data-testid=findings]")
    assert order.number in findings.inner_text()
    assert findings.locator(f"a[href='/service/requests/{order.pk}/']").count() == 1
    round_.refresh_from_db()
    assert (round_.status, round_.submission_key) == (RoundStatus.SUBMITTED, key)
    assert phone.evaluate(f"localStorage.getItem('wennuan-round-{round_.pk}')") is None
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(phone, "inspection-round")

    # And the zone's repair technician finds the work order in My work
    tech = browser.new_context(viewport=PHONE, locale="zh-CN", base_url=live_server.url)
    try:
        page = tech.new_page()
        page.set_default_timeout(15_000)
        log_in(page, patrol["technician"].username, PASSWORD)
        page.goto("/service/my/")
        work = page.locator(f"[data-request='{order.number}']")
        assert work.count() == 1
        assert "VW-101" in work.inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    finally:
        tech.close()


def test_dispatcher_gives_an_overdue_round_to_the_zone_inspector_on_a_phone(phone, patrol):
    yesterday = timezone.localdate() - timedelta(days=1)
    late = InspectionRound.objects.create(
        plan=patrol["round"].plan, due_on=yesterday, assign_reason="nobody on shift"
    )
    dispatcher = make_user(Role.DISPATCHER, username="e2e-dispatcher", password=PASSWORD)
    log_in(phone, dispatcher.username, PASSWORD)
    phone.goto("/inspections/")
    row = phone.locator(f"[data-testid=attention] tr[data-round='{late.pk}']")
    assert "幸福路日巡" in row.inner_text()
    assert phone.locator("[data-testid=by-zone] tbody tr").count() == 1
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(phone, "inspection-oversight")
    row.locator("select[name=username]").select_option(patrol["inspector"].username)
    with phone.expect_navigation():
        row.locator("button[type=submit]").click()
    late.refresh_from_db()
    assert late.assignee == patrol["inspector"]
    assert "刘巡检" in phone.locator(f"tr[data-round='{late.pk}']").inner_text()

    valve = patrol["facilities"][0]
    phone.goto(f"/inspections/facilities/{valve.pk}/")
    assert "VW-101" in phone.locator("h1").inner_text()
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
