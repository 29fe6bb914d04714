"""Two-factor login journey in real Chromium at a phone viewport (390×844), in Chinese: a
dispatcher opens "two-factor login" from the menu, scans (here: reads) the key, confirms with the
password and a code from the app (pyotp plays the app), is shown the recovery codes once, logs
out, and logs in again with the password and then a code; a wrong code first is refused."""

from __future__ import annotations

import re
import time
from typing import Any

import pyotp
import pytest

from e2e.conftest import PHONE, open_menu, screenshot
from wennuan.grid.tests.factories import make_user
from wennuan.people.choices import Role
from wennuan.people.models import TwoFactorDevice
from wennuan.people.two_factor import device_secret

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "wennuan-demo"


def fits(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"])


def test_dispatcher_switches_two_factor_on_and_logs_in_with_a_code(phone, transactional_db):
    staff = make_user(Role.DISPATCHER, username="e2e-2fa", full_name="孙调度", password=PASSWORD)

    # Given the dispatcher has logged in with the password alone
    phone.goto("/login/")
    phone.fill("#id_username", staff.username)
    phone.fill("#id_password", PASSWORD)
    with phone.expect_navigation():
        phone.click("button[type=submit]")
    assert phone.url.endswith("/")

    # When they open two-factor login from the menu and start the set-up
    open_menu(phone)
    with phone.expect_navigation():
        phone.click("[data-testid=two-factor-link]")
    assert phone.locator("[data-testid=status-off]").is_visible()
    with phone.expect_navigation():
        phone.click("[data-testid=begin]")

    # Then they see a QR code and the key to type in by hand, and the page fits the phone
    assert phone.locator("[data-testid=qr] svg").is_visible()
    secret = re.sub(r"\s", "", phone.locator("[data-testid=secret]").inner_text())
    assert secret == device_secret(TwoFactorDevice.objects.get(user=staff))
    assert fits(phone)
    screenshot(phone, "two-factor-enrol")

    # When they give their password and type the code the app shows
    app = pyotp.TOTP(secret)
    phone.fill("#id_password", PASSWORD)
    phone.fill("#id_code", app.now())
    with phone.expect_navigation():
        phone.click("[data-testid=confirm]")

    # Then two-factor login is on and ten recovery codes are shown, once
    codes = phone.locator("[data-testid=recovery-code]").all_inner_texts()
    assert len(codes) == 10
    assert fits(phone)
    screenshot(phone, "two-factor-recovery-codes")
    with phone.expect_navigation():
        phone.click("[data-testid=continue]")
    phone.goto("/account/two-factor/")
    assert phone.locator("[data-testid=status-on]").is_visible()
    assert fits(phone)
    screenshot(phone, "two-factor-on")
    assert codes[0] not in phone.content()

    # When they log out and log in again with the password
    open_menu(phone)
    with phone.expect_navigation():
        phone.click("nav form[action='/logout/'] button")
    phone.goto("/login/")
    phone.fill("#id_username", staff.username)
    phone.fill("#id_password", PASSWORD)
    with phone.expect_navigation():
        phone.click("button[type=submit]")

    # Then they are asked for a code, not logged in yet
    assert phone.url.endswith("/login/verify/")
    assert phone.locator("[data-testid=totp-form]").is_visible()
    assert fits(phone)
    screenshot(phone, "two-factor-verify")
    phone.goto("/people/roster/")
    assert "/login/" in phone.url
    phone.goto("/login/verify/")

    # When they type a wrong code, it is refused
    phone.fill("#id_code", "000000" if app.now() != "000000" else "111111")
    with phone.expect_navigation():
        phone.click("[data-testid=verify]")
    assert phone.locator("[data-field=code]").is_visible()
    assert phone.url.endswith("/login/verify/")

    # And with the app's code they are in. (The set-up spent this 30-second step's code, and
    # a code is never taken twice; the next step's code is accepted as clock drift.)
    phone.fill("#id_code", app.at(time.time() + 30))
    with phone.expect_navigation():
        phone.click("[data-testid=verify]")
    assert phone.url.endswith("/")
    assert phone.locator("nav [data-testid=two-factor-link]").count() == 1
    screenshot(phone, "two-factor-logged-in")
