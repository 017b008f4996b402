"""Rotating a signing secret keeps the old one signing beside the new one for the grace period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from audit.models import AuditEvent
from webhooks import services
from webhooks.tests.helpers import run_due

pytestmark = pytest.mark.django_db
START = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)


def test_a_rotation_produces_two_valid_signatures_until_the_grace_ends(make_endpoint, receiver, alice) -> None:  # type: ignore[no-untyped-def]
    with time_machine.travel(START, tick=False) as clock:
        endpoint, old = make_endpoint()
        new, grace_until = services.endpoint_secret_rotate(endpoint=endpoint, actor=alice, grace=timedelta(hours=1))
        assert new != old and grace_until == START + timedelta(hours=1)
        services.endpoint_send_test(endpoint=endpoint, actor=alice)
        run_due()
        during = receiver.requests[-1]
        assert len(during.headers["webhook-signature"].split(" ")) == 2
        for secret in (old, new):
            assert Webhook(secret).verify(during.body, during.headers)["type"] == "webhook.test"

        clock.shift(timedelta(hours=1, seconds=1))
        services.endpoint_send_test(endpoint=endpoint, actor=alice)
        run_due()
        after = receiver.requests[-1]
        assert len(after.headers["webhook-signature"].split(" ")) == 1
        assert Webhook(new).verify(after.body, after.headers)
        with pytest.raises(WebhookVerificationError):
            Webhook(old).verify(after.body, after.headers)
    event = AuditEvent.objects.get(action="webhook.secret_rotated")
    assert event.metadata == {"grace_until": grace_until.isoformat()}


def test_rotating_with_no_grace_stops_the_old_secret_at_once(make_endpoint, alice) -> None:  # type: ignore[no-untyped-def]
    endpoint, old = make_endpoint()
    new, _ = services.endpoint_secret_rotate(endpoint=endpoint, actor=alice, grace=timedelta(0))
    assert [s.secret for s in services.endpoint_secret_reveal(endpoint=endpoint, actor=alice)] == [new]


def test_rotating_again_shortens_the_older_grace_and_reveal_shows_every_signing_secret(make_endpoint, alice) -> None:  # type: ignore[no-untyped-def]
    with time_machine.travel(START, tick=False):
        endpoint, first = make_endpoint()
        second, _ = services.endpoint_secret_rotate(endpoint=endpoint, actor=alice, grace=timedelta(days=7))
        third, until = services.endpoint_secret_rotate(endpoint=endpoint, actor=alice, grace=timedelta(hours=1))
        revealed = services.endpoint_secret_reveal(endpoint=endpoint, actor=alice)
    assert [s.secret for s in revealed] == [third, second, first]
    assert [s.expires_at for s in revealed] == [None, until, until]
    assert AuditEvent.objects.filter(action="webhook.secret_revealed", target_id=endpoint.id).count() == 1


def test_the_grace_period_is_between_zero_and_seven_days(make_endpoint, alice) -> None:  # type: ignore[no-untyped-def]
    endpoint, _ = make_endpoint()
    for grace in (timedelta(seconds=-1), timedelta(days=8)):
        with pytest.raises(ValidationError):
            services.endpoint_secret_rotate(endpoint=endpoint, actor=alice, grace=grace)
