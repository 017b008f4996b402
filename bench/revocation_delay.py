"""Revocation delay across nodes: revoke through node A, measure when node B refuses (DESIGN 6 and 8).

    .venv/bin/python bench/revocation_delay.py [--keys 200] [--bound 1.0]

Creates the PostgreSQL database `keyhouse_bench_revocation` (or `BENCH_DATABASE`), seeds `--keys` keys
and a management key, starts two gunicorn processes (one sync worker each, KEYS_CACHE=on) on one
PostgreSQL and one Redis, and for every key: warms it on both nodes, revokes it through A's management
API and probes B back to back until B refuses it (bench/nodes.py). Prints the delay distribution (from
A's revoke response to the first refused request sent to B) and the acceptances after the bound, and
writes bench/out/revocation.json for bench/plots.py. The database and its Redis keys are removed at the
end.
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

from bench.common import database_name, fresh_platform, platform_env, redis_url, signed_up  # noqa: E402
from bench.nodes import measure, nodes  # noqa: E402

OUT = ROOT / "bench" / "out"
ENV = platform_env(
    database_name("keyhouse_bench_revocation"),
    redis_url=redis_url(0),
    redis_prefix="khbenchrev",
    KEYS_CACHE="on",
    KEYS_FAILURES_PER_IP_PER_MINUTE="1000000",  # every refusal counts as a failure from 127.0.0.1
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keys", type=int, default=200, help="keys revoked (default 200)")
    parser.add_argument("--bound", type=float, default=1.0, help="KEYS_CACHE_MAX_STALENESS, seconds (default 1)")
    args = parser.parse_args()
    with fresh_platform(ENV | {"KEYS_CACHE_MAX_STALENESS": str(args.bound)}):
        run(args)


def run(args: argparse.Namespace) -> None:
    from django.conf import settings

    from keys.apikeys.cache import channel
    from keys.services import key_create

    owner, org = signed_up()
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
