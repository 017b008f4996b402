"""The anomaly scan over 100,000 active keys with 7 days of hourly buckets (DESIGN 8: under 60 s on 2 cores).

    .venv/bin/python bench/anomaly_scan.py [--keys 100000] [--days 7] [--keep]

Creates the PostgreSQL database `keyhouse_bench_anomaly`, migrates it, and seeds it in SQL:

- `--keys` active API keys in one team, created 30 days ago;
- one usage bucket per key and hour for `--days` days plus the current hour, 100 to 200 requests
  each (so every key clears the minimum volume and goes through the full EWMA aggregation: the worst
  case), and 0 to 2 failures;
- source networks: each key's usual /24 every 6 hours over the window and in the last two hours;
- planted anomalies: 100 traffic spikes (20x), 50 bursts of failures, 40 keys seen from a new /24 and
  20 allowlisted keys with refused attempts from outside their networks.

Then it runs `VACUUM ANALYZE`, times each detector query and the whole scan (`anomaly_scan`: the
detectors, then raising the alerts, with their events, audit records and queued emails), runs the
scan a second time (everything deduplicated), prints the figures and how many planted anomalies were
found, and drops the database unless `--keep`. It only prints; nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import platform_env, recreate_database  # noqa: E402

DB_NAME = "keyhouse_bench_anomaly"
ENV = platform_env(DB_NAME, EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend", CELERY_TASK_ALWAYS_EAGER="0")
SPIKES, BURSTS, NEW_NETS, BLOCKED = 100, 50, 40, 20


def timed(label: str, fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    elapsed = time.perf_counter() - start
    print(f"  {label:<52} {elapsed:8.2f} s")
    return result, elapsed


def seed(keys: int, days: int, now: datetime) -> None:
    from django.db import connection

    from accounts.models import Organization
    from keys.models import APIKey

    org = Organization.objects.create(name="Bench", slug="bench")
    hours = days * 24
    current = now.replace(minute=0, second=0, microsecond=0)
    created = now - timedelta(days=30)
    for first in range(0, keys, 10_000):
        APIKey.objects.bulk_create(
            [
                APIKey(
                    id=_base62(n),
                    prefix="ak",
                    secret_hash=f"hmac-sha256$1${n:064x}",  # never checked here: the scan reads usage only
                    name=f"key {n}",
                    organization=org,
                    scopes=["orders:read"],
                    created_at=created,
                )
                for n in range(first + 1, min(first + 10_000, keys) + 1)
            ]
        )
    with connection.cursor() as cur:
        cur.execute(
            """
            INSERT INTO keys_usagebucket (key_id, hour, requests, failures)
            SELECT k.id, h, 100 + floor(random() * 101)::int, floor(random() * 3)::int
            FROM keys_apikey k
            CROSS JOIN generate_series(%(start)s::timestamptz, %(current)s::timestamptz, interval '1 hour') AS h
            """,
            {"start": current - timedelta(hours=hours), "current": current},
        )
        # Each key's usual network every 6 hours of the window, and in the last two hours.
        cur.execute(
            """
            INSERT INTO keys_usagenetwork (key_id, hour, network, requests, blocked)
            SELECT k.id, h, '10.' || mod(k.n / 65536, 256) || '.' || mod(k.n / 256, 256) || '.0/24', 120, 0
            FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM keys_apikey) k
            CROSS JOIN (
                SELECT h FROM generate_series(%(start)s::timestamptz, %(before)s::timestamptz, interval '6 hours') h
                UNION SELECT %(previous)s::timestamptz UNION SELECT %(current)s::timestamptz
            ) AS hours
            """,
            {
                "start": current - timedelta(hours=hours),
                "before": current - timedelta(hours=3),
                "previous": current - timedelta(hours=1),
                "current": current,
            },
        )
        # Planted anomalies, on distinct keys.
        cur.execute("SELECT id FROM keys_apikey ORDER BY md5(id) LIMIT %s", [SPIKES + BURSTS + NEW_NETS + BLOCKED])
        ids = [row[0] for row in cur.fetchall()]
        spikes, bursts = ids[:SPIKES], ids[SPIKES : SPIKES + BURSTS]
        new_nets, blocked = ids[SPIKES + BURSTS : SPIKES + BURSTS + NEW_NETS], ids[SPIKES + BURSTS + NEW_NETS :]
        cur.execute(
            "UPDATE keys_usagebucket SET requests = requests * 20 WHERE hour = %s AND key_id = ANY(%s)",
            [current, spikes],
        )
        cur.execute(
            "UPDATE keys_usagebucket SET failures = 400 WHERE hour = %s AND key_id = ANY(%s)", [current, bursts]
        )
        cur.executemany(
            "INSERT INTO keys_usagenetwork (key_id, hour, network, requests, blocked) VALUES (%s, %s, %s, 30, 0)",
            [(key_id, current, f"198.51.{i}.0/24") for i, key_id in enumerate(new_nets)],
        )
        cur.execute("UPDATE keys_apikey SET allowed_networks = '[\"10.0.0.0/8\"]' WHERE id = ANY(%s)", [blocked])
        cur.executemany(
            "INSERT INTO keys_usagenetwork (key_id, hour, network, requests, blocked) VALUES (%s, %s, %s, 0, 3)",
            [(key_id, current, f"203.0.{i}.0/24") for i, key_id in enumerate(blocked)],
        )


def _base62(n: int) -> str:
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    out = ""
    for _ in range(8):
        n, rest = divmod(n, 62)
        out = digits[rest] + out
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--keys", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()

    os.environ.update(ENV)
    sys.path.insert(0, str(ROOT))
    recreate_database(DB_NAME, create=True)
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        from monitoring.models import Alert, UsageBucket, UsageNetwork
        from monitoring.services import anomalies

        print(f"PostgreSQL: {connection.cursor().connection.info.server_version}, cores: {os.cpu_count()}")
        print(f"load average before: {os.getloadavg()}")
        call_command("migrate", verbosity=0)
        now = datetime.now(UTC)
        print(f"seeding {args.keys:,} keys x {args.days * 24 + 1} hours")
        timed("seed (SQL)", seed, args.keys, args.days, now)
        with connection.cursor() as cur:
            timed("VACUUM ANALYZE", cur.execute, "VACUUM ANALYZE")
        print(f"  buckets: {UsageBucket.objects.count():,}, network rows: {UsageNetwork.objects.count():,}")

        current = now.replace(minute=0, second=0, microsecond=0)
        learning = timedelta(hours=24)
        print("detector queries (current hour):")
        # (label, column, minimum, learning, active keys only): the spike and the failure-burst detectors.
        volume_detectors = (
            ("spike: EWMA over every key's buckets", "requests", 100, learning, True),
            ("failures: EWMA over failures", "failures", 20, None, False),
        )
        (spikes, t_spike), (bursts, _) = (
            timed(
                label,
                anomalies.volume_anomalies,
                hour=current,
                column=column,
                minimum=minimum,
                learning=learns,
                active_only=active,
            )
            for label, column, minimum, learns, active in volume_detectors
        )
        nets, _ = timed("new network", anomalies.new_networks, since=current - timedelta(hours=1), until=now, now=now)
        blocked, _ = timed("blocked network", anomalies.blocked_networks, since=current - timedelta(hours=1), until=now)
        print(
            f"  found: {len(spikes)} spikes, {len(bursts)} failure bursts, {len(nets)} new networks, "
            f"{len(blocked)} blocked (planted {SPIKES}, {BURSTS}, {NEW_NETS}, {BLOCKED})"
        )
        print("whole scan (previous and current hour, then raising alerts):")
        first, t_first = timed("anomaly_scan, first run (raises the alerts)", anomalies.anomaly_scan, now=now)
        second, t_second = timed("anomaly_scan, second run (all deduplicated)", anomalies.anomaly_scan, now=now)
        print(f"  alerts raised: {len(first.raised)} then {len(second.raised)}; stored: {Alert.objects.count()}")
        print(f"load average after: {os.getloadavg()}")
        print(
            f"RESULT keys={args.keys} days={args.days} spike_query={t_spike:.2f}s "
            f"scan_first={t_first:.2f}s scan_second={t_second:.2f}s"
        )
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            recreate_database(DB_NAME, create=False)


if __name__ == "__main__":
    main()
