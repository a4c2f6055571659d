"""Staff login as production runs it: a password alone never opens the admin, a second factor does.

STAFF_2FA_REQUIRED is off in the test settings (and dev), on in prod; StaffAdminSite reads it per
request, so override_settings gives these tests the production login.
"""

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.test import override_settings
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from casetracker.settings.client_ip import client_ip_settings

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-password-for-tests"
LOGIN = "/account/login/"
SETUP = "/account/two_factor/setup/"
production_login = override_settings(STAFF_2FA_REQUIRED=True)


@pytest.fixture
def staff(db):
    user = User.objects.create_user(username="member", password=PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name="Researcher"))
    return user


@pytest.fixture
def phone(staff):
    """The member's authenticator app: the TOTP device two_factor's setup would have made."""
    return TOTPDevice.objects.create(user=staff, name="default", confirmed=True)


@pytest.fixture
def backup_code(staff, phone):
    device = StaticDevice.objects.create(user=staff, name="backup", confirmed=True)
    return device.token_set.create(token="k3y8a2x9").token


def code_from(device: TOTPDevice) -> str:
    """What the authenticator app shows now."""
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):0{device.digits}d}"


def password_step(client, username="member", password=PASSWORD, **extra):
    return client.post(
        LOGIN,
        {"login_view-current_step": "auth", "auth-username": username, "auth-password": password},
        **extra,
    )


def token_step(client, token):
    return client.post(LOGIN, {"login_view-current_step": "token", "token-otp_token": token})


def backup_step(client, token):
    return client.post(LOGIN, {"login_view-current_step": "backup", "backup-otp_token": token})


def shows_admin_index(client) -> bool:
    response = client.get("/admin/", follow=True)
    return response.status_code == 200 and response.resolver_match.view_name == "admin:index"


def test_without_the_setting_a_password_session_sees_the_admin_as_before(client, staff):
    client.force_login(staff)
    assert shows_admin_index(client)


@production_login
def test_a_password_only_session_is_not_shown_the_admin_index(client, staff, phone):
    client.force_login(staff)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert not shows_admin_index(client)


@production_login
def test_the_right_password_alone_does_not_reach_the_admin_index(client, staff, phone):
    response = password_step(client)
    assert response.status_code == 200 and 'name="token-otp_token"' in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert not shows_admin_index(client)


@production_login
def test_the_admins_own_password_form_is_not_offered(client, staff, phone):
    response = client.post(reverse("admin:login"), {"username": "member", "password": PASSWORD, "next": "/admin/"})
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    assert "_auth_user_id" not in client.session
    assert not shows_admin_index(client)


@production_login
def test_a_valid_code_from_the_app_after_the_password_reaches_the_admin_index(client, staff, phone):
    password_step(client)
    response = token_step(client, code_from(phone))
    assert response.status_code == 302
    assert shows_admin_index(client)


@production_login
def test_a_wrong_code_does_not_reach_the_admin_index(client, staff, phone):
    password_step(client)
    wrong = f"{(int(code_from(phone)) + 1) % 1_000_000:06d}"
    response = token_step(client, wrong)
    assert response.status_code == 200
    assert not shows_admin_index(client)


@production_login
def test_a_backup_code_logs_in_once(client, staff, backup_code):
    password_step(client)
    assert backup_step(client, backup_code).status_code == 302
    assert shows_admin_index(client)

    client.logout()
    password_step(client)
    assert backup_step(client, backup_code).status_code == 200
    assert not shows_admin_index(client)


@production_login
def test_a_member_without_a_device_is_sent_to_set_one_up_and_then_reaches_the_admin(client, staff):
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith(LOGIN)
    password_step(client)

    # The password was right, but the admin still wants a second factor: set one up first.
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0] == SETUP
    assert response.resolver_match.view_name == "two_factor:setup"

    page = client.post(SETUP, {"setup_view-current_step": "welcome"}).content.decode()
    assert 'src="/account/two_factor/qrcode/"' in page
    assert client.get("/account/two_factor/qrcode/")["Content-Type"].startswith("image/svg+xml")
    # The app scans the QR code; its secret is the one the page shows under it.
    key = client.session["wizard_setup_view"]["extra_data"]["keys"]["generator"]
    app = TOTPDevice(key=key)
    response = client.post(SETUP, {"setup_view-current_step": "generator", "generator-token": code_from(app)})
    assert response.status_code == 302
    assert TOTPDevice.objects.filter(user=staff, name="default", confirmed=True).exists()

    assert shows_admin_index(client)
    # The admin reminds them to make backup codes, and the page that makes them is open to them.
    assert 'id="no-backup-codes"' in client.get("/admin/").content.decode()
    client.post("/account/two_factor/backup/tokens/")
    assert StaticDevice.objects.get(user=staff).token_set.count() == 10
    assert 'id="no-backup-codes"' not in client.get("/admin/").content.decode()


def _login_from(client, client_address, password, login_url):
    """A login attempt as the TLS proxy forwards it: the proxy's address, the client's in the header."""
    proxy = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": client_address}
    if login_url == LOGIN:
        return password_step(client, password=password, **proxy)
    return client.post(login_url, {"username": "member", "password": password, "next": "/admin/"}, **proxy)


@pytest.mark.parametrize(
    ("login_url", "two_factor"), [("/admin/login/", False), (LOGIN, True)], ids=["admin-login", "two-factor-login"]
)
def test_five_wrong_passwords_lock_out_that_address_for_that_name_but_not_the_member_elsewhere(
    client, staff, login_url, two_factor
):
    behind_one_proxy = client_ip_settings(1)._asdict()
    with override_settings(AXES_ENABLED=True, STAFF_2FA_REQUIRED=two_factor, **behind_one_proxy):
        stranger, member = "203.0.113.7", "198.51.100.20"
        for _ in range(settings.AXES_FAILURE_LIMIT):
            _login_from(client, stranger, "wrong", login_url)

        locked = _login_from(client, stranger, PASSWORD, login_url)
        assert locked.status_code == settings.AXES_HTTP_RESPONSE_CODE
        # Claiming to be someone else changes nothing: the proxy appends the real address last.
        spoofed = _login_from(client, f"{member}, {stranger}", PASSWORD, login_url)
        assert spoofed.status_code == settings.AXES_HTTP_RESPONSE_CODE
        assert "_auth_user_id" not in client.session

        response = _login_from(client, member, PASSWORD, login_url)
        assert response.status_code == 302
        assert client.session["_auth_user_id"] == str(staff.pk)


def test_behind_one_proxy_the_address_the_proxy_appended_is_the_client():
    from django.test import RequestFactory
    from ipware import get_client_ip

    one = client_ip_settings(1)
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="192.0.2.1, 203.0.113.7")
    with override_settings(IPWARE_STRICT=one.IPWARE_STRICT):
        address, _ = get_client_ip(
            request, proxy_count=one.AXES_IPWARE_PROXY_COUNT, request_header_order=one.AXES_IPWARE_META_PRECEDENCE_ORDER
        )
    assert address == "203.0.113.7"


def test_with_no_proxy_a_forwarded_for_header_is_ignored():
    assert client_ip_settings(0).AXES_IPWARE_META_PRECEDENCE_ORDER == ["REMOTE_ADDR"]
