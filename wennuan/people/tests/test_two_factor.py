"""Two-factor login (TOTP) of staff: enrolment (with the password), the second login step,
replay, drift, recovery codes, throttling, required roles, switching off, that a half-done login
is no login, that security changes end the user's other sessions, and that secrets are stored
encrypted."""

from __future__ import annotations

import importlib
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pyotp
import pytest
import time_machine
from cryptography.fernet import Fernet
from django.apps import apps as django_apps
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.core.exceptions import ImproperlyConfigured
from django.test import Client, override_settings
from django.urls import reverse
from django.utils.crypto import salted_hmac

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
    return pyotp.TOTP(two_factor.device_secret(device)).at(moment)


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
    codes = two_factor.confirm_enrolment(
        user=user, password=PASSWORD, code=code_at(device, moment), now=moment
    )
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
    assert two_factor.device_secret(device)[:4] in shown  # the key, for typing in by hand

    response = client.post(
        page, {"action": "confirm", "password": PASSWORD, "code": code_at(device, T0)}
    )

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

    response = client.post(page, {"action": "confirm", "password": PASSWORD, "code": wrong})

    assert response.status_code == 200
    assert "That code is not right" in response.content.decode()
    device.refresh_from_db()
    assert device.confirmed_at is None
    assert not RecoveryCode.objects.exists()
    assert not TwoFactorEvent.objects.exists()
    # A mistyped first code is not a failed login: this session was just shown the secret.
    assert not FailedLogin.objects.exists()


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
        {"action": "confirm", "password": PASSWORD, "code": code_at(device, T0), "next": "/"},
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


# --- re-authentication before enrolment (ASVS 3.7.1) ------------------------------------


@pytest.mark.parametrize("password", ["", "wrong-horse-9"])
def test_confirming_enrolment_without_the_right_password_changes_nothing(
    client, staff, clock, password
):
    # Given a session that has begun the set-up (someone at a PC left logged in)
    client.force_login(staff)
    page = reverse("account:two_factor")
    client.post(page, {"action": "begin"})
    device = TwoFactorDevice.objects.get(user=staff)
    other = Client(HTTP_ACCEPT_LANGUAGE="en")
    other.force_login(staff)

    # When they confirm with the app's right code but no password, or a wrong one
    response = client.post(
        page, {"action": "confirm", "password": password, "code": code_at(device, T0)}
    )

    # Then it is refused on the password field, and nothing changed
    assert response.status_code == 200
    assert response.context["confirm_form"].errors["password"]
    device.refresh_from_db()
    assert device.confirmed_at is None and device.last_used_step is None
    assert not RecoveryCode.objects.exists()
    assert not TwoFactorEvent.objects.exists()
    staff.refresh_from_db()
    assert staff.session_epoch == 0
    assert other.get(page).status_code == 200
    # and a wrong password counts as a failed login (an empty one never reaches the check).
    assert FailedLogin.objects.filter(username="wang").count() == (1 if password else 0)


def test_a_wrong_password_at_enrolment_says_so_and_the_service_refuses_it_too(staff, clock):
    device = two_factor.begin_enrolment(user=staff)
    with pytest.raises(two_factor.WrongPasswordError):
        two_factor.confirm_enrolment(
            user=staff, password="wrong-horse-9", code=code_at(device, T0), now=T0
        )
    device.refresh_from_db()
    assert device.confirmed_at is None
    assert not RecoveryCode.objects.exists()


def test_confirming_enrolment_is_locked_like_a_login(client, staff, clock, settings):
    settings.LOGIN_FAILURE_LIMIT = 2
    client.force_login(staff)
    page = reverse("account:two_factor")
    client.post(page, {"action": "begin"})
    device = TwoFactorDevice.objects.get(user=staff)
    for _ in range(2):
        client.post(page, {"action": "confirm", "password": "guess", "code": "000000"})

    response = client.post(
        page, {"action": "confirm", "password": PASSWORD, "code": code_at(device, T0)}
    )

    assert "Too many failed attempts" in response.content.decode()
    device.refresh_from_db()
    assert device.confirmed_at is None
    assert not RecoveryCode.objects.exists()


# --- security changes end the user's other sessions -------------------------------------


def logged_in(client: Client) -> bool:
    """Whether the client's session is still logged in (a login-only page answers)."""
    return client.get(reverse("account:two_factor")).status_code == 200


def second_session(user: User) -> Client:
    """Another browser where ``user`` is logged in too."""
    other = Client(HTTP_ACCEPT_LANGUAGE="en")
    other.force_login(user)
    assert logged_in(other)
    return other


def test_switching_on_ends_the_other_sessions_but_not_this_one(client, staff, clock):
    client.force_login(staff)
    other = second_session(staff)
    page = reverse("account:two_factor")
    client.post(page, {"action": "begin"})
    device = TwoFactorDevice.objects.get(user=staff)
    assert logged_in(other)  # beginning alone changes nothing yet

    response = client.post(
        page, {"action": "confirm", "password": PASSWORD, "code": code_at(device, T0)}
    )

    assert response.context["recovery_codes"]
    assert logged_in(client)
    response = other.get(page)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert "_auth_user_id" not in other.session


def test_switching_off_ends_the_other_sessions_but_not_this_one(client, staff, clock):
    device, _codes = enrol(staff)
    client.force_login(staff)
    other = second_session(staff)

    response = client.post(
        reverse("account:two_factor"),
        {"action": "disable", "password": PASSWORD, "code": code_at(device, T0)},
    )

    assert response.status_code == 302
    assert not TwoFactorDevice.objects.filter(user=staff).exists()
    assert logged_in(client)
    assert not logged_in(other)


def test_new_recovery_codes_end_the_other_sessions_but_not_this_one(client, staff, clock):
    device, _codes = enrol(staff)
    client.force_login(staff)
    other = second_session(staff)

    response = client.post(
        reverse("account:two_factor"),
        {"action": "renew", "password": PASSWORD, "code": code_at(device, T0)},
    )

    assert len(response.context["recovery_codes"]) == 10
    assert logged_in(client)
    assert not logged_in(other)


def test_a_refused_switch_off_ends_no_session(client, staff, clock):
    enrol(staff)
    client.force_login(staff)
    other = second_session(staff)

    client.post(
        reverse("account:two_factor"), {"action": "disable", "password": PASSWORD, "code": "1"}
    )

    assert TwoFactorDevice.objects.filter(user=staff).exists()
    assert logged_in(client) and logged_in(other)


def test_an_administrator_reset_ends_every_session_of_the_person(staff, clock):
    device, _codes = enrol(staff)
    first, second = second_session(staff), second_session(staff)
    root = make_user(Role.ADMIN, username="root", is_superuser=True, is_staff=True)
    as_root = Client(HTTP_ACCEPT_LANGUAGE="en")
    as_root.force_login(root)

    as_root.post(
        reverse("admin:people_twofactordevice_changelist"),
        {"action": "reset_two_factor", "_selected_action": [device.pk]},
    )

    assert not TwoFactorDevice.objects.filter(user=staff).exists()
    assert not logged_in(first) and not logged_in(second)
    assert logged_in(as_root)


def test_a_superuser_resetting_their_own_keeps_the_session_in_use(clock):
    root = make_user(
        Role.ADMIN, username="root", password=PASSWORD, is_superuser=True, is_staff=True
    )
    device, _codes = enrol(root)
    as_root = Client(HTTP_ACCEPT_LANGUAGE="en")
    as_root.force_login(root)
    other = second_session(root)

    as_root.post(
        reverse("admin:people_twofactordevice_changelist"),
        {"action": "reset_two_factor", "_selected_action": [device.pk]},
    )

    assert not TwoFactorDevice.objects.filter(pk=device.pk).exists()
    assert logged_in(as_root)
    assert not logged_in(other)


def test_each_security_change_raises_the_session_epoch(staff, clock):
    device, _codes = enrol(staff)
    staff.refresh_from_db()
    assert staff.session_epoch == 1
    two_factor.renew_recovery_codes(user=staff, password=PASSWORD, code=code_at(device, T0))
    assert staff.session_epoch == 2  # the instance passed in is updated too
    two_factor.disable(
        user=staff, password=PASSWORD, code=code_at(device, T0 + timedelta(seconds=30))
    )
    admin = make_user(Role.ADMIN, username="root", is_superuser=True)
    assert not two_factor.reset(user=staff, actor=admin)  # nothing to reset: no change
    staff.refresh_from_db()
    assert staff.session_epoch == 3


def django_default_session_hash(user: User, secret: str | None = None) -> str:
    """The session hash Django 5.2 makes for a user (before the session epoch existed)."""
    return salted_hmac(
        "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash",
        user.password,
        secret=secret,
        algorithm="sha256",
    ).hexdigest()


def session_client(user: User, auth_hash: str) -> Client:
    """A browser holding a session stored the way Django's login stores it, with ``auth_hash``."""
    session = importlib.import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = auth_hash
    session.save()
    browser = Client(HTTP_ACCEPT_LANGUAGE="en")
    browser.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    return browser


def test_at_epoch_0_sessions_made_before_the_upgrade_stay_valid(staff):
    assert staff.session_epoch == 0
    assert staff.get_session_auth_hash() == django_default_session_hash(staff)
    before_upgrade = session_client(staff, django_default_session_hash(staff))
    assert logged_in(before_upgrade)
    assert before_upgrade.session[HASH_SESSION_KEY] == django_default_session_hash(staff)


def test_a_secret_key_fallback_still_verifies_sessions_of_the_current_epoch(staff, clock, settings):
    # Given a session signed under the old SECRET_KEY, at epoch 1
    enrol(staff)
    staff.refresh_from_db()
    with override_settings(SECRET_KEY="an-old-key-" + "x" * 50):
        signed_with_old = staff.get_session_auth_hash()
    # When the key is rotated with the old one kept as a fallback
    settings.SECRET_KEY_FALLBACKS = ["an-old-key-" + "x" * 50]
    browser = session_client(staff, signed_with_old)
    # Then the session still works (and is re-signed with the new key)
    assert logged_in(browser)
    assert browser.session[HASH_SESSION_KEY] == staff.get_session_auth_hash()
    # but a session of the previous epoch under that fallback does not.
    staff.session_epoch = 0
    with override_settings(SECRET_KEY="an-old-key-" + "x" * 50):
        previous_epoch = staff.get_session_auth_hash()
    assert not logged_in(session_client(staff, previous_epoch))


# --- the secret is encrypted at rest -------------------------------------------------------


def stored_secret(device: TwoFactorDevice) -> str:
    """The secret's column as the database holds it."""
    from django.db import connection

    table = connection.ops.quote_name(TwoFactorDevice._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT encrypted_secret FROM {table} WHERE id = %s", [device.pk])
        (value,) = cursor.fetchone()
    return str(value)


def test_the_database_holds_the_secret_encrypted_and_codes_still_work(staff, clock):
    device, _codes = enrol(staff)
    secret = two_factor.device_secret(device)

    stored = stored_secret(device)

    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    assert secret not in stored and not two_factor.is_plaintext_secret(stored)
    assert Fernet(two_factor.derived_key(settings.SECRET_KEY)).decrypt(stored.encode()) == (
        secret.encode()
    )
    assert two_factor.verify(user=staff, code=pyotp.TOTP(secret).at(T0))


def test_a_secret_encrypted_with_an_old_key_verifies_while_that_key_is_listed(
    staff, clock, settings
):
    # Given a device enrolled under one key
    first, second = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.TWO_FACTOR_ENCRYPTION_KEY = first
    device, _codes = enrol(staff)
    secret = two_factor.device_secret(device)
    # When the key is replaced and the first one kept as an old key
    settings.TWO_FACTOR_ENCRYPTION_KEY = second
    settings.TWO_FACTOR_ENCRYPTION_OLD_KEYS = [first]
    # Then codes still verify
    assert two_factor.verify(user=staff, code=pyotp.TOTP(secret).at(T0))
    # and after re-encrypting, the old key can go.
    assert two_factor.reencrypt_secrets() == 1
    assert two_factor.reencrypt_secrets() == 0
    settings.TWO_FACTOR_ENCRYPTION_OLD_KEYS = []
    device.refresh_from_db()
    Fernet(second.encode()).decrypt(device.encrypted_secret.encode())
    assert two_factor.verify(user=staff, code=pyotp.TOTP(secret).at(T0 + timedelta(seconds=30)))


def test_without_the_key_it_was_encrypted_with_the_secret_is_not_guessed(staff, clock, settings):
    settings.TWO_FACTOR_ENCRYPTION_KEY = Fernet.generate_key().decode()
    device, _codes = enrol(staff)
    settings.TWO_FACTOR_ENCRYPTION_KEY = Fernet.generate_key().decode()
    with pytest.raises(ImproperlyConfigured, match="TWO_FACTOR_ENCRYPTION_OLD_KEYS"):
        two_factor.device_secret(device)


def test_secrets_encrypted_with_the_derived_key_survive_setting_an_explicit_key(
    staff, clock, settings
):
    assert not settings.TWO_FACTOR_ENCRYPTION_KEY
    # (an old key listed while no key is set only decrypts: the derived key still encrypts)
    settings.TWO_FACTOR_ENCRYPTION_OLD_KEYS = [Fernet.generate_key().decode()]
    device, _codes = enrol(staff)
    secret = two_factor.device_secret(device)
    derived = Fernet(two_factor.derived_key(settings.SECRET_KEY))
    assert derived.decrypt(device.encrypted_secret.encode()).decode() == secret
    settings.TWO_FACTOR_ENCRYPTION_KEY = Fernet.generate_key().decode()
    assert two_factor.device_secret(device) == secret
    assert two_factor.reencrypt_secrets() == 1


def test_a_malformed_key_fails_the_system_check(settings):
    from wennuan.people.checks import check_two_factor_encryption_keys

    assert check_two_factor_encryption_keys() == []
    settings.TWO_FACTOR_ENCRYPTION_OLD_KEYS = ["not-a-key"]
    (error,) = check_two_factor_encryption_keys()
    assert error.id == "people.E002" and "TWO_FACTOR_ENCRYPTION_OLD_KEYS" in error.msg


def test_the_data_migration_encrypts_a_plaintext_secret_and_can_undo_it(staff):
    migration = importlib.import_module("wennuan.people.migrations.0006_two_factor_hardening")
    plain = pyotp.random_base32()
    # A row as 0005 left it: the base32 secret in clear
    device = TwoFactorDevice.objects.create(user=staff, encrypted_secret=plain)

    migration.encrypt_plaintext_secrets(django_apps, None)

    device.refresh_from_db()
    encrypted = device.encrypted_secret
    assert plain not in encrypted and two_factor.device_secret(device) == plain
    migration.encrypt_plaintext_secrets(django_apps, None)  # a second run leaves it alone
    device.refresh_from_db()
    assert device.encrypted_secret == encrypted

    migration.decrypt_secrets(django_apps, None)

    device.refresh_from_db()
    assert device.encrypted_secret == plain
