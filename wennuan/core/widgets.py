"""Widgets written out in Python, for pages that render forms on every load.

Django renders each widget through its own templates (an ``<input>`` ~0.3 ms, a ``<select>``
~40 µs an option more): the dispatch board, reloaded all day by every dispatcher, spent a
quarter of its time on its filter and bulk-action forms (docs/performance.md). These write
the same markup, with the same attributes (Bootstrap's classes from ``apply_styles``
included), as plain strings; every value and label is escaped. No option groups.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Any

from django import forms
from django.forms.utils import flatatt
from django.utils.safestring import SafeString, mark_safe

# The mixin is only ever mixed into a forms.Select; mypy checks it as one.
if TYPE_CHECKING:
    _SelectBase = forms.Select
else:
    _SelectBase = object


class QuickOptionsMixin(_SelectBase):
    """``render`` for a select whose options are (value, label) pairs: one string, no
    template per option."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        final = self.build_attrs(self.attrs, attrs)
        if self.allow_multiple_selected:
            final["multiple"] = True
        formatted = self.format_value(value)
        # Select gives a list of strings; NullBooleanSelect one string ("true", "unknown").
        formatted = [formatted] if isinstance(formatted, str) else formatted
        selected = {str(v) for v in formatted}
        options = []
        for option_value, label in self.choices:
            key = "" if option_value is None else str(option_value)
            mark = " selected" if key in selected else ""
            options.append(f'<option value="{escape(key)}"{mark}>{escape(str(label))}</option>')
        # As Django's template writes it: the name, then the other attributes (flatatt sorts
        # them). Every value and label is escaped above; flatatt escapes the attributes.
        return mark_safe(  # nosec B308 B703
            f'<select name="{escape(name)}"{flatatt(final)}>{"".join(options)}</select>'
        )


class QuickSelect(QuickOptionsMixin, forms.Select):
    """A single ``<select>`` (a city's 2,016 zones took the board's filter 90 ms by
    Django's templates)."""


class QuickSelectMultiple(QuickOptionsMixin, forms.SelectMultiple):
    """A ``<select multiple>``."""


class QuickNullBooleanSelect(QuickOptionsMixin, forms.NullBooleanSelect):
    """The "yes / no / either" select of a filter."""


class QuickTextInput(forms.TextInput):
    """An ``<input type="text">``."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        shown = self.format_value(value)
        value_attr = "" if shown is None else f' value="{escape(str(shown))}"'
        # As Django's template writes it: type, name, value, then the other attributes
        # (flatatt sorts and escapes them); the rest is escaped here.
        return mark_safe(  # nosec B308 B703
            f'<input type="{escape(self.input_type)}" name="{escape(name)}"{value_attr}'
            f"{flatatt(self.build_attrs(self.attrs, attrs))}>"
        )
