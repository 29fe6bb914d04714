"""Every page knows whether emergency mode is on (the banner)."""

from __future__ import annotations

from typing import Any

from wennuan.emergency.services import current_state, emergency_on


def emergency(request: Any) -> dict[str, Any]:
    # emergency_on() is cached; the switch's row is read only while the mode is on.
    if not emergency_on():
        return {"emergency": None}
    return {"emergency": current_state()}
