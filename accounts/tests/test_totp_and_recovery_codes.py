"""An authenticator app as the second factor: enrolment, the login's second step, recovery codes, sudo."""

from __future__ import annotations

import pyotp
import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from accounts import mfa
from accounts.models import RecoveryCode, TOTPDevice
from accounts.services import SUDO_SESSION_KEY
from accounts.tests.mfa_helpers import code_for, enrol_totp
from audit.models import AuditEvent
from conftest import PASSWORD, login
from lib import crypto

pytestmark = pytest.mark.django_db


def _password(client, user):  # type: ignore[no-untyped-def]
    return client.post("/login/", {"username": user.email, "password": PASSWORD})


def test_enrolling_stores_the_seed_sealed_and_recovery_codes_hashed(client, alice) -> None:  # type: ignore[no-untyped-def]
    login(client, alice)
    page = client.get("/account/security/totp/")
    seed = client.session[mfa.SETUP_SESSION_KEY]
    assert seed.encode() in page.content and page["Cache-Control"].startswith("no-store")
    wrong = client.post("/account/security/totp/", {"code": "123456" if code_for(seed) != "123456" else "654321"})
    assert b"not right" in wrong.content and not TOTPDevice.objects.filter(user=alice).exists()
    shown = client.post("/account/security/totp/", {"code": code_for(seed)})
    codes = shown.context["codes"]
    assert len(codes) == mfa.RECOVERY_CODES and all(c.encode() in shown.content for c in codes)
    with connection.cursor() as cursor:
        cursor.execute("SELECT seed_ciphertext FROM accounts_totpdevice")
        (stored,) = cursor.fetchone()
        cursor.execute("SELECT code_hash FROM accounts_recoverycode")
        hashes = {row[0] for row in cursor.fetchall()}
    assert seed not in stored and stored.startswith("enc1$")
    assert not hashes & set(codes) and len(hashes) == mfa.RECOVERY_CODES
    assert mfa.SETUP_SESSION_KEY not in client.session
    assert AuditEvent.objects.filter(action="user.mfa_totp_enabled", target_id=str(alice.pk)).exists()


def test_enrolling_needs_sudo(client, alice) -> None:  # type: ignore[no-untyped-def]
    login(client, alice, sudo=False)
    assert client.get("/account/security/totp/")["Location"].startswith("/account/confirm-password/")


def test_the_password_alone_does_not_log_in_a_user_with_an_app(client, alice) -> None:  # type: ignore[no-untyped-def]
    enrol_totp(alice)
    response = _password(client, alice)
    assert response["Location"] == "/login/verify/"
    assert "_auth_user_id" not in client.session
    assert client.get("/orgs/")["Location"].startswith("/login/")


def test_a_right_code_logs_in_once_and_the_same_code_never_again(client, alice) -> None:  # type: ignore[no-untyped-def]
    seed = enrol_totp(alice)
    _password(client, alice)
    code = code_for(seed)
    response = client.post("/login/verify/", {"code": code})
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(alice.pk)
    assert client.session[SUDO_SESSION_KEY] > 0
    client.logout()
    _password(client, alice)
    replay = client.post("/login/verify/", {"code": code})
    assert replay.status_code == 200 and b"not right" in replay.content
    assert "_auth_user_id" not in client.session


def test_a_code_from_the_previous_step_is_accepted_for_clock_drift(alice) -> None:  # type: ignore[no-untyped-def]
    seed = enrol_totp(alice)
    assert mfa.verify_code(user=alice, code=code_for(seed, steps_ago=1)) == "totp"
    assert mfa.verify_code(user=alice, code=code_for(seed, steps_ago=3)) is None


def test_a_recovery_code_works_once(client, alice) -> None:  # type: ignore[no-untyped-def]
    enrol_totp(alice)
    codes = mfa.recovery_codes_regenerate(user=alice)
    _password(client, alice)
    assert client.post("/login/verify/", {"code": codes[0].upper()}).status_code == 302
    assert RecoveryCode.objects.filter(user=alice, used_at__isnull=False).count() == 1
    client.logout()
    _password(client, alice)
    assert client.post("/login/verify/", {"code": codes[0]}).status_code == 200


def test_five_wrong_codes_send_the_user_back_to_the_password(client, alice) -> None:  # type: ignore[no-untyped-def]
    seed = enrol_totp(alice)
    _password(client, alice)
    right = code_for(seed)
    wrong = "000000" if right != "000000" else "111111"
    for _ in range(mfa.MAX_FAILURES // 2 - 1):
        assert client.post("/login/verify/", {"code": wrong}).status_code == 200
    assert client.post("/login/verify/", {"code": wrong})["Location"] == "/login/"
    assert client.post("/login/verify/", {"code": right})["Location"] == "/login/"
    assert AuditEvent.objects.filter(action="user.mfa_failed", actor_id=alice.pk).count() == 5


def test_wrong_codes_across_sessions_lock_codes_for_a_while(alice) -> None:  # type: ignore[no-untyped-def]
    seed = enrol_totp(alice)
    right = code_for(seed)
    for _ in range(mfa.MAX_FAILURES):
        assert mfa.verify_code(user=alice, code="12345x") is None
    assert mfa.verify_code(user=alice, code=right) is None


def test_the_second_step_expires(client, alice) -> None:  # type: ignore[no-untyped-def]
    seed = enrol_totp(alice)
    _password(client, alice)
    with time_machine.travel(timezone.now() + timezone.timedelta(seconds=mfa.PENDING_SECONDS + 60)):
        assert client.post("/login/verify/", {"code": code_for(seed)})["Location"] == "/login/"
        assert client.get("/login/verify/")["Location"] == "/login/"
    assert "_auth_user_id" not in client.session


def test_a_user_without_a_second_factor_logs_in_with_the_password(client, alice) -> None:  # type: ignore[no-untyped-def]
    response = _password(client, alice)
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(alice.pk)


def test_bad_input_on_the_second_step_is_a_form_error(client, alice) -> None:  # type: ignore[no-untyped-def]
    enrol_totp(alice)
    _password(client, alice)
    for code in ("", "x" * 30, "\uff11\uff12\uff13\uff14\uff15\uff16"):  # the last: full-width digits
        response = client.post("/login/verify/", {"code": code})
        assert response.status_code == 200


def test_sudo_mode_accepts_a_code_instead_of_the_password(client, alice) -> None:  # type: ignore[no-untyped-def]
    seed = enrol_totp(alice)
    login(client, alice, sudo=False)
    page = client.get("/account/confirm-password/?next=/orgs/")
    assert b'name="code"' in page.content
    assert client.post("/account/confirm-password/", {"code": "99999", "next": "/orgs/"}).status_code == 200
    assert SUDO_SESSION_KEY not in client.session
    ok = client.post("/account/confirm-password/", {"code": code_for(seed), "next": "/orgs/"})
    assert ok["Location"] == "/orgs/" and client.session[SUDO_SESSION_KEY] > 0
    assert client.post("/account/confirm-password/", {"next": "/orgs/"}).status_code == 200


def test_removing_the_app_needs_sudo_and_is_audited(client, alice) -> None:  # type: ignore[no-untyped-def]
    enrol_totp(alice)
    mfa.recovery_codes_regenerate(user=alice)
    login(client, alice, sudo=False)
    assert client.post("/account/security/totp/remove")["Location"].startswith("/account/confirm-password/")
    login(client, alice)
    client.post("/account/security/totp/remove")
    assert not TOTPDevice.objects.filter(user=alice).exists() and not RecoveryCode.objects.filter(user=alice).exists()
    assert AuditEvent.objects.filter(action="user.mfa_totp_disabled").exists()


def test_the_provisioning_uri_names_the_site_and_account(alice) -> None:  # type: ignore[no-untyped-def]
    uri = mfa.totp_provisioning_uri(alice, pyotp.random_base32())
    assert uri.startswith("otpauth://totp/") and "alice%40example.com" in uri


def test_reencrypt_moves_the_seed_to_a_new_key_and_codes_keep_working(settings, alice) -> None:  # type: ignore[no-untyped-def]
    import base64
    import os
    from io import StringIO

    from django.core.management import call_command

    seed = enrol_totp(alice)
    settings.ENCRYPTION_KEYS = f"new1:{base64.urlsafe_b64encode(os.urandom(32)).decode()},{settings.ENCRYPTION_KEYS}"
    call_command("reencrypt", stdout=StringIO())
    assert crypto.key_id_of(TOTPDevice.objects.get(user=alice).seed_ciphertext) == "new1"
    settings.ENCRYPTION_KEYS = settings.ENCRYPTION_KEYS.split(",")[0]
    assert mfa.verify_code(user=alice, code=code_for(seed)) == "totp"


def test_an_inline_password_confirmation_takes_a_code_too(client, alice, org) -> None:  # type: ignore[no-untyped-def]
    from keys.models import APIKey

    seed = enrol_totp(alice)
    login(client, alice, sudo=False)
    payload = {"name": "Live", "environment": "live", "expiry": "30d", "scope__orders": "read"}
    page = client.post(f"/orgs/{org.slug}/keys/new", payload)
    assert b"Or a code from your authenticator app" in page.content
    client.post(f"/orgs/{org.slug}/keys/new", {**payload, "password": "000000" if code_for(seed) != "000000" else "1"})
    assert not APIKey.objects.exists() and SUDO_SESSION_KEY not in client.session
    client.post(f"/orgs/{org.slug}/keys/new", {**payload, "password": code_for(seed)})
    assert APIKey.objects.filter(environment="live").count() == 1 and client.session[SUDO_SESSION_KEY] > 0
