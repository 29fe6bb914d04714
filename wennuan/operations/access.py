"""Who may see the heat network's telemetry: the operations dashboard, station pages and their
readings, alarms (and acting on them)."""

from __future__ import annotations

from typing import Any

from wennuan.people.choices import Role

# The company's own roles, listed (not "all but community workers"): a role added later sees
# no telemetry until it is put here.
NETWORK_ROLES = frozenset(
    {Role.MANAGER, Role.DISPATCHER, Role.AGENT, Role.TECHNICIAN, Role.INSPECTOR, Role.ADMIN}
)


def sees_network(user: Any) -> bool:
    """The company's own staff, each within their scope (``Station.objects.for_user``).

    Partner communities' workers file for residents and follow their community's requests,
    but the network's telemetry is company-internal (docs/security.md, "Authorization").
    """
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and (user.is_superuser or user.role in NETWORK_ROLES)
    )
