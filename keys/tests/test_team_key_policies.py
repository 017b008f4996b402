"""Team policies for keys: a maximum key age (rolled by the rotation job) and mandatory expiry for live keys."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from conftest import login
from keys.services import key_update

pytestmark = pytest.mark.django_db


def test_owners_set_the_policies_in_team_settings_and_viewers_cannot(client, alice, vera, org) -> None:  # type: ignore[no-untyped-def]
    login(client, vera)
    payload = {"name": org.name, "max_key_age_days": "90", "require_live_key_expiry": "on"}
    assert client.post(f"/orgs/{org.slug}/settings/", payload).status_code == 403
    login(client, alice)
    page = client.get(f"/orgs/{org.slug}/settings/")
    assert b"Maximum key age" in page.content and b"Live keys must have an expiry" in page.content
    client.post(f"/orgs/{org.slug}/settings/", payload)
    org.refresh_from_db()
    assert (org.max_key_age_days, org.require_live_key_expiry) == (90, True)
    client.post(f"/orgs/{org.slug}/settings/", {"name": org.name, "max_key_age_days": "0"})
    org.refresh_from_db()
    assert org.max_key_age_days == 90  # refused: at least one day


def test_live_keys_need_an_expiry_when_the_team_requires_it(make_key, alice, org) -> None:  # type: ignore[no-untyped-def]
    org.require_live_key_expiry = True
    org.save()
    with pytest.raises(ValidationError) as caught:
        make_key(environment="live")
    assert "requires live keys to have an expiry" in str(caught.value)
    test_key, _ = make_key(environment="test")  # test keys are not held to it
    live_key, _ = make_key(environment="live", expires_at=timezone.now() + timedelta(days=30))
    with pytest.raises(ValidationError):
        key_update(key=live_key, actor=alice, expires_at=None)
    key_update(key=test_key, actor=alice, expires_at=None)


def test_the_portal_create_form_explains_the_refusal(client, alice, org) -> None:  # type: ignore[no-untyped-def]
    org.require_live_key_expiry = True
    org.save()
    login(client, alice)
    assert b"requires live keys to have an expiry" in client.get(f"/orgs/{org.slug}/keys/new").content
    response = client.post(
        f"/orgs/{org.slug}/keys/new",
        {"name": "Live worker", "environment": "live", "expiry": "never", "scope__orders": "read"},
    )
    assert response.status_code == 200 and b"requires live keys to have an expiry" in response.content


@pytest.mark.parametrize(
    ("overrides", "check_id"),
    [
        ({"KEYS_ROTATION_ALLOW_MINUTES": True, "DEBUG": False}, "keys.W021"),
    ],
)
def test_job_setting_mistakes_are_system_checks(settings, overrides, check_id) -> None:  # type: ignore[no-untyped-def]
    from keys.checks import check_job_settings

    for name, value in overrides.items():
        setattr(settings, name, value)
    assert check_id in [problem.id for problem in check_job_settings()]


def test_the_default_job_settings_pass_the_checks(settings) -> None:  # type: ignore[no-untyped-def]
    from keys.checks import check_job_settings

    settings.KEYS_ROTATION_ALLOW_MINUTES = False
    assert check_job_settings() == []
