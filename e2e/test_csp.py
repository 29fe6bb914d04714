"""The Content-Security-Policy in real Chromium: the pages whose code used to be inline (charts,
the inspection round, the portal's send-once button, the print button, the language switch,
htmx polling, the API docs) still work under a policy with no 'unsafe-inline' script, and the
browser reports no violation. Each check fails if the page's script did not run."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from e2e.conftest import PHONE, log_in, screenshot
from wennuan.demo.fuel import build_demo_fuel
from wennuan.demo.inspections import build_demo_inspections
from wennuan.demo.services import build_demo_city
from wennuan.demo.telemetry import build_demo_telemetry
from wennuan.grid.models import HeatSource, Household, Station
from wennuan.inspections.checklists import seed_checklists
from wennuan.inspections.models import InspectionRound
from wennuan.inspections.services import generate_rounds
from wennuan.notify.models import Notification
from wennuan.service.catalogue import seed_catalogue

pytestmark = pytest.mark.django_db(transaction=True)

# Records every violation the browser sees, before any of the page's own scripts run.
WATCH_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(event.violatedDirective + " " + (event.blockedURI || "inline"));
});
"""


@pytest.fixture
def city(transactional_db: Any) -> None:
    seed_catalogue()  # transactional tests flush migration data
    seed_checklists()
    build_demo_city(households=1_500, seed=11)
    build_demo_telemetry(days=2, seed=11)
    build_demo_fuel(seed=11, telemetry_since=timezone.localdate() - timedelta(days=1))
    # Rounds due three days ago (the oversight page charts the days before today), then today's.
    build_demo_inspections(seed=11, today=timezone.localdate() - timedelta(days=3))
    generate_rounds()


class Watched:
    """A page in a phone-sized window that collects CSP violations, console errors about the
    policy and uncaught script errors."""

    def __init__(self, browser: Any, live_server: Any, locale: str = "zh-CN") -> None:
        self.context = browser.new_context(viewport=PHONE, locale=locale, base_url=live_server.url)
        self.context.add_init_script(WATCH_VIOLATIONS)
        self.page = self.context.new_page()
        self.page.set_default_timeout(15_000)
        self.console: list[str] = []
        self.errors: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))

    def _console(self, message: Any) -> None:
        text = message.text
        if "Content Security Policy" in text or "Permissions-Policy" in text:
            self.console.append(text)

    def visit(self, path: str) -> Any:
        response = self.page.goto(path)
        assert response is not None and response.ok, path
        assert response.headers.get("content-security-policy"), path
        self.page.wait_for_load_state("load")
        return self.page

    def assert_clean(self, where: str) -> None:
        violations = self.page.evaluate("window.__violations")
        assert violations == [], f"{where}: {violations}"
        assert self.console == [], f"{where}: {self.console}"
        assert self.errors == [], f"{where}: {self.errors}"

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def watched(browser: Any, live_server: Any) -> Any:
    opened: list[Watched] = []

    def _open(locale: str = "zh-CN") -> Watched:
        opened.append(Watched(browser, live_server, locale))
        return opened[-1]

    yield _open
    for page in opened:
        page.close()


def chart_drawn(page: Any, box: str, element: str = "canvas") -> None:
    """ECharts put its canvas (or SVG) inside the chart box: the page's script ran."""
    page.wait_for_selector(f"{box} {element}", state="attached")
    assert page.locator(f"{box} {element}").count() >= 1


def test_manager_pages_draw_their_charts_under_the_policy(watched, city, settings):
    settings.COVERAGE_MAX_HOUSEHOLDS_PER_OWNER = 50  # so the audit has overloaded owners to chart
    w = watched()
    page = w.page
    log_in(page, "manager")

    w.visit("/fuel/")
    chart_drawn(page, "#cover-chart")
    w.assert_clean("coal reserve")

    source = HeatSource.objects.order_by("code").first()
    w.visit(f"/fuel/{source.code}/")
    chart_drawn(page, "#stock-chart")
    if page.locator("#hourly-chart").count():
        chart_drawn(page, "#hourly-chart")
    w.assert_clean("coal yard")

    w.visit("/inspections/")
    chart_drawn(page, "#completion-chart")
    w.assert_clean("inspections oversight")

    w.visit("/grid/coverage/")
    chart_drawn(page, "#load-chart")
    w.assert_clean("coverage audit")

    station = Station.objects.order_by("code").first()
    w.visit(f"/operations/stations/{station.pk}/")
    chart_drawn(page, "#trend")
    # ECharts writes its tooltip as HTML with style attributes, which the policy allows.
    box = page.locator("#trend").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_function("() => document.querySelector('#trend').innerText.includes('供水')")
    w.assert_clean("station")

    # The briefing draws SVG: its legend's words come from the template's translations.
    w.visit("/reports/briefing/")
    chart_drawn(page, "#category-chart", "svg")
    chart_drawn(page, "#trend-chart", "svg")
    legend = page.locator("#category-chart svg").inner_html()
    assert "收到" in legend and "已处理" in legend
    # The print button prints (window.print replaced, to see the call).
    page.evaluate("window.print = () => { window.__printed = true; }")
    page.click("[data-print]")
    assert page.evaluate("window.__printed") is True
    screenshot(page, "csp-briefing")
    w.assert_clean("briefing")

    # The language switch submits itself; the charts speak English after it.
    with page.expect_navigation():
        page.select_option("#language", "en")
    assert page.locator("html").get_attribute("lang") == "en"
    chart_drawn(page, "#category-chart", "svg")
    legend = page.locator("#category-chart svg").inner_html()
    assert "Received" in legend and "Resolved" in legend
    w.assert_clean("briefing in English")

    # The API docs: Swagger UI starts from its script URL and renders the schema.
    w.visit("/api/v1/docs/")
    page.wait_for_selector(".swagger-ui .info")
    w.assert_clean("API docs")


def test_dispatcher_board_polls_with_htmx_under_the_policy(watched, city):
    w = watched()
    page = w.page
    log_in(page, "dispatcher")
    for path, box in [("/service/", "#board-table"), ("/operations/", "#network")]:
        w.visit(path)
        page.wait_for_function(
            f"() => window.htmx && document.querySelector('{box}')['htmx-internal-data']"
        )
        # htmx injects no style element (the policy would refuse it).
        assert page.evaluate("document.querySelectorAll('style').length") == 0
        w.assert_clean(path)
    # A poll (here: asked for at once) swaps the panel in without a violation.
    with page.expect_response(lambda r: r.request.headers.get("hx-request") == "true"):
        page.evaluate("htmx.ajax('GET', '/operations/', {target: '#network', swap: 'innerHTML'})")
    page.wait_for_selector("#network table", state="attached")
    w.assert_clean("htmx swap")


def test_inspector_round_keeps_a_draft_under_the_policy(watched, city):
    round_ = (
        InspectionRound.objects.filter(assignee__isnull=False)
        .select_related("assignee")
        .order_by("-due_on", "pk")
        .first()
    )
    assert round_ is not None
    w = watched()
    page = w.page
    log_in(page, round_.assignee.username)
    w.visit(f"/inspections/rounds/{round_.pk}/")
    assert page.locator("[data-progress]").inner_text().startswith("0 /")
    # The first facility's card is opened by the script; answer its first pass/fail item.
    first = page.locator("details[data-facility]").first
    assert first.evaluate("el => el.open")
    radio = first.locator("input[type=radio]").first
    page.click(f"label[for='{radio.get_attribute('id')}']")
    page.wait_for_selector("#save-status[data-state=saved]")
    round_.refresh_from_db()
    assert radio.get_attribute("name") in round_.draft.get("values", {})
    kept = page.evaluate(f"localStorage.getItem('wennuan-round-{round_.pk}')")
    assert kept and radio.get_attribute("name") in kept
    w.assert_clean("inspection round")


def test_resident_send_button_is_disabled_once_sent_under_the_policy(watched, city):
    household = Household.objects.order_by("pk").first()
    w = watched()
    page = w.page
    w.visit("/portal/")
    page.click("a[href='/portal/new/']")
    page.fill("#id_account_number", household.account_number)
    page.fill("#id_phone", household.phone)
    page.click("button[type=submit]")
    page.wait_for_url("**/portal/verify/code/")
    code = (
        Notification.objects.filter(recipient=household.phone, template="otp_code")
        .latest("pk")
        .context["code"]
    )
    page.fill("#id_code", str(code))
    page.click("button[type=submit]")
    page.wait_for_url("**/portal/new/")
    page.click("[data-category=not_warm]")
    send = page.locator("button[data-once]")
    assert send.is_enabled()
    # Keep the page (a real submit would navigate away) and tap Send: the script disables it.
    page.evaluate(
        "document.querySelector('form.wn-form')"
        ".addEventListener('submit', (event) => event.preventDefault())"
    )
    send.click()
    assert send.is_disabled()
    w.assert_clean("portal new request")
