"""Back-office journeys in real Chromium at a phone viewport."""

from __future__ import annotations

from pathlib import Path

import pytest

from e2e.conftest import log_in, open_menu, screenshot
from wennuan.demo.services import build_demo_city
from wennuan.grid.choices import Duty
from wennuan.grid.models import Household, Zone, ZoneAssignment

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def city(transactional_db):
    build_demo_city(households=6_000, seed=11)


def test_every_role_can_log_in_and_sees_its_menu(phone, city):
    expected = {
        "manager": "/grid/import/",
        "dispatcher": "/grid/coverage/",
        "agent": "/grid/coverage/",
        "technician": "/grid/zones/",
        "inspector": "/grid/zones/",
        "community": "/grid/households/",
        "admin": "/admin/",
    }
    for username, link in expected.items():
        log_in(phone, username)
        assert phone.locator(f"nav a[href='{link}']").count() == 1, username
        phone.context.clear_cookies()


def test_manager_finds_a_household_and_its_named_owner(phone, city):
    household = Household.objects.select_related("building__zone").order_by("pk")[123]
    owner = ZoneAssignment.objects.get(zone=household.building.zone, duty=Duty.REPAIR, rank=0).staff

    log_in(phone, "manager")
    phone.fill("input[name=q]", household.phone)
    phone.click("form[role=search] button")
    if phone.url.rstrip("/").endswith("/grid/households"):  # several share the phone: pick ours
        phone.click(f"text={household.account_number}")

    assert phone.locator("[data-testid=account]").inner_text() == household.account_number
    assert owner.display_name in phone.locator("[data-duty=repair]").inner_text()
    # Nothing overflows the 390 px screen sideways.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone, "household-phone")


def test_technician_sees_own_zone_and_not_others(phone, city):
    log_in(phone, "technician")
    own = Zone.objects.filter(assignments__staff__username="technician").order_by("code").first()
    foreign = (
        Zone.objects.exclude(assignments__staff__username="technician").order_by("code").first()
    )

    open_menu(phone)
    with phone.expect_navigation():
        phone.click("nav >> text=责任区")
    assert own.code in phone.content()
    response = phone.goto(f"/grid/zones/{foreign.pk}/")
    assert response.status == 404


def test_language_switch_to_english(phone, city):
    phone.goto("/login/")
    assert phone.locator("h1").inner_text() == "员工登录"
    with phone.expect_navigation():
        phone.select_option("#language", "en")
    assert phone.locator("h1").inner_text() == "Staff login"


def test_manager_upload_lists_bad_rows_then_imports_good_file(phone, city, tmp_path: Path):
    building = Household.objects.order_by("pk").first().building
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "account_number,building_code,entrance,unit,heated_area_m2\n"
        f"N1,{building.code},1,901,0\nN2,NOPE,1,902,80\n",
        encoding="utf-8",
    )
    good = tmp_path / "good.csv"
    good.write_bytes(
        f"account_number,building_code,entrance,unit,heated_area_m2,occupant_name\nN1,{building.code},1,901,80,王芳\n".encode(
            "gb18030"
        )
    )

    log_in(phone, "manager")
    phone.goto("/grid/import/")
    phone.select_option("#id_kind", "households")
    phone.set_input_files("#id_file", str(bad))
    phone.click("form[enctype] button[type=submit]")
    errors = phone.locator("[data-testid=import-errors]").inner_text()
    assert "第 2 行" in errors and "第 3 行" in errors
    assert not Household.objects.filter(account_number__in=["N1", "N2"]).exists()
    screenshot(phone, "import-errors-phone")

    phone.select_option("#id_kind", "households")
    phone.set_input_files("#id_file", str(good))
    phone.click("form[enctype] button[type=submit]")
    assert phone.locator(".alert-success").count() == 1
    assert Household.objects.get(account_number="N1").occupant_name == "王芳"
