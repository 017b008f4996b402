"""A rolled key that sunsets at the end of its grace: rotation destroys the unrevealed secret, and the expiry
notices announce `key.expired` with reason `grace_ended`, once. (Moved from keys/tests/test_scheduled_rotation.py:
the notice half is monitoring's.)"""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from audit.models import AuditEvent
from keys.apikeys.rotation import rotation_policy_set, rotation_run
from keys.models import APIKey, SealedReason, SealedSecret
from keys.tests.jobs_helpers import NOW, events
from monitoring.services import expiry_notices_run

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)


def test_the_old_key_sunsets_when_grace_ends_and_an_unrevealed_secret_is_destroyed(make_key, alice, hook, api) -> None:  # type: ignore[no-untyped-def]
    with time_machine.travel(NOW, tick=False) as traveller:
        key, plaintext = make_key(environment="test", scopes=["keys:read"])
        rotation_policy_set(key=key, actor=alice, interval=7 * DAY, grace=DAY)
        traveller.shift(7 * DAY)
        rotation_run()
        successor = APIKey.objects.get(predecessor=key)

        traveller.shift(timedelta(hours=12))
        during = api.get("/api/v1/whoami", HTTP_AUTHORIZATION=f"Bearer {plaintext}")
        assert during.status_code == 200
        assert during["Deprecation"].startswith("@") and "GMT" in during["Sunset"]

        traveller.shift(timedelta(hours=13))
        assert api.get("/api/v1/whoami", HTTP_AUTHORIZATION=f"Bearer {plaintext}").status_code == 401
        assert rotation_run().destroyed == 1 and rotation_run().destroyed == 0
        sealed = SealedSecret.objects.get(key=successor)
        assert (sealed.ciphertext, sealed.destroyed_reason) == ("", SealedReason.GRACE_ENDED)
        assert expiry_notices_run() == 1 and expiry_notices_run() == 0

    [expired] = events("key.expired")
    assert expired["data"]["key"]["id"] == key.id and expired["data"]["reason"] == "grace_ended"
    assert AuditEvent.objects.filter(action="key.successor_secret_destroyed", target_id=successor.id).count() == 1
