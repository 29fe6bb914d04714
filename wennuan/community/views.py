"""Partnership pages: partner communities (list and page), the supplies books, and the
community worker's home page. Thin: reads come from selectors, every change goes through
services; a refusal re-renders the page with the message and changes nothing."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wennuan.community import forms, selectors, services
from wennuan.community.models import PartnerCommunity, PartyMemberReport, SupplyEntry, SupportRecord
from wennuan.core.paging import page_size
from wennuan.grid.selectors import search_households
from wennuan.people.selectors import request_user


def _not_found() -> Http404:
    return Http404(_("Not found, or not in your area."))


def _partner(request: HttpRequest, pk: int) -> PartnerCommunity:
    found = selectors.partner_for_user(request.user, pk)
    if found is None:
        raise _not_found()
    return found


# --- partners -----------------------------------------------------------------------------


@login_required
def partners(request: HttpRequest) -> HttpResponse:
    """Every partnership with its members reported in, donations and volunteer hours."""
    if selectors.is_community_worker(request.user):
        return redirect("community:mine")
    if not selectors.may_see_partners(request.user):
        raise _not_found()
    return render(
        request, "community/partners.html", {"rows": selectors.partner_rows(request.user)}
    )


def _partner_page(
    request: HttpRequest,
    partner: PartnerCommunity,
    bound: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    may_manage = selectors.may_manage_partners(request.user)
    page_forms: dict[str, Any] = {}
    if may_manage:
        page_forms = {
            "member": forms.MemberReportForm(),
            "support": forms.DonationForm(partner=partner),
            "lines": forms.LineFormSet(prefix="lines"),
            "activity": forms.ActivityForm(partner=partner),
            **(bound or {}),
        }
    members = list(selectors.member_reports(partner))
    return render(
        request,
        "community/partner.html",
        {
            "partner": partner,
            "contacts": partner.contacts.all(),
            "members": members,
            "records": selectors.support_records(partner),
            "totals": selectors.donated_totals(partner),
            "activities": selectors.activities(partner),
            "hours": selectors.volunteer_hours(partner),
            "serving_count": sum(1 for m in members if m.serving),
            "may_manage": may_manage,
            "forms": page_forms,
            # Suggestions for login-name fields: the liaison and the members reported in.
            "suggestions": [partner.liaison, *[m.member for m in members if m.serving]],
        },
        status=status,
    )


@login_required
def partner(request: HttpRequest, pk: int) -> HttpResponse:
    """One partnership: contacts, members and their posts, donations, joint activities."""
    return _partner_page(request, _partner(request, pk))


def _manager(request: HttpRequest) -> Any:
    user = request_user(request)
    if not selectors.may_manage_partners(user):
        raise PermissionDenied
    return user


@login_required
@require_POST
def partner_record(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Record a member reported in, a donation, or a joint activity on a partner's page."""
    found = _partner(request, pk)
    user = _manager(request)
    if action == "member":
        bound = _report_in(request, found, user)
    elif action == "support":
        form = forms.DonationForm(request.POST, partner=found)
        lines = forms.LineFormSet(request.POST, prefix="lines")
        bound = (
            None
            if _record_donation(request, form, lines, found, user)
            else {
                "support": form,
                "lines": lines,
            }
        )
    elif action == "activity":
        bound = _activity(request, found, user)
    else:
        raise _not_found()
    if bound is None:
        return redirect("community:partner", pk=pk)
    return _partner_page(request, found, bound, status=400)


def _report_in(request: HttpRequest, partner: PartnerCommunity, user: Any) -> dict[str, Any] | None:
    """None when recorded, else the bound form with its errors."""
    form = forms.MemberReportForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.report_in_member(
                partner=partner,
                member=data["member"],
                vanguard_post=data["vanguard_post"],
                reported_on=data["reported_on"],
                note=data["note"],
                actor=user,
            )
        except services.CommunityRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, _("Member reported in."))
            return None
    return {"member": form}


def _activity(request: HttpRequest, partner: PartnerCommunity, user: Any) -> dict[str, Any] | None:
    """None when recorded, else the bound form with its errors."""
    form = forms.ActivityForm(request.POST, partner=partner)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.record_activity(
                partner=partner,
                day=data["day"],
                title=data["title"],
                description=data["description"],
                community_volunteers=data["community_volunteers"],
                participants=form.participants(),
                actor=user,
            )
        except services.CommunityRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, _("Joint activity recorded."))
            return None
    return {"activity": form}


def _record_donation(
    request: HttpRequest,
    form: forms.DonationForm,
    lines: Any,
    partner: PartnerCommunity | None,
    user: Any,
) -> bool:
    """Record the donation of a bound form and line formset; False (errors on the form) when
    anything is wrong."""
    if not (form.is_valid() and lines.is_valid()):
        return False
    data = form.cleaned_data
    try:
        services.record_donation(
            partner=partner or data["partner"],
            day=data["day"],
            handed_over_by=data["handed_over_by"],
            received_by=data["received_by"],
            note=data["note"],
            lines=forms.donation_lines(lines),
            actor=user,
        )
    except services.CommunityRefused as refusal:
        form.add_error(None, str(refusal))
        return False
    messages.success(request, _("Donation recorded."))
    return True


@login_required
@require_POST
def end_report(request: HttpRequest, pk: int) -> HttpResponse:
    """End a member's service in a community."""
    report = PartyMemberReport.objects.filter(pk=pk).first()
    if report is None:
        raise _not_found()
    _partner(request, report.partner_id)
    user = _manager(request)
    form = forms.EndReportForm(request.POST)
    try:
        if not form.is_valid():
            raise services.CommunityRefused(_("Enter the day the service ended."))
        services.end_member_report(
            report=report, ended_on=form.cleaned_data["ended_on"], actor=user
        )
        messages.success(request, _("Service ended."))
    except services.CommunityRefused as refusal:
        messages.error(request, str(refusal))
    return redirect("community:partner", pk=report.partner_id)


@login_required
@require_POST
def reverse_support(request: HttpRequest, pk: int) -> HttpResponse:
    """Reverse a wrong support record (its stock lines go back into the books)."""
    record = SupportRecord.objects.filter(pk=pk).first()
    if record is None:
        raise _not_found()
    _partner(request, record.partner_id)
    user = _manager(request)
    form = forms.ReverseForm(request.POST)
    try:
        if not form.is_valid():
            raise services.CommunityRefused(_("Say why the record is reversed."))
        services.reverse_support(record=record, reason=form.cleaned_data["reason"], actor=user)
        messages.success(request, _("Donation reversed; its stock is back in the books."))
    except services.CommunityRefused as refusal:
        messages.error(request, str(refusal))
    target = request.POST.get("next")
    if target == "supplies":
        return redirect("community:supplies")
    return redirect("community:partner", pk=record.partner_id)


# --- supplies -----------------------------------------------------------------------------


def _keeper(request: HttpRequest) -> Any:
    user = request_user(request)
    if not selectors.may_keep_supplies(user):
        raise _not_found()
    return user


def _supplies_page(
    request: HttpRequest, bound: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    page_forms = {
        "receipt": forms.ReceiptForm(),
        "issue": forms.IssueForm(),
        "donation": forms.DonationForm(),
        "lines": forms.LineFormSet(prefix="lines"),
        **(bound or {}),
    }
    entries = Paginator(selectors.ledger(), page_size(request, 50)).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "community/supplies.html",
        {
            "balances": selectors.balances(),
            "page": entries,
            "donations": selectors.recent_donations(),
            "forms": page_forms,
        },
        status=status,
    )


@login_required
def supplies(request: HttpRequest) -> HttpResponse:
    """Balances per item, the ledger, and the forms to record and reverse."""
    _keeper(request)
    return _supplies_page(request)


@login_required
@require_POST
def supplies_record(request: HttpRequest, kind: str) -> HttpResponse:
    """Record a receipt, an issue to staff, or a donation to a partner."""
    user = _keeper(request)
    bound: dict[str, Any]
    if kind == "donation":
        form: Any = forms.DonationForm(request.POST)
        lines = forms.LineFormSet(request.POST, prefix="lines")
        bound = {"donation": form, "lines": lines}
        if _record_donation(request, form, lines, None, user):
            return redirect("community:supplies")
        return _supplies_page(request, bound, status=400)
    if kind == "receipt":
        form = forms.ReceiptForm(request.POST)
    elif kind == "issue":
        form = forms.IssueForm(request.POST)
    else:
        raise _not_found()
    if form.is_valid():
        data = form.cleaned_data
        try:
            if kind == "receipt":
                services.record_receipt(
                    item=data["item"],
                    day=data["day"],
                    quantity=data["quantity"],
                    source=data["source"],
                    note=data["note"],
                    actor=user,
                )
                messages.success(request, _("Receipt recorded."))
            else:
                services.issue_to_staff(
                    item=data["item"],
                    day=data["day"],
                    quantity=data["quantity"],
                    staff=data["staff"],
                    note=data["note"],
                    actor=user,
                )
                messages.success(request, _("Issue recorded."))
            return redirect("community:supplies")
        except services.CommunityRefused as refusal:
            form.add_error(None, str(refusal))
    return _supplies_page(request, {kind: form}, status=400)


@login_required
@require_POST
def supplies_reverse(request: HttpRequest, pk: int) -> HttpResponse:
    """Reverse a receipt or an issue, with the reason."""
    user = _keeper(request)
    entry = SupplyEntry.objects.select_related("item").filter(pk=pk).first()
    if entry is None:
        raise _not_found()
    form = forms.ReverseForm(request.POST)
    try:
        if not form.is_valid():
            raise services.CommunityRefused(_("Say why the entry is reversed."))
        services.reverse_entry(entry=entry, reason=form.cleaned_data["reason"], actor=user)
        messages.success(request, _("Entry reversed."))
    except services.CommunityRefused as refusal:
        messages.error(request, str(refusal))
    return redirect("community:supplies")


# --- the community worker -----------------------------------------------------------------


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    """The community worker's home: find a home and file for its resident, every request
    from the community with its status, and what the company donated to the community."""
    user = request_user(request)
    if not selectors.is_community_worker(user) or user.community_id is None:
        raise _not_found()
    search = forms.HouseholdSearchForm(request.GET or None)
    query = search.cleaned_data["q"].strip() if search.is_valid() else ""
    homes = list(search_households(user=user, query=query, limit=20)) if query else None
    show = request.GET.get("show", "open")
    requests = selectors.community_requests(user, open_only=show != "all")
    page = Paginator(requests, page_size(request, 20)).get_page(request.GET.get("page"))
    found = PartnerCommunity.objects.for_user(user).select_related("community", "liaison").first()
    return render(
        request,
        "community/mine.html",
        {
            "community": user.community,
            "partner": found,
            "search": search,
            "query": query,
            "homes": homes,
            "show": "all" if show == "all" else "open",
            "page": page,
            "records": selectors.support_records(found) if found else [],
            "totals": selectors.donated_totals(found) if found else [],
            "activities": selectors.activities(found)[:10] if found else [],
            "members": [m for m in selectors.member_reports(found) if m.serving] if found else [],
        },
    )
