"""Login, throttling of failed attempts, and the language switch."""

from __future__ import annotations

import pytest
from django.urls import reverse

from wennuan.core.models import FailedLogin
from wennuan.people.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return User.objects.create_user(username="wang", password="correct-horse-9", role="dispatcher")


def test_correct_password_logs_in_and_clears_failures(client, staff):
    client.post(reverse("login"), {"username": "wang", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "wang", "password": "correct-horse-9"})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert not FailedLogin.objects.exists()


def test_wrong_password_is_refused_with_a_message(client, staff):
    response = client.post(
        reverse("login"), {"username": "wang", "password": "wrong"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert FailedLogin.objects.filter(username="wang").count() == 1


def test_fifth_failure_locks_even_the_right_password(client, staff, settings):
    settings.LOGIN_FAILURE_LIMIT = 5
    for _ in range(5):
        client.post(reverse("login"), {"username": "wang", "password": "wrong"})
    response = client.post(
        reverse("login"),
        {"username": "wang", "password": "correct-horse-9"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert "Too many failed attempts" in response.content.decode()


def test_language_switch_changes_the_page_language(client, staff):
    client.force_login(staff)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert 'lang="en"' in client.get(reverse("home")).content.decode()
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    page = client.get(reverse("home")).content.decode()
    assert 'lang="zh-hans"' in page
    assert "住户" in page  # "Households" in Chinese


def test_health_endpoints_answer_without_login(client):
    assert client.get("/healthz").content == b"ok"
    response = client.get("/readyz")
    assert response.status_code == 200 and response.content == b"ok"


def test_behind_a_proxy_failures_count_against_the_callers_address_not_the_proxys(
    client, staff, settings
):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.LOGIN_FAILURE_LIMIT = 5
    # Twenty failures from one address, under twenty names, all through the proxy.
    for n in range(20):
        client.post(
            reverse("login"),
            {"username": f"guess{n}", "password": "wrong"},
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR="203.0.113.9",
        )
    assert set(FailedLogin.objects.values_list("ip_address", flat=True)) == {"203.0.113.9"}
    # Someone else, through the same proxy, still logs in.
    response = client.post(
        reverse("login"),
        {"username": "wang", "password": "correct-horse-9"},
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="198.51.100.7",
    )
    assert response.status_code == 302
