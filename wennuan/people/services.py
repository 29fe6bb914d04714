"""State changes of people: the duty roster."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils.translation import gettext as _

from wennuan.people.models import Shift, User

MAX_SHIFT = timedelta(hours=24)


class RosterError(Exception):
    """A shift that cannot be entered; the message says why. Nothing was changed."""


def add_shift(
    *, staff: User, starts_at: datetime, ends_at: datetime, leads_dispatch: bool = False
) -> Shift:
    """Put someone on the roster; a shift is at most 24 hours and may not overlap their others."""
    if ends_at <= starts_at:
        raise RosterError(_("A shift must end after it starts."))
    if ends_at - starts_at > MAX_SHIFT:
        raise RosterError(_("A shift is at most 24 hours."))
    if not staff.is_active:
        raise RosterError(_("%(name)s is deactivated.") % {"name": staff.display_name})
    with transaction.atomic():
        if Shift.objects.filter(staff=staff, starts_at__lt=ends_at, ends_at__gt=starts_at).exists():
            raise RosterError(
                _("%(name)s already has a shift in that time.") % {"name": staff.display_name}
            )
        return Shift.objects.create(
            staff=staff, starts_at=starts_at, ends_at=ends_at, leads_dispatch=leads_dispatch
        )


def remove_shift(*, shift: Shift) -> None:
    """Take a shift off the roster."""
    shift.delete()
