"""Days of cover, scenarios, the season plan and the morning alert, with controlled time."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from wennuan.fuel.alerts import alert_managers
from wennuan.fuel.choices import Origin, WeatherKind
from wennuan.fuel.forecast import Scenario, forecast_cover, parse_scenario, season_plan
from wennuan.fuel.models import WeatherDay
from wennuan.fuel.services import (
    expect_delivery,
    record_consumption,
    record_delivery,
    refit_model,
)
from wennuan.grid.tests.factories import make_user
from wennuan.notify.models import Notification
from wennuan.people.choices import Role

pytestmark = pytest.mark.django_db
TODAY = date(2026, 12, 10)


@pytest.fixture(autouse=True)
def in_december(time_machine):
    time_machine.move_to(datetime(2026, 12, 10, 9, tzinfo=timezone.get_current_timezone()))


def flat_yard(source, *, stock: float = 1000, burn: float = 100) -> None:
    """A yard with ``stock`` t today after seven days of ``burn`` t (no model: too short)."""
    record_delivery(
        heat_source=source, day=TODAY - timedelta(days=8), tonnes=stock + 7 * burn, actor=None
    )
    for back in range(1, 8):
        record_consumption(
            heat_source=source, day=TODAY - timedelta(days=back), tonnes=burn, actor=None
        )


def test_flat_burn_cover_run_out_rule_and_order(source):
    flat_yard(source)
    cover = forecast_cover(source, today=TODAY)
    assert cover.model_kind == "" and "mean of the last recorded days" in cover.note
    assert cover.stock_t == 1000
    # 100 t a day from today: the yard is empty after ten days; day 11 cannot be burned.
    assert cover.run_out == TODAY + timedelta(days=10)
    assert cover.days_of_cover == pytest.approx(10.0)
    # Already below 15 days of cover: order now what keeps the rule over 30 days:
    # at the end of day 30 the stock would be 1000 − 3000, and the rule wants 1500 more.
    assert cover.below_rule_on == TODAY and cover.order_by == TODAY
    assert cover.order_t == pytest.approx(3500)


def test_scenarios_suspend_deliveries_and_lower_efficiency(source):
    flat_yard(source)
    expect_delivery(
        heat_source=source,
        expected_on=TODAY + timedelta(days=5),
        tonnes=500,
        supplier="",
        actor=None,
    )
    base = forecast_cover(source, today=TODAY)
    assert base.run_out == TODAY + timedelta(days=15)  # 1,500 t at 100 t a day
    suspended = forecast_cover(source, today=TODAY, scenario=Scenario(suspend_days=10))
    assert suspended.run_out == TODAY + timedelta(days=10)  # the train at day 5 never comes
    weaker = forecast_cover(source, today=TODAY, scenario=Scenario(efficiency_drop_pct=20))
    assert weaker.burn_per_day_t == pytest.approx(125)  # 100 / (1 − 0.2)
    assert weaker.run_out == TODAY + timedelta(days=12)  # 1,000 + 500 at day 5, 125 t a day
    both = forecast_cover(
        source, today=TODAY, scenario=Scenario(suspend_days=10, efficiency_drop_pct=20)
    )
    assert both.days_of_cover == pytest.approx(8.0)


def test_a_cold_wave_burns_more_through_the_fitted_model(source):
    # Four weeks of history: burn = 100 + 10 × HDD18 exactly.
    start = TODAY - timedelta(days=28)
    record_delivery(heat_source=source, day=start - timedelta(days=1), tonnes=50_000, actor=None)
    for i in range(28):
        day = start + timedelta(days=i)
        mean = [-5.0, 0.0, 4.0, 8.0, -2.0, 2.0, 10.0][i % 7]
        WeatherDay.objects.create(
            place="yantai", day=day, kind=WeatherKind.OBSERVED, mean_c=mean, origin=Origin.ENTERED
        )
        record_consumption(heat_source=source, day=day, tonnes=100 + 10 * (18 - mean), actor=None)
    for i in range(10):
        WeatherDay.objects.create(
            place="yantai",
            day=TODAY + timedelta(days=i),
            kind=WeatherKind.FORECAST,
            mean_c=0.0,
            origin=Origin.ENTERED,
        )
    profile = refit_model(heat_source=source)
    assert profile.model is not None and profile.history_days == 28
    base = forecast_cover(source, today=TODAY, horizon=10)
    assert [d.from_forecast for d in base.days] == [True] * 10
    assert base.days[5].burn_t == pytest.approx(280, rel=0.03)  # 100 + 10 × 18
    cold = forecast_cover(
        source, today=TODAY, horizon=10, scenario=Scenario(cold_delta_c=8, cold_days=5)
    )
    assert cold.days[2].burn_t == pytest.approx(360, rel=0.03)  # 100 + 10 × 26
    assert cold.days[7].burn_t == pytest.approx(base.days[7].burn_t, rel=0.03)  # after the wave
    assert cold.days[2].low_t <= cold.days[2].burn_t <= cold.days[2].high_t


def test_scenario_text_of_the_command(source):
    scenario = parse_scenario("suspend=10,cold=8x5,efficiency=5")
    assert (scenario.suspend_days, scenario.cold_delta_c, scenario.cold_days) == (10, 8.0, 5)
    assert scenario.efficiency_drop_pct == 5.0
    for bad in ("suspend=ten", "cold=8", "warp=9", "efficiency=80"):
        with pytest.raises(ValueError):
            parse_scenario(bad)


def test_the_command_prints_the_comparison_and_the_days(source, capsys):
    flat_yard(source)
    call_command("fuel_forecast", "--source", "HS09", "--days", "3", "--scenario", "suspend=10")
    out = capsys.readouterr().out
    assert "stock today 1,000.0 t" in out and "deliveries suspended 10 days" in out
    assert out.count(f"{TODAY + timedelta(days=2)}") == 1  # three days printed
    with pytest.raises(Exception, match="no heat source"):
        call_command("fuel_forecast", "--source", "NOPE")


def test_the_season_plan_counts_the_rest_of_the_season(source, settings):
    flat_yard(source, stock=5000, burn=100)
    plan = season_plan(forecast_cover(source, today=TODAY))
    # Season 2026-11-15 … 2027-04-05; from today (Dec 10) 117 days at 100 t.
    assert (plan.start, plan.end, plan.remaining_days) == (
        date(2026, 11, 15),
        date(2027, 4, 5),
        117,
    )
    assert plan.needed_t == pytest.approx(11_700)
    assert plan.to_procure_t == pytest.approx(6_700)
    assert plan.started and plan.meets_start_rule is None


def test_the_morning_alert_fires_before_the_rule_is_broken(source, settings, time_machine):
    """A season simulated day by day without deliveries: managers are texted well before
    the yard holds less than 15 days, and once a day at most."""
    manager = make_user(Role.MANAGER, phone="13900000001")
    flat_yard(source, stock=4000, burn=100)  # 40 days; the rule breaks after day 25
    first_alert = breach = None
    for day_number in range(0, 30):
        today = TODAY + timedelta(days=day_number)
        time_machine.move_to(datetime.combine(today, datetime.min.time()).replace(hour=6))
        if day_number:  # yesterday's burn booked
            record_consumption(
                heat_source=source, day=today - timedelta(days=1), tonnes=100, actor=None
            )
        _short, sent = alert_managers(today=today)
        if sent and first_alert is None:
            first_alert = today
        cover = forecast_cover(source, today=today, horizon=1)
        if breach is None and cover.stock_t < 15 * 100:
            breach = today
    assert first_alert is not None and breach is not None
    assert first_alert < breach - timedelta(days=settings.FUEL_ORDER_LEAD_DAYS)
    texts = Notification.objects.filter(template="coal_low", recipient=manager.phone)
    days_texted = {n.related_key for n in texts}
    assert len(days_texted) == texts.count()  # one a day at most
    # Running the check twice on one day sends nothing more.
    before = texts.count()
    alert_managers(today=TODAY + timedelta(days=29))
    assert texts.count() == before


def test_no_alert_while_the_yard_keeps_its_cover(source):
    make_user(Role.MANAGER, phone="13900000002")
    flat_yard(source, stock=50_000, burn=100)
    assert alert_managers(today=TODAY) == ([], 0)
    assert not Notification.objects.exists()


def test_refusing_nonsense_scenarios():
    for bad in (
        Scenario(suspend_days=-1),
        Scenario(cold_delta_c=40),
        Scenario(efficiency_drop_pct=90),
    ):
        with pytest.raises(ValueError):
            bad.check()
    assert Scenario().is_baseline and not Scenario(suspend_days=3).is_baseline


def test_heat_output_model_and_hourly_shape_come_from_telemetry(source):
    """Three weeks of hourly output (MW = 2 × HDD18 of the day, more in the evening) give a
    heat model and a shape; the expected output for today and tomorrow follows both."""
    from wennuan.fuel.forecast import hourly_heat
    from wennuan.operations.services import ingest

    zone = timezone.get_current_timezone()
    readings, start = [], TODAY - timedelta(days=21)
    for i in range(21):
        day = start + timedelta(days=i)
        mean = [-4.0, 0.0, 3.0, 6.0, -1.0, 2.0][i % 6]
        WeatherDay.objects.create(
            place="yantai", day=day, kind=WeatherKind.OBSERVED, mean_c=mean, origin=Origin.ENTERED
        )
        for hour in range(24):
            evening = 1.3 if 17 <= hour <= 21 else 0.9
            moment = datetime(day.year, day.month, day.day, hour, tzinfo=zone)
            readings.append(
                {
                    "source": "HS09",
                    "time": moment.isoformat(),
                    "output_mw": 2 * (18 - mean) * evening,
                }
            )
    assert not ingest(readings).rejected
    for i in range(2):
        WeatherDay.objects.create(
            place="yantai",
            day=TODAY + timedelta(days=i),
            kind=WeatherKind.FORECAST,
            mean_c=0.0,
            origin=Origin.ENTERED,
        )
    profile = refit_model(heat_source=source)
    assert profile.heat_model is not None and profile.heat_history_days == 21
    assert profile.model is None  # no coal books yet: no burn model
    hours = hourly_heat(source, today=TODAY)
    assert hours is not None and len(hours) == 48
    first_day = [mw for moment, mw in hours if moment.date() == TODAY]
    # The day's heat: 24 h × 2 × 18 × the mean profile factor (5 h × 1.3 + 19 h × 0.9) / 24.
    expected = 2 * 18 * (5 * 1.3 + 19 * 0.9)
    assert sum(first_day) == pytest.approx(expected, rel=0.05)
    assert first_day[19] > first_day[3]  # the evening peak


def test_a_delivery_due_today_counts_even_when_todays_burn_is_booked(source):
    flat_yard(source)
    record_consumption(heat_source=source, day=TODAY, tonnes=100, actor=None)  # stock 900
    expect_delivery(heat_source=source, expected_on=TODAY, tonnes=500, supplier="", actor=None)
    cover = forecast_cover(source, today=TODAY)
    assert cover.days[0].day == TODAY + timedelta(days=1)
    # 900 + 500 at 100 t a day: tomorrow is day 1 of 14 days.
    assert cover.run_out == TODAY + timedelta(days=15)
    suspended = forecast_cover(source, today=TODAY, scenario=Scenario(suspend_days=1))
    assert suspended.run_out == TODAY + timedelta(days=10)


def test_the_rule_counts_confirmed_deliveries_like_days_of_cover(source):
    flat_yard(source, stock=1000, burn=100)
    expect_delivery(
        heat_source=source,
        expected_on=TODAY + timedelta(days=1),
        tonnes=2000,
        supplier="",
        actor=None,
    )
    cover = forecast_cover(source, today=TODAY)
    assert cover.days_of_cover == pytest.approx(30.0)
    # Run-out in 30 days: the rule (15 days) first fails 15 days before it.
    assert cover.below_rule_on == TODAY + timedelta(days=15)
    assert cover.order_by == TODAY + timedelta(days=12)
    # To keep 15 days of cover through the 30-day horizon the yard needs 45 days: 1,500 t more.
    assert cover.order_t == pytest.approx(1500)


def test_no_burn_outside_the_season_and_the_plan_before_it(source, time_machine):
    time_machine.move_to(datetime(2026, 10, 20, 9, tzinfo=timezone.get_current_timezone()))
    autumn = date(2026, 10, 20)
    record_delivery(heat_source=source, day=date(2026, 4, 1), tonnes=3000, actor=None)
    for back in range(1, 8):  # last season's last week
        record_consumption(
            heat_source=source, day=date(2026, 4, 5) - timedelta(days=back), tonnes=100, actor=None
        )
    cover = forecast_cover(source, today=autumn, horizon=40)
    assert all(d.burn_t == 0 for d in cover.days if d.day < date(2026, 11, 15))
    assert cover.days[-1].burn_t == pytest.approx(100)  # 11-28: in season
    plan = season_plan(cover)
    assert (plan.start, plan.end, plan.started) == (date(2026, 11, 15), date(2027, 4, 5), False)
    assert plan.season_use_t == pytest.approx(142 * 100)
    # 2,300 t in the yard against half of 14,200 t: the season would start short.
    assert plan.meets_start_rule is False and plan.start_rule_t == pytest.approx(7100)
    assert plan.to_procure_t == pytest.approx(14_200 - 2_300)


def test_the_season_so_far_counts_consumption_not_reversed_deliveries(source):
    flat_yard(source, stock=5000, burn=100)
    wrong = record_delivery(heat_source=source, day=TODAY, tonnes=1000, note_number="W", actor=None)
    from wennuan.fuel.services import reverse_entry

    reverse_entry(entry=wrong, reason="double", actor=None)
    plan = season_plan(forecast_cover(source, today=TODAY))
    assert plan.season_use_t == pytest.approx(7 * 100 + 117 * 100)


def test_one_winter_of_weather_is_not_a_normal(source):
    from wennuan.fuel.forecast import normals

    for i in range(30):  # one very cold January
        WeatherDay.objects.create(
            place="yantai",
            day=date(2026, 1, 1) + timedelta(days=i),
            kind=WeatherKind.OBSERVED,
            mean_c=-12.0,
            origin=Origin.ENTERED,
        )
    assert normals("yantai", [date(2027, 1, 15)])[date(2027, 1, 15)] == pytest.approx(-1.1)
    for year in (2024, 2025):
        for i in range(30):
            WeatherDay.objects.create(
                place="yantai",
                day=date(year, 1, 1) + timedelta(days=i),
                kind=WeatherKind.OBSERVED,
                mean_c=-12.0,
                origin=Origin.ENTERED,
            )
    assert normals("yantai", [date(2027, 1, 15)])[date(2027, 1, 15)] == pytest.approx(-12.0)


def test_a_yard_without_any_consumption_has_no_estimate_and_does_not_pass_the_rule(source):
    record_delivery(heat_source=source, day=TODAY, tonnes=10, actor=None)
    cover = forecast_cover(source, today=TODAY)
    assert not cover.estimated and not cover.meets_rule
    assert cover.days_of_cover is None and "cannot estimate" in cover.note


def test_the_alert_asks_for_the_rule_shortfall_not_the_season(source):
    manager = make_user(Role.MANAGER, phone="13900000003")
    flat_yard(source, stock=1000, burn=100)
    alert_managers(today=TODAY)
    text = Notification.objects.get(recipient=manager.phone)
    assert text.context["order"] == "3,500"  # not the 11,700 t the rest of the season needs
