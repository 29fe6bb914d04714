"""Template context shared by every page: the role-based navigation."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from wennuan.people.choices import CHECK_IN_ROLES, Role


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The menu entries this user's role may use, with the current one marked."""
    user = request.user
    if not user.is_authenticated:
        return {"nav_items": []}
    items: list[tuple[str, Any]] = [("home", _("Overview"))]
    if user.sees_whole_city:
        items.append(("service:board", _("Dispatch board")))
    if user.role != Role.COMMUNITY_WORKER:
        items.append(("service:my_work", _("My work")))
    if not user.sees_whole_city:
        items.append(("service:list", _("Requests")))
    if user.sees_whole_city or user.role == Role.COMMUNITY_WORKER:
        items.append(("service:on_behalf", _("File for a resident")))
    if user.role == Role.COMMUNITY_WORKER:
        items.append(("community:mine", _("My community")))
    if user.role in (Role.INSPECTOR, Role.TECHNICIAN):
        items.append(("inspections:my_rounds", _("My rounds")))
    items += [
        ("grid:household_search", _("Households")),
        ("grid:zone_list", _("Zones")),
        ("people:roster", _("Duty roster")),
    ]
    items += [("people:health", _("Health check-in"))] if user.role in CHECK_IN_ROLES else []
    if user.sees_whole_city or user.role == Role.AGENT:
        items.append(("emergency:calls", _("Calls to make")))
    if user.role != Role.COMMUNITY_WORKER:
        items.append(("emergency:disinfection", _("Disinfection")))
    if user.sees_whole_city:
        items.append(("operations:dashboard", _("Heating operation")))
        items.append(("fuel:company", _("Coal reserve")))
        items.append(("emergency:mode", _("Emergency mode")))
        items.append(("inspections:oversight", _("Inspections")))
        items.append(("reports:briefing", _("Daily briefing")))
        items.append(("grid:station_list", _("Stations")))
        items.append(("grid:coverage", _("Coverage audit")))
        items.append(("community:partners", _("Partner communities")))
    if user.can_manage:
        items.append(("community:supplies", _("Supplies")))
        items.append(("grid:import", _("Import")))
        items.append(("open311_keys:list", _("API keys")))
    if user.is_staff:
        items.append(("admin:index", _("Master data")))
    path = request.path
    nav = []
    for name, label in items:
        url = reverse(name)
        # The longest matching prefix wins, so /service/my/ does not also light up /service/.
        active = path == url if url in ("/", "/service/") else path.startswith(url)
        nav.append({"url": url, "label": label, "active": active})
    return {"nav_items": nav}
