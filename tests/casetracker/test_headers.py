"""Response headers: a Content-Security-Policy that forbids inline script and style on public pages
(which therefore carry none), a Permissions-Policy that denies device features, and the staff
session's length.
"""

from html.parser import HTMLParser
from io import StringIO

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.test import override_settings
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from prisoners.models import Person, ReleaseGroup
from sources.models import Source

pytestmark = pytest.mark.django_db

JSON_SCRIPT_TYPES = {"application/ld+json", "application/json"}
DENIED_FEATURES = ("camera", "microphone", "geolocation", "payment", "usb", "browsing-topics")


@pytest.fixture
def demo(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path  # the demo's documents are files; keep them out of the project
    call_command("load_demo", stdout=StringIO())


def public_paths() -> dict[str, str]:
    person = Person.objects.public().order_by("pk").first()
    return {
        "home": "/",
        "list": "/prisoners/",
        "filtered list": "/prisoners/?status=released&q=tsikhanouski",
        "profile": person.get_absolute_url(),
        "stats": "/stats/",
        "release group": f"/releases/{ReleaseGroup.objects.order_by('pk').first().slug}/",
        "source": f"/sources/{Source.objects.order_by('pk').first().pk}/",
        "staff login": "/account/login/",
    }


def policy(response) -> dict[str, list[str]]:
    """The Content-Security-Policy header as {directive: [sources]}."""
    directives = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


class InlineCode(HTMLParser):
    """Collects what a CSP without 'unsafe-inline' would block: inline scripts, style, handlers."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script" and "src" not in attributes and attributes.get("type") not in JSON_SCRIPT_TYPES:
            self.found.append(f"inline <script> at line {self.getpos()[0]}")
        if tag == "style":
            self.found.append(f"<style> at line {self.getpos()[0]}")
        for name, value in attrs:
            if name == "style" or name.startswith("on"):
                self.found.append(f'{name}="{value}" on <{tag}> at line {self.getpos()[0]}')
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f'{name}="{value}" on <{tag}> at line {self.getpos()[0]}')

    handle_startendtag = handle_starttag


def inline_code(html: str) -> list[str]:
    parser = InlineCode()
    parser.feed(html)
    parser.close()
    return parser.found


def test_the_inline_code_finder_finds_what_the_policy_would_block():
    page = (
        '<script type="application/ld+json">{}</script><script src="/static/a.js"></script>'
        '<script>alert(1)</script><style>p{}</style><svg><rect style="fill:red"/></svg>'
        '<a href="javascript:go()" onclick="go()">x</a>'
    )
    assert len(inline_code(page)) == 5


def test_every_public_page_has_a_strict_policy_and_no_inline_script_or_style(client, demo):
    for name, path in public_paths().items():
        response = client.get(path)
        assert response.status_code == 200, (name, path)
        csp = policy(response)
        assert csp["default-src"] == ["'self'"], name
        for directive in ("script-src", "style-src"):
            assert "'unsafe-inline'" not in csp[directive], (name, directive)
            assert "'unsafe-eval'" not in csp[directive], (name, directive)
        assert csp["script-src"] == ["'self'"], (name, "no nonce where no inline script asks for one")
        assert csp["object-src"] == ["'none'"], name
        assert csp["base-uri"] == ["'self'"], name
        assert csp["frame-ancestors"] == ["'none'"], name
        assert csp["form-action"] == ["'self'"], name
        assert csp["img-src"] == ["'self'", "data:"], name
        assert inline_code(response.content.decode()) == [], (name, path)


def test_the_stats_page_draws_its_charts_without_style_attributes(client, demo):
    html = client.get("/stats/", {"on": "2025-06-22"}).content.decode()
    assert html.count('<svg class="chart"') >= 3
    assert inline_code(html) == []


@override_settings(STAFF_2FA_REQUIRED=True)
def test_the_staff_login_setup_and_backup_code_pages_keep_the_strict_policy(client, db):
    password = "a-long-password-for-tests"
    User.objects.create_user(username="new", password=password, is_staff=True)
    member = User.objects.create_user(username="member", password=password, is_staff=True)
    phone = TOTPDevice.objects.create(user=member, name="default", confirmed=True)
    pages = {}

    def log_in(username):
        step = {"login_view-current_step": "auth", "auth-username": username, "auth-password": password}
        return client.post("/account/login/", step)

    pages["login, code step"] = log_in("member")
    code = totp(phone.bin_key, phone.step, phone.t0, phone.digits, phone.drift)
    client.post("/account/login/", {"login_view-current_step": "token", "token-otp_token": f"{code:06d}"})
    pages["account"] = client.get("/account/two_factor/")
    pages["backup codes"] = client.get("/account/two_factor/backup/tokens/")
    client.logout()
    log_in("new")
    pages["setup"] = client.get("/account/two_factor/setup/")
    pages["setup, QR code"] = client.post("/account/two_factor/setup/", {"setup_view-current_step": "welcome"})

    for name, response in pages.items():
        assert response.status_code == 200, name
        csp = policy(response)
        assert csp["script-src"] == ["'self'"] and csp["style-src"] == ["'self'"], name
        assert inline_code(response.content.decode()) == [], name
    assert "qrcode" in pages["setup, QR code"].content.decode()


def test_every_public_page_denies_device_features(client, demo):
    for name, path in public_paths().items():
        header = client.get(path)["Permissions-Policy"]
        for feature in DENIED_FEATURES:
            assert f"{feature}=()" in header, (name, feature)


def test_the_admin_may_use_inline_styles_but_never_inline_scripts(client, db):
    editor = User.objects.create_user(username="editor", password="not-used", is_staff=True)
    editor.groups.add(Group.objects.get(name="Editor"))
    client.force_login(editor)
    for path in ("/admin/", "/admin/prisoners/person/", "/admin/login/"):
        csp = policy(client.get(path))
        assert "'unsafe-inline'" in csp["style-src"], path
        assert "'unsafe-inline'" not in csp["script-src"], path
        assert csp["frame-ancestors"] == ["'none'"], path


def test_the_api_docs_page_runs_its_one_inline_script_by_nonce(client, db):
    response = client.get("/api/v1/docs/")
    csp = policy(response)
    [nonce] = [source for source in csp["script-src"] if source.startswith("'nonce-")]
    assert "'unsafe-inline'" not in csp["script-src"]
    html = response.content.decode()
    assert f'<script nonce="{nonce[7:-1]}">' in html
    # Swagger UI sets style attributes, so its styles need 'unsafe-inline', which a nonce would void.
    assert "'unsafe-inline'" in csp["style-src"] and not any(s.startswith("'nonce-") for s in csp["style-src"])


def test_relaxed_styles_stop_at_the_api_docs_page(client, db):
    assert "'unsafe-inline'" not in policy(client.get("/api/v1/schema/"))["style-src"]


def test_staff_sessions_last_a_working_day_and_are_not_renewed_on_every_request():
    assert settings.SESSION_COOKIE_AGE == 9 * 60 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is False
