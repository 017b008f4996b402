"""The DJANGO_SECRET_KEY runbook (docs/operations.md): with the old key in SECRET_KEY_FALLBACKS, sessions and
password-reset links made under it keep working; once it is dropped, they stop."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.test import Client
from django.urls import reverse

from conftest import login

pytestmark = pytest.mark.django_db

OLD = "old-secret-key-" + "o" * 50
NEW = "new-secret-key-" + "n" * 50


def home_status(client: Any) -> int:
    return client.get(reverse("accounts:org_list")).status_code


def test_sessions_and_reset_links_survive_a_rotation_with_the_fallback(alice: Any, settings: Any) -> None:
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = OLD, []
    active, idle = login(Client(), alice, sudo=False), login(Client(), alice, sudo=False)
    assert home_status(active) == 200 and home_status(idle) == 200
    token = default_token_generator.make_token(alice)

    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = NEW, [OLD]
    assert home_status(active) == 200  # and Django re-signs this session's hash with the new key
    assert default_token_generator.check_token(alice, token)

    # Step 3: the fallback dropped. Sessions used meanwhile carry on; an idle one and old reset links stop.
    settings.SECRET_KEY_FALLBACKS = []
    assert home_status(active) == 200
    assert home_status(idle) == 302
    assert not default_token_generator.check_token(alice, token)


def test_the_fallback_list_comes_from_the_environment(monkeypatch: Any) -> None:
    from config.env import env_list

    monkeypatch.setenv("DJANGO_SECRET_KEY_FALLBACKS", f"{OLD}, {NEW}")
    assert env_list("DJANGO_SECRET_KEY_FALLBACKS", []) == [OLD, NEW]
