"""The texts of every notification, in each language, as ``str.format`` templates.

Texts are short enough for SMS: one 70-character segment for most Chinese messages,
the resolved message (which carries a link) in two. Chinese SMS open with the
signature 【问暖】, as gateways in China require. The context keys each template
needs are listed in ``CONTEXT_KEYS``; a test holds every text to that list.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Any

from wennuan.notify.choices import Language, Template

ZH = Language.ZH_HANS.value
EN = Language.EN.value

CONTEXT_KEYS: dict[str, frozenset[str]] = {
    Template.OTP_CODE: frozenset({"code", "minutes"}),
    Template.REQUEST_RECEIVED: frozenset({"number", "category"}),
    Template.REQUEST_ACCEPTED: frozenset({"number", "staff_name"}),
    Template.VISIT_SCHEDULED: frozenset({"number", "when", "staff_name"}),
    Template.REQUEST_RESOLVED: frozenset({"number", "confirm_url"}),
    Template.WORK_ASSIGNED: frozenset({"number", "category", "address", "due"}),
    Template.WORK_ESCALATED: frozenset({"number", "reason", "due"}),
    Template.ALARM_RAISED: frozenset({"station", "rule", "detail"}),
    Template.INCIDENT_NOTICE: frozenset({"number", "cause", "eta"}),
    Template.STOP_NOTICE: frozenset({"where", "start", "end", "reason"}),
    Template.HEAT_BACK: frozenset({"where"}),
    Template.COAL_LOW: frozenset({"source", "stock", "cover", "on", "order", "order_by"}),
    Template.STAFF_NOT_FIT: frozenset({"name", "status", "requests", "rounds", "waiting"}),
    Template.ROUND_HANDED_OVER: frozenset({"plan", "due", "from_name"}),
    Template.CHECK_INS_MISSING: frozenset({"day", "count", "names"}),
}

MESSAGES: dict[str, dict[str, str]] = {
    Template.OTP_CODE: {
        ZH: "【问暖】您的验证码是{code}，{minutes}分钟内有效，请勿告诉他人。",
        EN: "[Wennuan] Your verification code is {code}. It is valid for {minutes} minutes; "
        "do not share it.",
    },
    Template.REQUEST_RECEIVED: {
        ZH: "【问暖】我们已收到您的诉求（{category}），单号{number}，将尽快安排专人处理。",
        EN: "[Wennuan] We have received your request {number} ({category}). "
        "A named member of staff will take it on shortly.",
    },
    Template.REQUEST_ACCEPTED: {
        ZH: "【问暖】您的诉求{number}已由{staff_name}受理，我们会尽快与您联系。",
        EN: "[Wennuan] Your request {number} has been taken on by {staff_name}, "
        "who will contact you soon.",
    },
    Template.VISIT_SCHEDULED: {
        ZH: "【问暖】您的诉求{number}已安排上门：{when}，由{staff_name}前往。",
        EN: "[Wennuan] A visit for your request {number} is booked for {when} with {staff_name}.",
    },
    Template.REQUEST_RESOLVED: {
        ZH: "【问暖】您的诉求{number}已处理完毕，请确认并评价：{confirm_url}",
        EN: "[Wennuan] Your request {number} has been resolved. Please confirm and rate "
        "the service: {confirm_url}",
    },
    Template.WORK_ASSIGNED: {
        ZH: "【问暖】新工单{number}（{category}）：{address}，请于{due}前处理。",
        EN: "[Wennuan] New work order {number} ({category}) at {address}. Due by {due}.",
    },
    Template.WORK_ESCALATED: {
        ZH: "【问暖】工单{number}已升级：{reason}，请于{due}前处理。",
        EN: "[Wennuan] Work order {number} escalated: {reason}. Due by {due}.",
    },
    Template.ALARM_RAISED: {
        ZH: "【问暖】{station}报警：{rule}（{detail}）。",
        EN: "[Wennuan] Alarm at {station}: {rule} ({detail}).",
    },
    Template.INCIDENT_NOTICE: {
        ZH: "【问暖】您的诉求{number}与附近供热故障有关：{cause}。"
        "正在抢修，预计{eta}恢复，无需重复报修。",
        EN: "[Wennuan] Your request {number} is part of a network fault: {cause}. "
        "Repairs are under way, heat expected back {eta}. No need to report it again.",
    },
    Template.STOP_NOTICE: {
        ZH: "【问暖】因{reason}，{where}将于{start}至{end}停止供热，请提前做好保暖。",
        EN: "[Wennuan] Heating at {where} stops from {start} to {end}: {reason}. Please keep warm.",
    },
    Template.HEAT_BACK: {
        ZH: "【问暖】{where}已恢复供热。如家中仍不热，请在网上问暖报修。",
        EN: "[Wennuan] Heating is back at {where}. If your home is still cold, report it online.",
    },
    Template.COAL_LOW: {
        ZH: "【问暖】{source}存煤{stock}吨，可用{cover}天，{on}将低于储备要求。"
        "请于{order_by}前订煤{order}吨。",
        EN: "[Wennuan] {source}: {stock} t of coal, {cover} days of cover, below the reserve rule "
        "on {on}. Order {order} t by {order_by}.",
    },
    Template.STAFF_NOT_FIT: {
        ZH: "【问暖】{name}健康打卡为{status}，已停止派工；{requests}张工单、{rounds}次巡检已转交，"
        "{waiting}张待安排。",
        EN: "[Wennuan] {name} checked in as {status} and gets no work: {requests} requests and "
        "{rounds} rounds handed over, {waiting} requests waiting for someone.",
    },
    Template.ROUND_HANDED_OVER: {
        ZH: "【问暖】巡检{plan}（{due}）由{from_name}转交给您，请按时完成。",
        EN: "[Wennuan] Inspection round {plan} ({due}) handed over to you from {from_name}.",
    },
    Template.CHECK_INS_MISSING: {
        ZH: "【问暖】{day}您团队有{count}人未做健康打卡：{names}，请督促。",
        EN: "[Wennuan] {count} of your team have not done the health check-in for {day}: {names}.",
    },
}

# E-mail subjects: short, and using only keys that the message text itself needs.
SUBJECTS: dict[str, dict[str, str]] = {
    Template.OTP_CODE: {ZH: "问暖验证码", EN: "Wennuan verification code"},
    Template.REQUEST_RECEIVED: {ZH: "诉求{number}已收到", EN: "Request {number} received"},
    Template.REQUEST_ACCEPTED: {ZH: "诉求{number}已受理", EN: "Request {number} taken on"},
    Template.VISIT_SCHEDULED: {
        ZH: "诉求{number}上门安排",
        EN: "Visit booked for request {number}",
    },
    Template.REQUEST_RESOLVED: {ZH: "诉求{number}已处理完毕", EN: "Request {number} resolved"},
    Template.WORK_ASSIGNED: {ZH: "新工单{number}", EN: "New work order {number}"},
    Template.WORK_ESCALATED: {ZH: "工单{number}已升级", EN: "Work order {number} escalated"},
    Template.ALARM_RAISED: {ZH: "{station}报警", EN: "Alarm at {station}"},
    Template.INCIDENT_NOTICE: {
        ZH: "诉求{number}：供热故障抢修中",
        EN: "Request {number}: network repair",
    },
    Template.STOP_NOTICE: {ZH: "{where}计划停热", EN: "Planned heating stop at {where}"},
    Template.HEAT_BACK: {ZH: "{where}已恢复供热", EN: "Heating back at {where}"},
    Template.COAL_LOW: {ZH: "{source}存煤不足", EN: "Coal reserve low at {source}"},
    Template.STAFF_NOT_FIT: {ZH: "{name}健康状况：{status}", EN: "{name}: {status}"},
    Template.ROUND_HANDED_OVER: {ZH: "巡检{plan}转交给您", EN: "Round {plan} handed over"},
    Template.CHECK_INS_MISSING: {ZH: "{count}人未做健康打卡", EN: "{count} check-ins missing"},
}


class MissingContextError(ValueError):
    """A message was rendered without a context key its text needs."""


def placeholders(text: str) -> frozenset[str]:
    """The names of the ``{placeholders}`` in a format string."""
    names = set()
    for _literal, field, _spec, _conversion in string.Formatter().parse(text):
        if field is not None:
            names.add(field.split(".", 1)[0].split("[", 1)[0])
    return frozenset(names)


def _text(table: dict[str, dict[str, str]], template: str, language: str) -> str:
    template, language = str(template), str(language)
    if template not in table:
        raise ValueError(f"unknown notification template {template!r}")
    by_language = table[template]
    if language not in by_language:
        known = ", ".join(sorted(by_language))
        raise ValueError(f"no {language!r} text for template {template!r} (have: {known})")
    return by_language[language]


def _format(text: str, template: str, language: str, context: Mapping[str, Any]) -> str:
    template, language = str(template), str(language)
    missing = placeholders(text) - set(context)
    if missing:
        raise MissingContextError(
            f"template {template!r} ({language}) needs context "
            f"{', '.join(sorted(missing))}; given: {', '.join(sorted(context)) or 'nothing'}"
        )
    return text.format_map(context)


def render(template: str, language: str, context: Mapping[str, Any]) -> str:
    """The message text of ``template`` in ``language``; MissingContextError names any gap."""
    return _format(_text(MESSAGES, template, language), template, language, context)


def render_subject(template: str, language: str, context: Mapping[str, Any]) -> str:
    """The short e-mail subject of ``template`` in ``language``."""
    return _format(_text(SUBJECTS, template, language), template, language, context)
