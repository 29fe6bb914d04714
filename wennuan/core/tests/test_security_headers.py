"""Security headers, the Content-Security-Policy and the templates it depends on, cookies,
passwords, and a clean `check --deploy` with the production environment (docs/security.md)."""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client, override_settings

from wennuan.core.security import permissions_policy
from wennuan.grid.models import Station
from wennuan.inspections.models import InspectionRound
from wennuan.people.models import User

ROOT = Path(__file__).resolve().parents[3]
TEMPLATE_DIRS = [ROOT / "templates", *sorted((ROOT / "wennuan").glob("*/templates"))]
STATIC_JS = [
    path for path in (ROOT / "static").rglob("*.js") if "vendor" not in path.relative_to(ROOT).parts
]

# Pages of every part of the back office (as the manager) and of the resident portal.
STAFF_PAGES = [
    "/",
    "/grid/households/?q=1",
    "/grid/stations/",
    "/grid/zones/",
    "/grid/coverage/",
    "/grid/import/",
    "/service/",
    "/service/my/",
    "/service/all/",
    "/service/new/",
    "/operations/",
    "/operations/stops/",
    "/fuel/",
    "/fuel/upload/",
    "/inspections/",
    "/inspections/my/",
    "/inspections/facilities/",
    "/reports/briefing/",
    "/emergency/",
    "/emergency/disinfection/",
    "/emergency/tracing/",
    "/emergency/calls/",
    "/people/roster/",
    "/people/health/",
    "/people/health/team/",
    "/community/",
    "/community/supplies/",
    "/integrations/keys/",
    "/api/v1/",
    "/api/v1/docs/",
    "/admin/",
]
PUBLIC_PAGES = ["/login/", "/portal/", "/portal/verify/", "/portal/track/", "/healthz"]


def directives(header: str) -> dict[str, list[str]]:
    """'default-src 'self'; img-src 'self' data:' → {'default-src': ["'self'"], ...}."""
    parsed = {}
    for part in header.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


def assert_secure_headers(response, path: str) -> None:
    header = response.headers.get("Content-Security-Policy")
    assert header, f"{path} answered {response.status_code} without a Content-Security-Policy"
    policy = directives(header)
    assert policy["script-src"] == ["'self'"], (path, header)
    assert "'unsafe-inline'" not in policy["default-src"]
    assert "'unsafe-inline'" not in policy.get("style-src-elem", ["'unsafe-inline'"]) or (
        path == "/api/v1/docs/"  # Swagger UI's own <style>, on that page only
    )
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=(self)" in response.headers["Permissions-Policy"]


def test_the_policy_is_the_documented_one():
    policy = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:", "blob:"]
    assert policy["connect-src"] == ["'self'"]
    assert settings.CONTENT_SECURITY_POLICY_REPORT_ONLY is None
    assert "'unsafe-eval'" not in json.dumps(policy)


@pytest.mark.django_db
def test_every_page_carries_the_policy_and_the_security_headers(demo_city, login):
    manager = login("manager")
    station = Station.objects.order_by("code").first()
    source_code = station.heat_source.code
    pages = [*STAFF_PAGES, f"/operations/stations/{station.pk}/", f"/fuel/{source_code}/"]
    for path in pages:
        response = manager.get(path)
        assert response.status_code == 200, path
        assert_secure_headers(response, path)
    anonymous = Client()
    for path in PUBLIC_PAGES:
        response = anonymous.get(path)
        assert response.status_code == 200, path
        assert_secure_headers(response, path)
    # Redirects and refusals carry the headers too.
    for path in ["/service/", "/portal/requests/"]:
        response = anonymous.get(path)
        assert response.status_code in {302, 403}, path
        assert_secure_headers(response, path)


@pytest.mark.django_db
def test_the_round_page_carries_the_policy(demo_city, login):
    from wennuan.demo.inspections import build_demo_inspections

    build_demo_inspections(seed=7)
    round_ = InspectionRound.objects.order_by("pk").first()
    assert round_ is not None
    response = login("manager").get(f"/inspections/rounds/{round_.pk}/")
    assert response.status_code == 200
    assert_secure_headers(response, "round")


@pytest.mark.django_db
def test_api_docs_load_their_start_up_script_from_a_url(demo_city, login):
    client = login("manager")
    page = client.get("/api/v1/docs/").content.decode()
    assert re.search(r'<script src="[^"]*\?script=', page)
    script = client.get("/api/v1/docs/?script=")
    assert script.status_code == 200
    assert script.headers["Content-Type"].startswith("application/javascript")


def _templates() -> list[Path]:
    found = [path for folder in TEMPLATE_DIRS for path in folder.rglob("*.html")]
    assert len(found) > 40  # the scan sees the project's templates
    return found


SCRIPT_TAG = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL)
# An attribute named on… (onclick, onchange, onsubmit, …) inside a tag.
HANDLER = re.compile(r"<[a-zA-Z][^<>]*?\son[a-z]+\s*=", re.IGNORECASE)
COMMENT = re.compile(r"{#.*?#}|{% comment %}.*?{% endcomment %}", re.DOTALL)
JAVASCRIPT_URL = re.compile(r"""(?:href|src|action|formaction)\s*=\s*["']?\s*javascript:""", re.I)


@pytest.mark.parametrize("template", _templates(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_template_has_an_inline_script_handler_or_style_element(template: Path):
    text = COMMENT.sub("", template.read_text(encoding="utf-8"))
    for attributes, body in SCRIPT_TAG.findall(text):
        data = re.search(r"""type\s*=\s*["']application/json["']""", attributes)
        assert "src=" in attributes or data, f"inline <script> in {template}"
        assert not body.strip() or data, f"<script src> with a body in {template}"
    assert text.lower().count("<script") == len(SCRIPT_TAG.findall(text)), template
    assert not HANDLER.search(text), f"on…= event handler in {template}: {HANDLER.search(text)}"
    assert not JAVASCRIPT_URL.search(text), f"javascript: URL in {template}"
    assert "<style" not in text.lower(), f"inline <style> in {template}: use static/css/"
    assert "hx-on" not in text, f"hx-on (evaluated code) in {template}"


def test_the_template_scan_catches_what_it_forbids():
    samples = [
        "<script>alert(1)</script>",
        '<select onchange="this.form.submit()">',
        '<button type="button" onclick="window.print()">',
        '<a href="javascript:void(0)">',
    ]
    for sample in samples:
        scripts = SCRIPT_TAG.findall(sample)
        assert (
            any("src=" not in a for a, _ in scripts)
            or HANDLER.search(sample)
            or JAVASCRIPT_URL.search(sample)
        ), sample
    allowed = '<script src="/static/js/wennuan.js" defer></script><button data-print type="button">'
    assert not HANDLER.search(allowed) and all("src=" in a for a, _ in SCRIPT_TAG.findall(allowed))


def test_no_script_reads_a_cookie():
    # CSRF_COOKIE_HTTPONLY: scripts take the token from the form's hidden field instead.
    assert STATIC_JS
    for path in STATIC_JS:
        assert "document.cookie" not in path.read_text(encoding="utf-8"), path


def test_cookies_are_http_only_and_follow_https():
    assert settings.SESSION_COOKIE_HTTPONLY is True
    assert settings.CSRF_COOKIE_HTTPONLY is True
    assert settings.LANGUAGE_COOKIE_HTTPONLY is True
    assert settings.LANGUAGE_COOKIE_SECURE == settings.SESSION_COOKIE_SECURE


def test_permissions_policy_header_value():
    assert (
        permissions_policy({"camera": ["self"], "usb": [], "x": ["https://a.example"]})
        == 'camera=(self), usb=(), x=("https://a.example")'
    )
    value = permissions_policy(settings.PERMISSIONS_POLICY)
    assert "camera=(self)" in value and "geolocation=(self)" in value
    assert "microphone=()" in value and "payment=()" in value


@pytest.mark.parametrize("password", ["short-pw1", "1234567890123", "password123"])
def test_weak_staff_passwords_are_refused(password):
    with pytest.raises(ValidationError):
        validate_password(password, User(username="li.wei", full_name="李伟"))


def test_a_long_uncommon_password_is_accepted():
    validate_password("冬天-暖气-2026-fine", User(username="li.wei", full_name="李伟"))


def _run(args: list[str], extra: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(extra)
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def production_environment(tmp_path: Path) -> dict[str, str]:
    """deploy/systemd/wennuan.env.example, the production EnvironmentFile, with its CHANGE-ME
    placeholders filled in and its paths moved under tmp_path."""
    env = {}
    for line in (ROOT / "deploy/systemd/wennuan.env.example").read_text().splitlines():
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        env[key] = value.strip('"').replace("CHANGE-ME", "wn")
    env["SECRET_KEY"] = "x7!k2#Qp-production-secret-" + "a9Z3" * 12
    # A real Fernet key: the placeholder is not one, and the system check (people.E002) says so.
    env["TWO_FACTOR_ENCRYPTION_KEY"] = base64.urlsafe_b64encode(b"k" * 32).decode()
    for key in ("WENNUAN_VAR_DIR", "STATIC_ROOT", "MEDIA_ROOT"):
        env[key] = str(tmp_path / key.lower())
    return env


def test_the_production_environment_passes_check_deploy(tmp_path: Path):
    env = production_environment(tmp_path)
    assert env["DEBUG"] == "false" and env["SECURE_SSL_REDIRECT"] == "true"
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_report_only_mode_sends_the_policy_without_enforcing_it(tmp_path: Path):
    # Given CSP_REPORT_ONLY and a report address in the environment …
    env = {
        **production_environment(tmp_path),
        "CSP_REPORT_ONLY": "true",
        "CSP_REPORT_URI": "https://csp.example.cn/report",
    }
    printed = _run(
        [
            "-c",
            "import json, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'wennuan.settings';"
            "from django.conf import settings;"
            "print(json.dumps([settings.CONTENT_SECURITY_POLICY,"
            " settings.CONTENT_SECURITY_POLICY_REPORT_ONLY]))",
        ],
        env,
    )
    assert printed.returncode == 0, printed.stderr
    enforced, report_only = json.loads(printed.stdout)
    # … the settings keep the policy for the Report-Only header only …
    assert enforced is None
    assert report_only["DIRECTIVES"]["report-uri"] == ["https://csp.example.cn/report"]
    assert report_only["DIRECTIVES"]["script-src"] == ["'self'"]
    # … and responses carry it under that name.
    with override_settings(
        CONTENT_SECURITY_POLICY=enforced, CONTENT_SECURITY_POLICY_REPORT_ONLY=report_only
    ):
        response = Client().get("/healthz")
    assert "Content-Security-Policy" not in response.headers
    header = response.headers["Content-Security-Policy-Report-Only"]
    assert "report-uri https://csp.example.cn/report" in header
    # The check passes in this mode too (no django-csp 3 setting names).
    checked = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_former_secret_keys_come_from_the_environment(tmp_path: Path):
    env = {**production_environment(tmp_path), "SECRET_KEY_FALLBACKS": "old-one, older-one"}
    printed = _run(
        [
            "-c",
            "import json, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'wennuan.settings';"
            "from django.conf import settings; print(json.dumps(settings.SECRET_KEY_FALLBACKS))",
        ],
        env,
    )
    assert printed.returncode == 0, printed.stderr
    assert json.loads(printed.stdout) == ["old-one", "older-one"]
