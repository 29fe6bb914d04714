"""Exposure traces as an Excel workbook and as CSV (the households to call). Phone numbers
are masked: a file travels; the calls themselves are made from the call list, where the
caller assigned sees the full number."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from wennuan.core.privacy import mask_phone


def _rows(trace: Any) -> dict[str, tuple[list[str], list[list[Any]]]]:
    local = timezone.localtime
    return {
        _("Households visited"): (
            [_("Account"), _("Address"), _("Phone"), _("Visited at"), _("Request")],
            [
                [
                    v.household.account_number,
                    v.household.address,
                    mask_phone(v.household.phone),
                    local(v.checked_in_at).strftime("%Y-%m-%d %H:%M") if v.checked_in_at else "",
                    v.request.number,
                ]
                for v in trace.visits
                if v.household
            ],
        ),
        _("Colleagues"): (
            [_("Colleague"), _("Login"), _("Phone"), _("How"), _("When")],
            [
                [
                    c.colleague.display_name,
                    c.colleague.username,
                    mask_phone(c.colleague.phone),
                    _("shared a shift") if c.how == "shift" else _("visited the same home"),
                    local(c.when).strftime("%Y-%m-%d %H:%M"),
                ]
                for c in trace.contacts
            ],
        ),
        _("Sites disinfected"): (
            [_("Site"), _("Done at"), _("Disinfectant")],
            [
                [d.site.name, local(d.done_at).strftime("%Y-%m-%d %H:%M"), d.agent]
                for d in trace.disinfections
            ],
        ),
    }


def _safe(value: Any) -> Any:
    # Text typed by people is never a formula in a spreadsheet.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def trace_workbook(trace: Any) -> bytes:
    book = Workbook()
    first = True
    for title, (header, rows) in _rows(trace).items():
        sheet = book.active if first else book.create_sheet()
        assert sheet is not None
        sheet.title = title[:31]
        first = False
        sheet.append(header)
        for row in rows:
            sheet.append([_safe(v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def trace_csv(trace: Any) -> str:
    """The households visited (UTF-8 with a BOM, so spreadsheet programs read the Chinese)."""
    header, rows = next(iter(_rows(trace).values()))
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows([[_safe(v) for v in row] for row in rows])
    return out.getvalue()
