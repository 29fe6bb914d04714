"""Message texts: every template in both languages, each holding to its context keys."""

from __future__ import annotations

import pytest

from wennuan.notify.choices import Language, Template
from wennuan.notify.messages import (
    CONTEXT_KEYS,
    MESSAGES,
    SUBJECTS,
    MissingContextError,
    placeholders,
    render,
    render_subject,
)

SAMPLE = {
    "code": "482913",
    "minutes": 10,
    "number": "R2026-000123",
    "category": "室温不达标",
    "staff_name": "王师傅",
    "when": "12月1日 09:00",
    "confirm_url": "http://127.0.0.1:8000/track/R2026-000123",
    "address": "福泰小区3号楼2单元401",
    "due": "12月1日 12:00",
    "reason": "超过处理时限",
    "station": "福泰小区换热站",
    "rule": "循环泵停运",
    "detail": "泵停运2分钟",
    "cause": "循环泵停运",
    "eta": "12-01 18:00",
    "where": "福泰小区换热站",
    "start": "12月1日 08:00",
    "end": "12月1日 16:00",
    "source": "芝罘热电厂",
    "stock": "12,400",
    "cover": "9.5",
    "on": "12月1日",
    "order": "8,600",
    "order_by": "11月28日",
    "name": "王师傅",
    "status": "居家隔离",
    "requests": 3,
    "rounds": 1,
    "waiting": 0,
    "plan": "幸福路日巡",
    "from_name": "刘巡检",
    "day": "12月1日",
    "count": 3,
    "names": "王师傅、李师傅、张师傅",
}
EVERY = [(template, language) for template in Template.values for language in Language.values]


@pytest.mark.parametrize(("template", "language"), EVERY)
def test_every_template_renders_in_both_languages(template, language):
    context = {key: SAMPLE[key] for key in CONTEXT_KEYS[template]}

    text = render(template, language, context)
    subject = render_subject(template, language, context)

    for value in context.values():
        assert str(value) in text
    assert "{" not in text
    assert subject
    assert "\n" not in subject
    assert text.startswith("【问暖】" if language == Language.ZH_HANS else "[Wennuan] ")


def test_otp_message_reads_as_written():
    text = render(Template.OTP_CODE, "zh-hans", {"code": "482913", "minutes": 10})
    assert text == "【问暖】您的验证码是482913，10分钟内有效，请勿告诉他人。"


@pytest.mark.parametrize(("template", "language"), EVERY)
def test_every_text_uses_exactly_its_documented_context_keys(template, language):
    assert placeholders(MESSAGES[template][language]) == CONTEXT_KEYS[template]
    assert placeholders(SUBJECTS[template][language]) <= CONTEXT_KEYS[template]


def test_every_template_has_texts_and_keys():
    assert set(MESSAGES) == set(SUBJECTS) == set(CONTEXT_KEYS) == set(Template.values)


def test_chinese_messages_without_a_link_fit_one_sms():
    for template in Template.values:
        if "confirm_url" in CONTEXT_KEYS[template]:
            continue
        context = {key: SAMPLE[key] for key in CONTEXT_KEYS[template]}
        assert len(render(template, "zh-hans", context)) <= 70, template


def test_missing_context_key_raises_and_names_it():
    with pytest.raises(MissingContextError) as error:
        render(Template.VISIT_SCHEDULED, "en", {"number": "R1"})
    assert str(error.value) == (
        "template 'visit_scheduled' (en) needs context staff_name, when; given: number"
    )


def test_extra_context_keys_are_ignored():
    text = render(Template.OTP_CODE, "en", {"code": "1", "minutes": 5, "unused": "x"})
    assert "x" not in text.replace("[Wennuan]", "")


def test_unknown_template_or_language_is_refused():
    with pytest.raises(ValueError, match="unknown notification template 'nope'"):
        render("nope", "en", {})
    with pytest.raises(ValueError, match="no 'fr' text for template 'otp_code'"):
        render(Template.OTP_CODE, "fr", {"code": "1", "minutes": 5})
