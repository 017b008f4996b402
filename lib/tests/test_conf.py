from __future__ import annotations

import pytest
from django.test import override_settings

from lib.conf import Snapshot


def test_a_snapshot_follows_setting_changes(settings) -> None:  # type: ignore[no-untyped-def]
    snapshot = Snapshot("KEYS_PREFIX", "TRUSTED_PROXY_COUNT")
    assert snapshot.KEYS_PREFIX == settings.KEYS_PREFIX
    with override_settings(KEYS_PREFIX="zz"):
        assert snapshot.KEYS_PREFIX == "zz"
    assert snapshot.KEYS_PREFIX == settings.KEYS_PREFIX
    settings.TRUSTED_PROXY_COUNT = 3  # pytest-django's fixture
    assert snapshot.TRUSTED_PROXY_COUNT == 3


def test_a_snapshot_is_read_only_and_holds_only_its_names() -> None:
    snapshot = Snapshot("KEYS_PREFIX")
    with pytest.raises(AttributeError):
        snapshot.KEYS_PREFIX = "x"
    with pytest.raises(AttributeError):
        snapshot.DEBUG  # noqa: B018
