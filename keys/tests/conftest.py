"""Fixtures of the keys tests: a webhook endpoint that stores every event, and one signing secret, CA and
client certificate of Alice's team. (Inline Celery, `eager_celery`, is the root conftest's.)"""

from __future__ import annotations

from typing import Any

import pytest

from keys.models import CertificateAuthority, ClientCertificate, SigningSecret
from keys.services import certificate_authority_register, signing_secret_create
from keys.tests.pki import make_ca, make_cert, register_certificate
from webhooks.models import Endpoint
from webhooks.services import endpoint_create


@pytest.fixture
def hook(org: Any, alice: Any, settings: Any) -> Endpoint:
    """An endpoint of Alice's team subscribed to every event, so `publish` stores what it sends."""
    settings.WEBHOOK_ALLOW_LOOPBACK = True
    settings.WEBHOOK_REQUIRE_HTTPS = False
    endpoint, _ = endpoint_create(organization=org, actor=alice, url="http://127.0.0.1:9/hook")
    return endpoint


@pytest.fixture
def secret(org: Any, alice: Any) -> SigningSecret:
    """A test-environment signing secret of Alice's team with `orders:read`."""
    return signing_secret_create(organization=org, actor=alice, name="S", scopes=["orders:read"], environment="test")[0]


@pytest.fixture
def authority(org: Any, alice: Any) -> CertificateAuthority:
    """A CA registered by Alice's team."""
    return certificate_authority_register(organization=org, actor=alice, name="Acme CA", certificate_pem=make_ca().pem)


@pytest.fixture
def certificate(org: Any, alice: Any) -> ClientCertificate:
    """A pinned client certificate of Alice's team with `orders:read`."""
    return register_certificate(org, alice, name="Svc", certificate_pem=make_cert("svc").pem)
