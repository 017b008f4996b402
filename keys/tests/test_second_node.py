"""Second-node proof (DESIGN 6): two real server processes on one PostgreSQL and one Redis. A key
revoked through one is refused by the other within the bound, and never accepted after it.

The bound asserted is KEYS_CACHE_MAX_STALENESS (1 s): a correctness bound (zero acceptances after
it), not a speed measurement; bench/revocation_delay.py prints the distribution of the delays.
"""

from __future__ import annotations

import os

import pytest
from django.conf import settings
from django.db import connection

from bench.nodes import measure, nodes
from keys.apikeys.cache import channel

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

KEYS = 40


def test_a_revocation_through_one_node_reaches_the_other_within_the_bound(make_key) -> None:  # type: ignore[no-untyped-def]
    if connection.vendor != "postgresql" or not settings.REDIS_URL:
        pytest.skip("needs PostgreSQL (DATABASE_URL) and Redis (REDIS_URL)")
    keys = [make_key(name=f"node key {i}") for i in range(KEYS)]
    _, manager = make_key(name="manager", scopes=["keys:read", "keys:manage", "orders:read"])
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "KEYS_CACHE": "on",
        "KEYS_FAILURES_PER_IP_PER_MINUTE": "1000000",  # every refusal counts as a failure from 127.0.0.1
        "KEYS_CACHE_MAX_STALENESS": str(settings.KEYS_CACHE_MAX_STALENESS),
        "LOG_LEVEL": "WARNING",
    }
    with nodes(env) as (a, b):
        result = measure(
            a,
            b,
            [(key.pk, plaintext) for key, plaintext in keys],
            manager,
            redis_url=settings.REDIS_URL,
            channel=channel(),
            bound=settings.KEYS_CACHE_MAX_STALENESS,
        )
    assert len(result.delays) == KEYS
    assert result.never_refused == 0
    assert result.accepted_after_bound == 0
