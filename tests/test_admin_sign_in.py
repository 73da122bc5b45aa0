from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import backup_codes

PASSWORD = "a-long-test-password"


def _sign_in(client, username, **extra):
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": username, "password": PASSWORD, **extra},
    )


def _is_signed_in(client) -> bool:
    return client.get("/admin/").status_code == 200


def test_it_refuses_a_password_without_a_code(client, officer):
    backup_codes(officer)
    response = _sign_in(client, officer.username)
    assert response.status_code == 200
    assert "The username, password or security code is not right" in (
        response.content.decode()
    )
    assert not _is_signed_in(client)


def test_it_refuses_a_wrong_code(client, officer):
    backup_codes(officer)
    response = _sign_in(client, officer.username, otp_token="wrong123")
    assert response.status_code == 200
    assert not _is_signed_in(client)


def test_a_signed_in_user_without_a_verified_device_gets_no_admin(client, officer):
    client.force_login(officer)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_it_accepts_password_and_authenticator_code(client, officer):
    device = TOTPDevice.objects.create(user=officer, name="app", confirmed=True)
    code = f"{totp(device.bin_key):06d}"
    response = _sign_in(client, officer.username, otp_token=code)
    assert response.status_code == 302
    assert _is_signed_in(client)


def test_a_backup_code_works_once(client, officer):
    code = backup_codes(officer, count=1)[0]
    _sign_in(client, officer.username, otp_token=code)
    assert _is_signed_in(client)
    client.logout()
    _sign_in(client, officer.username, otp_token=code)
    assert not _is_signed_in(client)
