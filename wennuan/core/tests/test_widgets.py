"""The Python-written widgets (core.widgets) write what Django's own widgets write."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms
from django.test.html import parse_html

from wennuan.core.widgets import (
    QuickNullBooleanSelect,
    QuickSelect,
    QuickSelectMultiple,
    QuickTextInput,
)

CHOICES = [("", "---------"), ("a", "Apple"), ("b<", 'B "quoted" & <b>'), (3, "三")]

CASES: list[tuple[type[forms.Widget], type[forms.Widget], dict[str, Any], Any]] = [
    (QuickSelect, forms.Select, {"choices": CHOICES}, "b<"),
    (QuickSelect, forms.Select, {"choices": CHOICES}, None),
    (QuickSelect, forms.Select, {"choices": CHOICES}, 3),
    (QuickSelectMultiple, forms.SelectMultiple, {"choices": CHOICES}, ["a", "3"]),
    (QuickSelectMultiple, forms.SelectMultiple, {"choices": CHOICES}, []),
    (QuickNullBooleanSelect, forms.NullBooleanSelect, {}, True),
    (QuickNullBooleanSelect, forms.NullBooleanSelect, {}, "false"),
    (QuickNullBooleanSelect, forms.NullBooleanSelect, {}, None),
    (QuickTextInput, forms.TextInput, {}, 'a "quoted" <value> & more'),
    (QuickTextInput, forms.TextInput, {}, None),
    (QuickTextInput, forms.TextInput, {}, ""),
]


@pytest.mark.parametrize(("quick", "django_widget", "kwargs", "value"), CASES)
def test_a_quick_widget_writes_the_same_html_as_djangos(quick, django_widget, kwargs, value):
    attrs = {"class": "form-select form-select-sm", "size": 3, "data-x": '"<&>'}
    ours = quick(attrs=attrs, **kwargs).render("field", value, attrs={"id": "id_field"})
    theirs = django_widget(attrs=attrs, **kwargs).render("field", value, attrs={"id": "id_field"})
    assert parse_html(ours) == parse_html(theirs), (ours, theirs)


def test_values_and_labels_are_escaped():
    html = QuickSelect(choices=CHOICES).render("f", "b<")
    assert "<b>" not in html and "&lt;b&gt;" in html
    assert '<option value="b&lt;" selected>' in html
    text = QuickTextInput().render("q", '"><script>alert(1)</script>')
    assert "<script>" not in text and "&lt;script&gt;" in text


def test_a_multiple_select_marks_every_chosen_value_and_says_multiple():
    html = QuickSelectMultiple(choices=CHOICES).render("status", ["a", "3"])
    assert " multiple" in html
    assert '<option value="a" selected>' in html and '<option value="3" selected>' in html
    assert '<option value="b&lt;">' in html
