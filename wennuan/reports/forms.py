"""The briefing page's choice of day and version."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wennuan.people.forms import day_out_of_range


def default_day() -> date:
    """The latest whole day: yesterday (the morning briefing's day)."""
    return timezone.localdate() - timedelta(days=1)


class BriefingDayForm(forms.Form):
    """``?day=YYYY-MM-DD`` (default: yesterday; from ``EARLIEST_DAY`` to today) and
    ``?version=N`` (default: the latest)."""

    day = forms.DateField(label=_("Day"), required=False, input_formats=["%Y-%m-%d"])
    version = forms.IntegerField(label=_("Version"), required=False, min_value=1)

    def clean_day(self) -> date:
        day: date | None = self.cleaned_data.get("day")
        if day is None:
            return default_day()
        today = timezone.localdate()
        if day > today:
            raise forms.ValidationError(_("There is no briefing for a day that has not begun."))
        problem = day_out_of_range(day, latest=today)
        if problem:
            raise forms.ValidationError(problem)
        return day

    def chosen(self) -> tuple[date, int | None]:
        """The valid day and version, falling back to the defaults for a bad value."""
        self.is_valid()  # a bad version keeps a good day, and the other way round
        data: dict[str, Any] = self.cleaned_data
        return data.get("day") or default_day(), data.get("version")
