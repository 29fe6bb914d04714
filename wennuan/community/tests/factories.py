"""Small factories for partnership tests: a partner community with its liaison, items."""

from __future__ import annotations

from datetime import date
from typing import Any

from wennuan.community.models import PartnerCommunity, SupplyItem
from wennuan.grid.models import Community
from wennuan.grid.tests.factories import make_community, make_user
from wennuan.people.choices import Role
from wennuan.people.models import User


def make_partner(community: Community | None = None, **fields: Any) -> PartnerCommunity:
    fields.setdefault("since", date(2020, 2, 11))
    fields.setdefault("liaison", make_user(Role.MANAGER))
    return PartnerCommunity.objects.create(community=community or make_community(), **fields)


def item(code: str = "mask-medical") -> SupplyItem:
    return SupplyItem.objects.get(code=code)


def party_member(post: str = "维修党员先锋岗", **fields: Any) -> User:
    return make_user(Role.TECHNICIAN, is_party_member=True, vanguard_post=post, **fields)
