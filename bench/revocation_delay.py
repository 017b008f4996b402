"""Revocation delay across nodes: revoke through node A, measure when node B refuses (DESIGN 6 and 8).

    .venv/bin/python bench/revocation_delay.py [--keys 200] [--bound 1.0]

Creates the PostgreSQL database `keyhouse_bench_revocation`, seeds `--keys` keys and a management
key, starts two gunicorn processes (one sync worker each, KEYS_CACHE=on) on one PostgreSQL and one
Redis, and for every key: warms it on both nodes, revokes it through A's management API and probes
B back to back until B refuses it (bench/nodes.py). Prints the delay distribution (from A's revoke
response to the first refused request sent to B) and the acceptances after the bound, and writes
bench/out/revocation.json for bench/plots.py. The database and its Redis keys are removed at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.nodes import measure, nodes  # noqa: E402

OUT = ROOT / "bench" / "out"
DB_NAME = "keyhouse_bench_revocation"
PG_URL = "postgres://postgres@127.0.0.1:5432"
REDIS_URL = "redis://127.0.0.1:6379/0"
PREFIX = "khbenchrev"
ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings",
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "bench",
    "KEYS_PEPPERS": "1:bench-pepper-0123456789",
    "SECURE_SSL_REDIRECT": "0",
    "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
    "DATABASE_URL": f"{PG_URL}/{DB_NAME}",
    "REDIS_URL": REDIS_URL,
    "CACHE_KEY_PREFIX": PREFIX,
    "LOG_LEVEL": "WARNING",
    "KEYS_CACHE": "on",
    "KEYS_FAILURES_PER_IP_PER_MINUTE": "1000000",  # every refusal counts as a failure from 127.0.0.1
}


def recreate_database(*, create: bool) -> None:
    import psycopg

    with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        if create:
            conn.execute(f"CREATE DATABASE {DB_NAME}")


def clear_redis() -> None:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    names = list(client.scan_iter(match=f"{PREFIX}:*", count=1000))
    if names:
        client.delete(*names)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keys", type=int, default=200, help="keys revoked (default 200)")
    parser.add_argument("--bound", type=float, default=1.0, help="KEYS_CACHE_MAX_STALENESS, seconds (default 1)")
    args = parser.parse_args()
    os.environ.update(ENV)
    os.environ["KEYS_CACHE_MAX_STALENESS"] = str(args.bound)
    recreate_database(create=True)
    try:
        run(args)
    finally:
        from django.db import connections

        connections.close_all()
        recreate_database(create=False)
        clear_redis()


def run(args: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from accounts.models import Membership
    from accounts.services import user_signup
    from keys.apikeys.cache import channel
    from keys.services import key_create

    call_command("migrate", verbosity=0)
    owner = user_signup(email="bench@example.com", password="bench-password-0123")
    org = Membership.objects.get(user=owner).organization
    keys = []
    for i in range(args.keys):
        key, plaintext = key_create(organization=org, actor=owner, name=f"k{i}", scopes=["orders:read"])
        keys.append((key.pk, plaintext))
    _, manager = key_create(
        organization=org, actor=owner, name="manager", scopes=["keys:read", "keys:manage", "orders:read"]
    )
    OUT.mkdir(exist_ok=True)
    started = time.perf_counter()
    with nodes(dict(os.environ), log_dir=OUT) as (a, b):
        result = measure(a, b, keys, manager, redis_url=settings.REDIS_URL, channel=channel(), bound=args.bound)
    print(f"Revocation through node A, refusal by node B: {len(result.delays)} keys, bound {args.bound:g} s")
    print(f"  {'':4} {'from publish':>13} {'from revoked_at':>16}")
    for name, q in (("p50", 0.5), ("p90", 0.9), ("p99", 0.99), ("max", 1.0)):
        published, started_at = result.percentile(q), result.percentile(q, result.from_revoked_at)
        print(f"  {name:4} {published * 1000:10.2f} ms {started_at * 1000:13.2f} ms")
    ms = result.delays
    accepted = sum(result.accepted_before_refusal)
    print(f"  requests B accepted after A's revoke response: {accepted} (mean {accepted / len(ms):.2f} per key)")
    print(f"  accepted after the bound: {result.accepted_after_bound}; never refused: {result.never_refused}")
    print(f"  {time.perf_counter() - started:.0f} s; load average {', '.join(f'{n:.2f}' for n in os.getloadavg())}")
    (OUT / "revocation.json").write_text(json.dumps(result.as_dict()))


if __name__ == "__main__":
    main()
