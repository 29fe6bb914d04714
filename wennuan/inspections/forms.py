"""Forms of inspection pages: the round sheet (every item of every facility's checklist, a
note and a photo per facility), the draft the phone keeps, giving a round to someone."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wennuan.inspections.choices import ItemKind
from wennuan.inspections.models import ChecklistItem, Facility
from wennuan.inspections.services import Answer, FacilityAnswers
from wennuan.people.models import User
from wennuan.service.services import photo_type
from wennuan.service.services.base import MAX_PHOTO_BYTES

MAX_TEXT = 500
# The names of a round's fields: f<facility>-i<item>-passed|reading|text, f<facility>-note,
# f<facility>-photo. The draft keeps every one but the photos.
FIELD_NAME = re.compile(r"^f\d+-(?:i\d+-(?:passed|reading|text)|note)$")
PASSED, FAILED = "1", "0"


def item_name(facility: Facility, item: ChecklistItem) -> str:
    suffixes: dict[str, str] = {ItemKind.PASS_FAIL: "passed", ItemKind.READING: "reading"}
    suffix = suffixes.get(item.kind, "text")
    return f"f{facility.pk}-i{item.pk}-{suffix}"


class ReadingField(forms.FloatField):
    """A number as typed on a phone: a decimal comma (or a full-width one) is a point."""

    def to_python(self, value: Any) -> float | None:  # type: ignore[override]
        if isinstance(value, str):
            value = value.strip().replace("，", ".").replace(",", ".").replace("。", ".")
        return super().to_python(value)


@dataclass
class ItemRow:
    """One checklist item as the page shows it."""

    item: ChecklistItem
    name: str
    value: str
    missing: bool
    errors: list[str]

    @property
    def range_text(self) -> str:
        """The acceptable range with its unit, e.g. "-20–45 °C"."""
        low, high, unit = self.item.low, self.item.high, self.item.unit
        if low is not None and high is not None:
            text = f"{low:g}–{high:g}"
        elif low is not None:
            text = f"≥ {low:g}"
        elif high is not None:
            text = f"≤ {high:g}"
        else:
            return ""
        return f"{text} {unit}".strip()


@dataclass
class FacilitySheet:
    """One facility of the route with its checklist, note and photo fields."""

    position: int
    facility: Facility
    rows: list[ItemRow]
    note_name: str
    note: str
    photo_name: str
    errors: list[str] = field(default_factory=list)

    @property
    def done(self) -> bool:
        """Every pass/fail chosen and every reading entered."""
        return all(row.value != "" for row in self.rows if row.item.kind != ItemKind.TEXT)

    @property
    def has_problems(self) -> bool:
        return bool(self.errors) or any(row.missing or row.errors for row in self.rows)


class RoundForm(forms.Form):
    """The whole round: one field per checklist item of every facility, a note and a photo
    per facility, and the submission key the page keeps through reloads."""

    key = forms.CharField(max_length=64, widget=forms.HiddenInput)

    def __init__(
        self,
        *args: Any,
        facilities: list[Facility],
        items: dict[str, list[ChecklistItem]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.facilities = facilities
        self.items = items
        for facility in facilities:
            for item in items[facility.kind]:
                label = f"{facility.code} · {item.text}"
                name = item_name(facility, item)
                if item.kind == ItemKind.PASS_FAIL:
                    self.fields[name] = forms.ChoiceField(
                        label=label,
                        required=False,
                        choices=[(PASSED, _("Pass")), (FAILED, _("Fail"))],
                    )
                elif item.kind == ItemKind.READING:
                    self.fields[name] = ReadingField(label=label, required=False)
                else:
                    self.fields[name] = forms.CharField(
                        label=label, required=False, max_length=MAX_TEXT
                    )
            self.fields[f"f{facility.pk}-note"] = forms.CharField(
                label=f"{facility.code} · {_('Note')}", required=False, max_length=MAX_TEXT
            )
            self.fields[f"f{facility.pk}-photo"] = forms.FileField(
                label=f"{facility.code} · {_('Photo')}", required=False
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for facility in self.facilities:
            name = f"f{facility.pk}-photo"
            photo = cleaned.get(name)
            if not isinstance(photo, UploadedFile):
                continue
            if (photo.size or 0) > MAX_PHOTO_BYTES:
                self.add_error(name, _("The photo is larger than 5 MB."))
                continue
            photo.seek(0)
            kind = photo_type(photo.read(16))
            photo.seek(0)
            if kind is None:
                self.add_error(name, _("The photo is not a JPEG or PNG."))
        return cleaned

    def problems(self) -> list[str]:
        """Every field error, each with the facility and item it belongs to."""
        out = []
        for name, errors in self.errors.items():
            label = self.fields[name].label if name in self.fields else ""
            for error in errors:
                out.append(f"{label}: {error}" if label else str(error))
        return out

    def answers(self) -> dict[int, FacilityAnswers]:
        """What was entered, per facility; a facility where nothing at all was entered is left
        out (the round then says it was not inspected)."""
        data = self.cleaned_data
        out: dict[int, FacilityAnswers] = {}
        for facility in self.facilities:
            answers: dict[int, Answer] = {}
            entered = not self.items[facility.kind]  # nothing to check: visited
            for item in self.items[facility.kind]:
                value = data.get(item_name(facility, item))
                answer = Answer()
                if item.kind == ItemKind.PASS_FAIL:
                    answer.passed = {PASSED: True, FAILED: False}.get(value or "")
                    entered |= answer.passed is not None
                elif item.kind == ItemKind.READING:
                    answer.reading = value
                    entered |= value is not None
                else:
                    answer.text = value or ""
                    entered |= bool(answer.text.strip())
                answers[item.pk] = answer
            note = data.get(f"f{facility.pk}-note") or ""
            photo = data.get(f"f{facility.pk}-photo") or None
            if entered or note.strip() or photo is not None:
                out[facility.pk] = FacilityAnswers(answers=answers, note=note, photo=photo)
        return out

    def _value(self, name: str) -> str:
        value = self[name].value()
        return "" if value is None else str(value)

    def sheet(self, *, mark_missing: bool = False) -> list[FacilitySheet]:
        """The route as the page shows it: facility by facility, item by item, with what was
        entered (or kept in the draft) and, after a refused submit, what is missing."""
        out = []
        for position, facility in enumerate(self.facilities, start=1):
            rows = []
            for item in self.items[facility.kind]:
                name = item_name(facility, item)
                value = self._value(name)
                required = item.kind != ItemKind.TEXT
                rows.append(
                    ItemRow(
                        item=item,
                        name=name,
                        value=value,
                        missing=mark_missing and required and value == "",
                        errors=[str(e) for e in self.errors.get(name, [])],
                    )
                )
            note_name = f"f{facility.pk}-note"
            photo_name = f"f{facility.pk}-photo"
            out.append(
                FacilitySheet(
                    position=position,
                    facility=facility,
                    rows=rows,
                    note_name=note_name,
                    note=self._value(note_name),
                    photo_name=photo_name,
                    errors=[str(e) for e in self.errors.get(photo_name, [])]
                    + [str(e) for e in self.errors.get(note_name, [])],
                )
            )
        return out


def clean_draft(payload: Any) -> dict[str, Any] | None:
    """What the page sends to keep (``{"values": {name: text}, "key": …, "t": ms}``) reduced
    to the round's field names and short strings; None when it is not that shape."""
    if not isinstance(payload, dict) or not isinstance(payload.get("values"), dict):
        return None
    values = {
        str(name)[:40]: str(value)[:MAX_TEXT]
        for name, value in payload["values"].items()
        if isinstance(name, str)
        and FIELD_NAME.match(name)
        and isinstance(value, str | int | float)
        and not isinstance(value, bool)
    }
    key = payload.get("key")
    stamp = payload.get("t")
    return {
        "values": values,
        "key": key[:64] if isinstance(key, str) else "",
        "t": int(stamp) if isinstance(stamp, int | float) and not isinstance(stamp, bool) else 0,
    }


class AssignForm(forms.Form):
    """Give a round to one of its zone's inspection people."""

    username = forms.ChoiceField(label=gettext_lazy("Give to"))

    def __init__(self, *args: Any, people: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.people = {person.username: person for person in people}
        choice = self.fields["username"]
        assert isinstance(choice, forms.ChoiceField)
        choice.choices = [(person.username, person.display_name) for person in people]

    def assignee(self) -> User:
        return self.people[self.cleaned_data["username"]]
