"""Every page sends a Content Security Policy without unsafe-inline or unsafe-eval
(GOV.UK Frontend's scripts carry a nonce), cannot be framed, does not leak where the
visitor came from, and production cookies are Secure, HttpOnly, SameSite and __Host-."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GOOD_KEY = "k7#Qv9!pZ2@xL5$wN8^rT1&yU4*iO6(eA3)sD0-fG7=hJ2+kL9_mB5~cV8"


def _policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


@pytest.mark.parametrize("url", ["/", "/safety/", "/sign-in/"])
def test_victim_pages_send_a_strict_content_security_policy(client, db, url):
    response = client.get(url)
    policy = _policy(response)
    header = response["Content-Security-Policy"]
    assert "unsafe-inline" not in header
    assert "unsafe-eval" not in header
    assert policy["default-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    [nonce] = [v for v in policy["script-src"] if v.startswith("'nonce-")]
    html = response.content.decode()
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert len(scripts) == 2
    for script in scripts:
        assert f'nonce="{nonce[7:-1]}"' in script
    assert 'type="module"' in scripts[1]
    assert "style=" not in html  # inline styles would be refused


def test_each_response_gets_a_new_nonce(client, db):
    first = _policy(client.get("/"))["script-src"]
    second = _policy(client.get("/"))["script-src"]
    assert first != second


def test_pages_cannot_be_framed_or_sniffed_and_send_no_referrer_elsewhere(client, db):
    response = client.get("/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    # same-origin is the strictest policy that keeps Django's CSRF check on HTTPS
    # working: no-referrer would make browsers send "Origin: null" on our own forms.
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_the_admin_login_page_is_covered_by_the_policy_too(client, db):
    response = client.get("/admin/login/")
    assert response.status_code == 200
    policy = _policy(response)
    assert policy["frame-ancestors"] == ["'none'"]
    assert "unsafe-eval" not in response["Content-Security-Policy"]


PRODUCTION_PROBE = """
import json
import django
django.setup()
from django.conf import settings
from django.test import Client, override_settings
# Collected static files are not needed to look at headers and cookies.
# The CSRF token is kept in the session; sessions in a cookie need no database here.
override_settings(
    STORAGES={
        **settings.STORAGES,
        "staticfiles": {
            "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        },
    },
    SESSION_ENGINE="django.contrib.sessions.backends.signed_cookies",
).enable()
response = Client().get("/sign-in/", secure=True)
cookie = response.cookies[settings.SESSION_COOKIE_NAME]
print(json.dumps({
    "status": response.status_code,
    "hsts": response.get("Strict-Transport-Security"),
    "cookies": sorted(response.cookies),
    "session_cookie": {
        "name": cookie.key,
        "secure": bool(cookie["secure"]),
        "httponly": bool(cookie["httponly"]),
        "samesite": cookie["samesite"],
        "path": cookie["path"],
        "domain": cookie["domain"],
        "max_age": cookie["max-age"],
    },
    "session": [
        settings.SESSION_COOKIE_NAME,
        settings.SESSION_COOKIE_SECURE,
        settings.SESSION_COOKIE_HTTPONLY,
        settings.SESSION_COOKIE_SAMESITE,
        settings.SESSION_COOKIE_DOMAIN,
    ],
    "plain_http": Client().get("/sign-in/").status_code,
}))
"""


def test_in_production_cookies_are_host_only_secure_and_hsts_is_sent():
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY"}}
    env.update(
        DEBUG="false",
        SECRET_KEY=GOOD_KEY,
        ALLOWED_HOSTS="testserver",
        # Production settings need a broker; this probe never reaches it.
        REDIS_URL=env.get("REDIS_URL") or "redis://127.0.0.1:6379/0",
        DJANGO_SETTINGS_MODULE="trackmycrime.settings",
        VAR_DIR=str(ROOT / "var"),
    )
    result = subprocess.run(
        [sys.executable, "-c", PRODUCTION_PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    probe = json.loads(result.stdout.strip().splitlines()[-1])
    assert probe["status"] == 200
    assert probe["hsts"] == "max-age=31536000; includeSubDomains; preload"
    # The CSRF token is in the session: no cookie of its own, and the session cookie
    # goes when the browser closes.
    assert probe["cookies"] == ["__Host-sessionid"]
    assert probe["session_cookie"] == {
        "name": "__Host-sessionid",
        "secure": True,
        "httponly": True,
        "samesite": "Lax",
        "path": "/",
        "domain": "",
        "max_age": "",
    }
    assert probe["session"] == ["__Host-sessionid", True, True, "Lax", None]
    assert probe["plain_http"] == 301  # redirected to HTTPS


def test_a_missing_page_keeps_the_layout_and_exit_this_page(client, db, settings):
    settings.DEBUG = False
    response = client.get("/no-such-page/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "Page not found" in html
    assert 'href="/exit/"' in html
    assert "unsafe-inline" not in response["Content-Security-Policy"]


def test_the_error_page_renders_without_a_request():
    from django.template.loader import render_to_string

    html = render_to_string("500.html")
    assert "Sorry, there is a problem with the service" in html
    assert 'href="/exit/"' in html
    assert "<script" not in html
