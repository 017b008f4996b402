"""The jobs' records in the admin: every page renders read-only, no sealed secret leaks, alerts can be closed in bulk."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from audit.services import audit_chain_check
from keys.apikeys.rotation import rotation_policy_set, rotation_run
from keys.models import APIKey, SealedSecret
from keys.tests.jobs_helpers import NOW
from lib import crypto
from lib.tests.admin import admin_change_url
from monitoring.models import Alert, AlertKind, AlertStatus, UsageBucket
from monitoring.services import expiry_notices_run
from monitoring.tests.helpers import networks

pytestmark = pytest.mark.django_db


def test_every_jobs_admin_page_renders_and_never_shows_a_sealed_secret(admin_client, make_key, alice, org) -> None:  # type: ignore[no-untyped-def]
    with time_machine.travel(NOW, tick=False) as traveller:
        key, _ = make_key(environment="test", expires_at=NOW + 20 * timedelta(days=1))
        rotation_policy_set(key=key, actor=alice, interval=timedelta(days=7), grace=timedelta(days=1))
        traveller.shift(timedelta(days=7))
        rotation_run()
        traveller.shift(timedelta(days=14))  # the successor (20 days to live) reaches its 7-day notice
        expiry_notices_run()
    successor = APIKey.objects.get(predecessor=key)
    sealed = SealedSecret.objects.get(key=successor)
    secret = crypto.decrypt(sealed.ciphertext, purpose=SealedSecret.ENCRYPTION_PURPOSE, row_id=successor.id)
    networks(key, "203.0.113.0/24", hours=[NOW])
    alert = Alert.objects.create(organization=org, key=key, kind=AlertKind.SPIKE, hour=NOW, observed=900)
    audit_chain_check()
    UsageBucket.objects.create(key=key, hour=NOW, requests=3)
    pages = [f"keys/{m}" for m in ("rotationpolicy", "sealedsecret")] + ["accounts/outboundemail"]
    pages += [f"monitoring/{m}" for m in ("alert", "expirynotice", "usagenetwork", "usagebucket")]
    for model in pages:
        listing = admin_client.get(f"/admin/{model}/")
        assert listing.status_code == 200, model
        first = listing.context["cl"].result_list[0]
        detail = admin_client.get(admin_change_url(first))
        assert detail.status_code == 200, model
        for page in (listing, detail):
            assert secret.encode() not in page.content and sealed.ciphertext.encode() not in page.content
            assert b'name="_save"' not in page.content  # read-only
    assert admin_client.get("/admin/audit/auditchaincheck/").status_code == 200
    response = admin_client.post(
        "/admin/monitoring/alert/", {"action": "resolve_selected", "_selected_action": [alert.pk]}, follow=True
    )
    assert response.status_code == 200
    alert.refresh_from_db()
    assert alert.status == AlertStatus.RESOLVED and alert.resolved_by == alice
