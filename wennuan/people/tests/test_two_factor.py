"""Two-factor login (TOTP) of staff: enrolment, the second login step, replay, drift, recovery
codes, throttling, required roles, switching off, and that a half-done login is no login."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pyotp
import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from wennuan.core.models import FailedLogin
from wennuan.grid.tests.factories import make_user
from wennuan.people import two_factor
from wennuan.people.choices import Role, TwoFactorEventKind
from wennuan.people.models import RecoveryCode, TwoFactorDevice, TwoFactorEvent, User
from wennuan.people.two_factor_views import PENDING_KEY

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-9"
# The start of a 30-second step, so "the same step" and "the next step" are unambiguous.
T0 = datetime(2026, 12, 1, 8, 0, 0, tzinfo=UTC)


def code_at(device: TwoFactorDevice, moment: datetime) -> str:
    return pyotp.TOTP(device.secret).at(moment)


@pytest.fixture
def client() -> Client:
    """Pages in English, so the assertions read the English messages."""
    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def clock() -> Any:
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def staff() -> User:
    return make_user(Role.DISPATCHER, username="wang", password=PASSWORD)


def enrol(user: User, moment: datetime = T0 - timedelta(minutes=10)) -> tuple[Any, list[str]]:
    """Switch two-factor login on for ``user`` (a code of ``moment``); returns the device and
    the recovery codes."""
    device = two_factor.begin_enrolment(user=user)
    codes = two_factor.confirm_enrolment(user=user, code=code_at(device, moment), now=moment)
    device.refresh_from_db()
    return device, codes


def password_step(client: Client, next_url: str = "") -> Any:
    url = reverse("login") + (f"?next={next_url}" if next_url else "")
    return client.post(url, {"username": "wang", "password": PASSWORD})


def code_step(client: Client, code: str, **extra: Any) -> Any:
    return client.post(reverse("login_verify"), {"code": code}, **extra)


# --- enrolment ------------------------------------------------------------------------


def test_enrolment_shows_qr_and_key_and_a_first_code_switches_it_on(client, staff, clock):
    client.force_login(staff)
    page = reverse("account:two_factor")
    assert 'data-testid="status-off"' in client.get(page).content.decode()

    client.post(page, {"action": "begin"})
    shown = client.get(page).content.decode()
    device = TwoFactorDevice.objects.get(user=staff)
    assert device.confirmed_at is None
    assert "<svg" in shown
    assert not re.search(r"<script(?![^>]*\bsrc=)|\bon(click|change|submit)=", shown)
    assert device.secret[:4] in shown  # the key, for typing in by hand

    response = client.post(page, {"action": "confirm", "code": code_at(device, T0)})

    device.refresh_from_db()
    assert device.confirmed_at is not None
    codes = response.context["recovery_codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    body = response.content.decode()
    assert all(code in body for code in codes)  # shown once, on this page
    stored = list(RecoveryCode.objects.filter(device=device).values_list("code_hash", flat=True))
    assert len(stored) == 10
    assert not any(code.replace("-", "") in h for code in codes for h in stored)
    assert TwoFactorEvent.objects.get(user=staff).kind == TwoFactorEventKind.ENROLLED
    # Shown only once: the page afterwards has the count, not the codes.
    again = client.get(page).content.decode()
    assert codes[0] not in again and "10 unused recovery codes left" in again


def test_wrong_first_code_leaves_enrolment_unconfirmed(client, staff, clock):
    client.force_login(staff)
    page = reverse("account:two_factor")
    client.post(page, {"action": "begin"})
    device = TwoFactorDevice.objects.get(user=staff)
    wrong = code_at(device, T0 + timedelta(minutes=5))

    response = client.post(page, {"action": "confirm", "code": wrong})

    assert response.status_code == 200
    assert "That code is not right" in response.content.decode()
    device.refresh_from_db()
    assert device.confirmed_at is None
    assert not RecoveryCode.objects.exists()
    assert not TwoFactorEvent.objects.exists()


def test_enrolment_cannot_start_again_while_on(staff, clock):
    enrol(staff)
    with pytest.raises(two_factor.TwoFactorError):
        two_factor.begin_enrolment(user=staff)
    assert TwoFactorDevice.objects.get(user=staff).confirmed_at is not None


# --- the login ------------------------------------------------------------------------


def test_without_a_device_the_password_alone_logs_in(client, staff):
    response = password_step(client)
    assert response["Location"] == reverse("home")
    assert "_auth_user_id" in client.session


def test_with_a_device_the_password_leads_to_the_code_and_only_the_code_logs_in(
    client, staff, clock
):
    device, _ = enrol(staff)

    response = password_step(client, next_url="/people/roster/")

    assert response.status_code == 302
    assert response["Location"] == reverse("login_verify")
    assert "_auth_user_id" not in client.session
    assert client.session[PENDING_KEY]["user"] == staff.pk
    assert 'autocomplete="one-time-code"' in client.get(reverse("login_verify")).content.decode()

    response = code_step(client, code_at(device, T0))

    assert response["Location"] == "/people/roster/"
    assert client.session["_auth_user_id"] == str(staff.pk)
    assert PENDING_KEY not in client.session
    assert client.get("/people/roster/").status_code == 200


def test_wrong_code_is_refused_and_nothing_is_logged_in(client, staff, clock):
    device, _ = enrol(staff)
    password_step(client)

    response = code_step(client, code_at(device, T0 + timedelta(minutes=3)))

    assert response.status_code == 200
    assert "That code is not right" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert FailedLogin.objects.filter(username="wang").count() == 1
    device.refresh_from_db()
    assert device.last_used_step == int((T0 - timedelta(minutes=10)).timestamp()) // 30


def test_replayed_code_is_refused_within_its_step(client, staff, clock):
    device, _ = enrol(staff)
    code = code_at(device, T0)
    password_step(client)
    code_step(client, code)
    assert "_auth_user_id" in client.session
    client.post(reverse("logout"))

    # Someone who saw the code types it again, in the same 30 seconds.
    clock.shift(timedelta(seconds=10))
    password_step(client)
    response = code_step(client, code)

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert not two_factor.verify(user=staff, code=code)


def test_a_code_one_step_off_is_accepted_two_steps_off_is_not(staff, clock):
    device, _ = enrol(staff)
    # The phone's clock runs 30 s behind, then 30 s ahead: both work.
    assert two_factor.verify(user=staff, code=code_at(device, T0 - timedelta(seconds=30)))
    assert two_factor.verify(user=staff, code=code_at(device, T0 + timedelta(seconds=30)))
    clock.shift(timedelta(minutes=5))
    now = T0 + timedelta(minutes=5)
    assert not two_factor.verify(user=staff, code=code_at(device, now - timedelta(seconds=60)))
    assert not two_factor.verify(user=staff, code=code_at(device, now + timedelta(seconds=60)))
    assert two_factor.verify(user=staff, code=code_at(device, now))


def test_after_a_newer_code_an_older_unused_one_is_refused(staff, clock):
    device, _ = enrol(staff)
    assert two_factor.verify(user=staff, code=code_at(device, T0 + timedelta(seconds=30)))
    assert not two_factor.verify(user=staff, code=code_at(device, T0))


def test_a_recovery_code_logs_in_once(client, staff, clock):
    _, codes = enrol(staff)
    password_step(client)

    response = client.post(reverse("login_verify"), {"recovery_code": codes[3].upper()})

    assert response["Location"] == reverse("home")
    assert "_auth_user_id" in client.session
    assert two_factor.remaining_recovery_codes(staff) == 9
    assert TwoFactorEvent.objects.filter(kind=TwoFactorEventKind.RECOVERY_USED).count() == 1
    client.post(reverse("logout"))

    password_step(client)
    response = client.post(reverse("login_verify"), {"recovery_code": codes[3]})

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert two_factor.remaining_recovery_codes(staff) == 9
    assert FailedLogin.objects.filter(username="wang").count() == 1


def test_the_code_must_follow_the_password_within_five_minutes(client, staff, clock):
    device, _ = enrol(staff)
    password_step(client)

    clock.shift(timedelta(minutes=5, seconds=1))
    response = code_step(client, code_at(device, T0 + timedelta(minutes=5, seconds=1)))

    assert response["Location"] == reverse("login")
    assert "_auth_user_id" not in client.session
    assert PENDING_KEY not in client.session


def test_unsafe_next_is_not_followed(client, staff, clock):
    device, _ = enrol(staff)
    password_step(client, next_url="https://evil.example/")
    response = code_step(client, code_at(device, T0))
    assert response["Location"] == reverse("home")


def test_repeated_wrong_codes_lock_the_login_even_with_the_right_code(
    client, staff, clock, settings
):
    settings.LOGIN_FAILURE_LIMIT = 3
    device, _ = enrol(staff)
    # Given a second browser that has passed the password step too
    other = Client(HTTP_ACCEPT_LANGUAGE="en")
    password_step(other)
    # When the first one types wrong codes, giving the password again in between
    password_step(client)
    for n in range(2):
        code_step(client, f"00000{n}")
    password_step(client)  # does not reset the count of wrong codes
    response = code_step(client, "000009")

    # Then the login is locked: the third wrong code says so and ends the attempt,
    assert "Too many failed attempts" in response.content.decode()
    assert PENDING_KEY not in client.session
    # the password is refused,
    response = password_step(client)
    assert response.status_code == 200
    assert "Too many failed attempts" in response.content.decode()
    # and even the right code in the other browser is refused.
    response = code_step(other, code_at(device, T0))
    assert response.status_code == 200
    assert "Too many failed attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session and "_auth_user_id" not in other.session
    device.refresh_from_db()
    assert device.last_used_step != int(T0.timestamp()) // 30  # the code was not even tried


# --- a half-done login is no login -----------------------------------------------------


def test_pending_session_reaches_neither_staff_pages_nor_the_api(client, staff, clock):
    enrol(staff)
    password_step(client)

    for page in ("/", "/people/roster/", reverse("account:two_factor")):
        response = client.get(page)
        assert response.status_code == 302 and response["Location"].startswith("/login/")
    api = client.get("/api/v1/requests/")
    assert api.status_code in (401, 403)
    assert client.get("/admin/").status_code == 302
    assert "_auth_user_id" not in client.session


def test_admin_login_form_is_replaced_by_the_two_step_login(client, staff):
    response = client.get("/admin/login/?next=/admin/")
    assert response["Location"] == "/login/?next=/admin/"
    response = client.post("/admin/login/", {"username": "wang", "password": PASSWORD})
    assert "_auth_user_id" not in client.session


# --- required roles -------------------------------------------------------------------


def test_required_role_without_device_is_sent_to_enrolment_until_enrolled(client, clock, settings):
    settings.TWO_FACTOR_REQUIRED_ROLES = ["manager"]
    manager = make_user(Role.MANAGER, username="li", password=PASSWORD)
    dispatcher = make_user(Role.DISPATCHER, username="zhao", password=PASSWORD)

    response = client.post(reverse("login"), {"username": "li", "password": PASSWORD})
    assert response["Location"] == reverse("home")
    response = client.get("/")
    assert response["Location"] == reverse("account:two_factor") + "?next=%2F"
    assert client.get("/people/roster/").status_code == 302
    assert client.get("/api/v1/requests/").status_code == 403
    page = client.get(response["Location"]).content.decode()
    assert 'data-testid="required"' in page

    client.post(reverse("account:two_factor"), {"action": "begin", "next": "/"})
    device = TwoFactorDevice.objects.get(user=manager)
    response = client.post(
        reverse("account:two_factor"),
        {"action": "confirm", "code": code_at(device, T0), "next": "/"},
    )
    assert 'href="/"' in response.content.decode()  # "continue" goes back where they were
    assert client.get("/").status_code == 200

    other = Client(HTTP_ACCEPT_LANGUAGE="en")
    other.force_login(dispatcher)
    assert other.get("/").status_code == 200  # a role not listed is not obliged


def test_no_required_roles_means_no_extra_query(client, staff, django_assert_num_queries):
    client.force_login(staff)
    client.get("/healthz")
    with django_assert_num_queries(0):
        client.get("/healthz")


# --- switching off --------------------------------------------------------------------


def test_switching_off_needs_the_password_and_a_current_code(client, staff, clock):
    device, _ = enrol(staff)
    client.force_login(staff)
    page = reverse("account:two_factor")

    response = client.post(
        page, {"action": "disable", "password": "wrong", "code": code_at(device, T0)}
    )
    assert "The password or the code is not right" in response.content.decode()
    response = client.post(page, {"action": "disable", "password": PASSWORD, "code": "123456"})
    assert "The password or the code is not right" in response.content.decode()
    assert TwoFactorDevice.objects.filter(user=staff).exists()
    assert FailedLogin.objects.filter(username="wang").count() == 2

    response = client.post(
        page, {"action": "disable", "password": PASSWORD, "code": code_at(device, T0)}
    )

    assert response.status_code == 302
    assert not TwoFactorDevice.objects.filter(user=staff).exists()
    assert not RecoveryCode.objects.exists()
    assert TwoFactorEvent.objects.filter(kind=TwoFactorEventKind.DISABLED).count() == 1
    client.post(reverse("logout"))
    assert password_step(client)["Location"] == reverse("home")  # the password alone again


def test_renewed_recovery_codes_replace_the_old_ones(staff, clock):
    device, old = enrol(staff)
    new = two_factor.renew_recovery_codes(user=staff, password=PASSWORD, code=code_at(device, T0))
    assert not two_factor.use_recovery_code(user=staff, code=old[0])
    assert two_factor.use_recovery_code(user=staff, code=new[0])


def test_an_administrator_reset_lets_the_password_alone_log_in_again(client, staff, clock):
    enrol(staff)
    admin = make_user(Role.ADMIN, username="root", is_superuser=True, is_staff=True)
    assert two_factor.reset(user=staff, actor=admin)
    event = TwoFactorEvent.objects.get(kind=TwoFactorEventKind.DISABLED)
    assert event.actor == admin
    assert password_step(client)["Location"] == reverse("home")


def test_only_a_superuser_resets_two_factor_login_from_the_admin(staff):
    """Staff who may see the devices list (every people permission, like the demo's master
    data group) cannot switch off someone's second factor; a superuser can."""
    from django.contrib.auth.models import Permission

    device, _codes = enrol(staff)
    viewer = make_user(Role.MANAGER, username="viewer", is_staff=True)
    viewer.user_permissions.set(Permission.objects.filter(content_type__app_label="people"))
    url = reverse("admin:people_twofactordevice_changelist")
    form = {"action": "reset_two_factor", "_selected_action": [device.pk]}
    as_viewer = Client()
    as_viewer.force_login(viewer)
    assert as_viewer.get(url).status_code == 200
    as_viewer.post(url, form)
    assert TwoFactorDevice.objects.filter(pk=device.pk).exists()
    assert not TwoFactorEvent.objects.filter(kind=TwoFactorEventKind.DISABLED).exists()

    root = make_user(Role.ADMIN, username="root", is_superuser=True, is_staff=True)
    as_root = Client()
    as_root.force_login(root)
    as_root.post(url, form)
    assert not TwoFactorDevice.objects.filter(pk=device.pk).exists()


def test_an_unknown_required_role_fails_the_system_check(settings):
    from wennuan.people.checks import check_two_factor_roles

    settings.TWO_FACTOR_REQUIRED_ROLES = ["manager", "mangaer"]
    (error,) = check_two_factor_roles()
    assert error.id == "people.E001" and "mangaer" in error.msg
    settings.TWO_FACTOR_REQUIRED_ROLES = ["manager", "admin"]
    assert check_two_factor_roles() == []
