"""Security controls (issue 8): production settings, headers on every response, a Content-Security-
Policy the pages live within (no inline script or style), CSRF on web writes, secure cookies."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from tests.factories import UserFactory

REPO_ROOT = Path(__file__).resolve().parents[2]
# Not passed on: the test's own settings, and DJANGO_ALLOW_ASYNC_UNSAFE, which the browser tests set
# for the rest of the session and which `check --deploy` rightly refuses.
INHERITED = (
    "SECRET_KEY",
    "DATABASE_URL",
    "DEBUG",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "ALLOWED_HOSTS",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
)
PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "x7Qp2-production-shaped-secret-key-of-fifty-plus-characters-9fK3LmN0vB",
    "ALLOWED_HOSTS": "staffing.example",
}
PASSWORD = "correct horse battery staple"  # tests/factories.UserFactory
TEMPLATE_DIRS = [REPO_ROOT / "backend" / "web" / "templates"]


def run_django(code: str, **env_overrides: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key not in INHERITED}
    env.update({"DJANGO_SETTINGS_MODULE": "backend.settings", **PRODUCTION_ENV, **env_overrides})
    return subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_production_settings_turn_on_every_browser_protection():
    names = [
        "DEBUG",
        "SECURE_HSTS_SECONDS",
        "SECURE_CONTENT_TYPE_NOSNIFF",
        "X_FRAME_OPTIONS",
        "SECURE_REFERRER_POLICY",
        "SESSION_COOKIE_SECURE",
        "SESSION_COOKIE_HTTPONLY",
        "CSRF_COOKIE_SECURE",
        "CSRF_COOKIE_HTTPONLY",
        "SECURE_PROXY_SSL_HEADER",
    ]
    code = (
        "import django, json; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n) for n in {names!r}}}))"
    )

    result = run_django(code)

    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout) == {
        "DEBUG": False,
        "SECURE_HSTS_SECONDS": 3600,
        "SECURE_CONTENT_TYPE_NOSNIFF": True,
        "X_FRAME_OPTIONS": "DENY",
        "SECURE_REFERRER_POLICY": "same-origin",
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "CSRF_COOKIE_SECURE": True,
        "CSRF_COOKIE_HTTPONLY": True,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
    }


def test_django_deploy_checks_pass_with_the_documented_production_environment():
    result = run_django(
        "import sys; from django.core.management import execute_from_command_line; "
        "execute_from_command_line(['manage.py', 'check', '--deploy', '--fail-level', 'WARNING'])",
        SECURE_SSL_REDIRECT="true",
        SECURE_HSTS_INCLUDE_SUBDOMAINS="true",
        SECURE_HSTS_PRELOAD="true",
    )

    assert result.returncode == 0, result.stderr[-3000:]
    assert "System check identified no issues" in result.stdout


@pytest.mark.django_db
def test_every_page_has_the_security_headers_and_the_content_security_policy(client):
    response = client.get("/login/", secure=True)

    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == "max-age=3600"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Content-Security-Policy"] == (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )


@pytest.mark.django_db
def test_api_responses_carry_the_policy_too(client):
    response = client.get("/api/v1/shortfalls/")

    assert response.status_code == 401
    assert response["Content-Security-Policy"].startswith("default-src 'self'")
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("pattern", "what"),
    [
        (r"<script(?![^>]*\bsrc=)[^>]*>", "an inline <script>"),
        (r"<style\b", "a <style> block"),
        (r"\sstyle=", "a style attribute"),
        (r"\son[a-z]+=", "an inline event handler"),
        (r"\bhx-on\b|\bhx-on:", "an hx-on handler (evaluated as script)"),
        (r"javascript:", "a javascript: URL"),
    ],
)
def test_web_templates_need_nothing_the_policy_forbids(pattern, what):
    offenders = [
        str(path.relative_to(REPO_ROOT))
        for folder in TEMPLATE_DIRS
        for path in sorted(folder.rglob("*.html"))
        if re.search(pattern, path.read_text())
    ]

    assert offenders == [], f"{what} in {offenders}"


@pytest.mark.django_db
def test_api_docs_page_runs_no_inline_script_and_relaxes_only_its_styles(client):
    response = client.get("/api/docs/")

    scripts = re.findall(r"<script[^>]*>", response.content.decode())
    assert scripts and all("src=" in tag for tag in scripts), scripts
    assert response["Content-Security-Policy"] == (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )


@pytest.mark.django_db
def test_web_login_post_without_a_csrf_token_is_refused():
    UserFactory(username="nurse1")
    browser = Client(enforce_csrf_checks=True)

    response = browser.post("/login/", {"username": "nurse1", "password": PASSWORD})

    assert response.status_code == 403
    assert "_auth_user_id" not in browser.session


@pytest.mark.django_db
def test_web_login_with_the_csrf_token_sets_secure_httponly_cookies():
    UserFactory(username="nurse1")
    browser = Client(enforce_csrf_checks=True)
    form = browser.get("/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.content.decode()).group(1)

    response = browser.post(
        "/login/", {"username": "nurse1", "password": PASSWORD, "csrfmiddlewaretoken": token}
    )

    assert response.status_code == 302
    session, csrf = response.cookies["sessionid"], form.cookies["csrftoken"]
    assert (session["secure"], session["httponly"], session["samesite"]) == (True, True, "Lax")
    assert (csrf["secure"], csrf["httponly"], csrf["samesite"]) == (True, True, "Lax")


@pytest.mark.django_db
def test_a_logged_in_web_post_without_the_token_is_refused_and_keeps_the_session():
    user = UserFactory(username="nurse1")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)

    response = browser.post("/logout/")

    assert response.status_code == 403
    assert browser.session["_auth_user_id"] == str(user.id)
