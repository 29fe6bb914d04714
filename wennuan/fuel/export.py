"""The yard's books, forecast and scenarios as an Excel workbook (.xlsx, openpyxl)."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from wennuan.fuel.forecast import Cover
from wennuan.fuel.models import CoalEntry
from wennuan.grid.models import HeatSource


def _text(value: str) -> str:
    """User-typed text, never a formula: Excel would run "=HYPERLINK(…)" from a supplier
    name or a CSV upload. A leading apostrophe makes it plain text."""
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _header(sheet: object, titles: Sequence[str]) -> None:
    sheet.append(list(titles))  # type: ignore[attr-defined]
    for cell in sheet[1]:  # type: ignore[index]
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"  # type: ignore[attr-defined]


def workbook(source: HeatSource, covers: Sequence[Cover], entries: Iterable[CoalEntry]) -> bytes:
    """Three sheets: scenarios side by side, the day-by-day forecast of each, the ledger."""
    book = Workbook()
    summary = book.active
    assert summary is not None
    summary.title = _("Scenarios")[:31]
    _header(
        summary,
        [
            _("Scenario"),
            _("Stock today (t)"),
            _("Burn per day (t)"),
            _("Days of cover"),
            _("Run-out date"),
            _("Below the reserve rule on"),
            _("Tonnes to order"),
            _("Order by"),
        ],
    )
    for cover in covers:
        summary.append(
            [
                f"{cover.scenario.label} ({cover.scenario.describe()})",
                round(cover.stock_t, 1),
                round(cover.burn_per_day_t, 1),
                round(cover.days_of_cover, 1) if cover.days_of_cover is not None else None,
                cover.run_out,
                cover.below_rule_on,
                round(cover.order_t, 1),
                cover.order_by,
            ]
        )
    days = book.create_sheet(_("Forecast")[:31])
    titles = [_("Day"), _("Mean temperature (°C)"), _("Forecast or normal")]
    for cover in covers:
        label = str(cover.scenario.label)
        titles += [f"{label}: {_('burn (t)')}", f"{label}: {_('stock (t)')}"]
    _header(days, titles)
    base = covers[0]
    for i, day in enumerate(base.days):
        row: list[object] = [
            day.day,
            day.mean_c,
            _("forecast") if day.from_forecast else _("normal"),
        ]
        for cover in covers:
            row += [round(cover.days[i].burn_t, 1), round(cover.days[i].stock_t, 1)]
        days.append(row)
    books = book.create_sheet(_("Ledger")[:31])
    _header(
        books,
        [
            _("Day"),
            _("Kind"),
            _("Tonnes"),
            _("Supplier"),
            _("Delivery note"),
            _("LHV (MJ/kg)"),
            _("Moisture (%)"),
            _("Reason"),
            _("Reverses entry"),
            _("Recorded by"),
            _("Recorded at"),
        ],
    )
    for entry in entries:
        books.append(
            [
                entry.day,
                entry.get_kind_display(),
                float(entry.tonnes),
                _text(entry.supplier),
                _text(entry.note_number),
                float(entry.lhv_mj_kg) if entry.lhv_mj_kg is not None else None,
                float(entry.moisture_pct) if entry.moisture_pct is not None else None,
                _text(entry.reason),
                entry.reverses_id,
                entry.created_by.display_name if entry.created_by else _("telemetry"),
                timezone.localtime(entry.created_at).replace(tzinfo=None),
            ]
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def company_workbook(rows: Sequence[Any]) -> bytes:
    """Every yard: the baseline cover and season plan, and the stock day by day."""
    book = Workbook()
    yards = book.active
    assert yards is not None
    yards.title = _("Yards")[:31]
    _header(
        yards,
        [
            _("Heat source"),
            _("Stock today (t)"),
            _("Burn per day (t)"),
            _("Days of cover"),
            _("Run-out date"),
            _("Below the reserve rule on"),
            _("Tonnes to order"),
            _("Order by"),
            _("Season: still to buy (t)"),
        ],
    )
    for row in rows:
        cover = row.cover
        yards.append(
            [
                _text(f"{row.source.code} {row.source.name}"),
                round(cover.stock_t, 1),
                round(cover.burn_per_day_t, 1),
                round(cover.days_of_cover, 1) if cover.days_of_cover is not None else None,
                cover.run_out,
                cover.below_rule_on,
                round(cover.order_t, 1),
                cover.order_by,
                round(row.plan.to_procure_t, 1),
            ]
        )
    days = book.create_sheet(_("Stock forecast")[:31])
    _header(days, [_("Day")] + [f"{row.source.code} (t)" for row in rows])
    if rows:
        for i, day in enumerate(rows[0].cover.days):
            days.append([day.day] + [round(row.cover.days[i].stock_t, 1) for row in rows])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
