"""The portal's key list page with 10,000 keys in the team (DESIGN 8: under 100 ms of server time, paginated).

    .venv/bin/python bench/key_list_page.py [--keys 10000] [--requests 60]

Creates the PostgreSQL database `kh_bench_key_list` (or `BENCH_DATABASE`), migrates it, and makes two
teams: one with 100 keys and one with `--keys` keys (bulk inserted, as bench/auth_throughput.py seeds
them). Then, in process, through the full middleware stack (Django's test client, logged in as the
owner), it times the first page, a page deep in the list and a name search for each team, and prints the
p50 and p95 server time, the queries per page and the ratio of the large team to the small one, side by
side. The database is dropped at the end. It only prints; nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import database_name, fresh_platform, platform_env, signed_up  # noqa: E402

ENV = platform_env(database_name("kh_bench_key_list"), STATIC_MANIFEST="0")


def team(email: str, keys: int, start: int, rng: random.Random):  # type: ignore[no-untyped-def]
    from bench.auth_throughput import seed_ours

    user, org = signed_up(email)
    seed_ours(org, start, start + keys, rng)
    return user, org


def measure(client, url: str, requests: int) -> tuple[float, float, int]:  # type: ignore[no-untyped-def]
    """(p50 ms, p95 ms, queries) of GET `url`, after two warm-up requests."""
    from django.db import connection

    for _ in range(2):
        assert client.get(url).status_code == 200, url
    statements: list[str] = []

    def count(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        client.get(url)
    times = []
    for _ in range(requests):
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1], len(statements)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--keys", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=60)
    args = parser.parse_args()

    with fresh_platform(ENV):
        from django.test import Client

        rng = random.Random(7)
        small_user, small = team("small@example.com", 100, 0, rng)
        big_user, big = team("big@example.com", args.keys, 1_000, rng)
        deep = max(1, args.keys // 25 // 2)
        print(f"teams: {small.slug} (100 keys), {big.slug} ({args.keys:,} keys); {args.requests} requests each")
        print(
            f"{'page':<28}{'100 keys p50':>14}{'p95':>8}{'q':>4}{f'{args.keys:,} keys p50':>18}{'p95':>8}{'q':>4}{'ratio':>8}"
        )
        for label, query in (
            ("first page", ""),
            (f"page {deep}", f"?page={deep}"),
            ("search 'bench 42'", "?q=bench+42"),
        ):
            row = []
            for user, org in ((small_user, small), (big_user, big)):
                client = Client()
                client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
                row.append(measure(client, f"/orgs/{org.slug}/keys/{query}", args.requests))
            (p50_s, p95_s, q_s), (p50_b, p95_b, q_b) = row
            print(
                f"{label:<28}{p50_s:>12.1f}ms{p95_s:>6.1f}ms{q_s:>4}{p50_b:>16.1f}ms{p95_b:>6.1f}ms{q_b:>4}{p50_b / p50_s:>8.2f}"
            )
        print("budget: under 100 ms of server time with 10,000 keys (DESIGN 8)")
        print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
