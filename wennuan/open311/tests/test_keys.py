"""Issuing and revoking Open311 keys: the manager's page and the shell command."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from wennuan.grid.tests.factories import make_user
from wennuan.open311.models import ApiKey
from wennuan.open311.services import authenticate, digest, issue_key
from wennuan.people.choices import Role

pytestmark = pytest.mark.django_db


def test_a_key_is_stored_only_as_a_digest_and_authenticates():
    issued = issue_key(name="hotline")
    row = ApiKey.objects.get()
    assert issued.key not in (row.prefix, row.digest, row.name)
    assert row.digest == digest(issued.key)
    assert authenticate(issued.key) == row


def test_the_command_prints_a_new_key_lists_and_revokes():
    out = io.StringIO()
    call_command("open311_key", "create", "Community app", stdout=out, stderr=io.StringIO())
    key = out.getvalue().strip()
    assert authenticate(key).name == "Community app"
    listed = io.StringIO()
    call_command("open311_key", "list", stdout=listed)
    assert "Community app  active, never used" in listed.getvalue()
    call_command("open311_key", "revoke", "Community app", stdout=io.StringIO())
    assert ApiKey.objects.get().revoked_at is not None
    with pytest.raises(CommandError, match="already has a key"):
        call_command("open311_key", "create", "Community app", stdout=io.StringIO())
    with pytest.raises(CommandError, match="No key"):
        call_command("open311_key", "revoke", "nobody", stdout=io.StringIO())


def test_a_manager_issues_a_key_on_the_page_and_sees_it_once(client):
    manager = make_user(Role.MANAGER)
    client.force_login(manager)
    response = client.post(reverse("open311_keys:list"), {"name": "12345 hotline"})
    assert response.status_code == 200
    shown = response.context["new_key"]
    assert authenticate(shown).created_by == manager
    again = client.get(reverse("open311_keys:list"))
    assert shown not in again.content.decode()


def test_a_duplicate_name_is_refused_on_the_field(client):
    issue_key(name="12345 hotline")
    client.force_login(make_user(Role.MANAGER))
    response = client.post(
        reverse("open311_keys:list"), {"name": "12345 hotline"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert "already has a key" in response.context["form"].errors["name"][0]
    assert ApiKey.objects.count() == 1


def test_a_manager_revokes_a_key(client):
    issued = issue_key(name="old partner")
    client.force_login(make_user(Role.MANAGER))
    response = client.post(reverse("open311_keys:revoke", args=[issued.api_key.pk]))
    assert response.status_code == 302
    issued.api_key.refresh_from_db()
    assert issued.api_key.revoked_at is not None


@pytest.mark.parametrize("role", [Role.DISPATCHER, Role.TECHNICIAN, Role.COMMUNITY_WORKER])
def test_other_roles_can_neither_see_issue_nor_revoke(client, role):
    issued = issue_key(name="partner")
    client.force_login(make_user(role))
    assert client.get(reverse("open311_keys:list")).status_code == 403
    assert client.post(reverse("open311_keys:list"), {"name": "mine"}).status_code == 403
    assert client.post(reverse("open311_keys:revoke", args=[issued.api_key.pk])).status_code == 403
    assert ApiKey.objects.count() == 1
    issued.api_key.refresh_from_db()
    assert issued.api_key.revoked_at is None
