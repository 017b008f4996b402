"""Authentication throughput: our API keys vs djangorestframework-api-key's HasAPIKey vs no auth (DESIGN 8).

    make bench            (or: .venv/bin/python bench/auth_throughput.py [--duration 10] [--max-keys 100000])

Creates the PostgreSQL database `keyhouse_bench`, seeds 100,000 keys of ours and 100,000 of
djangorestframework-api-key, starts gunicorn (2 workers) on a free loopback port, loads one tiny
JSON endpoint per scheme with wrk, and prints requests/s and ratios. It also prints the queries per
request (in process) and the in-process cost of `key_check` at 1,000 vs 100,000 (vs 1,000,000) keys,
strict (database) and warm (KEYS_CACHE=on). Servers run with KEYS_CACHE=on and =strict (with Redis)
and without Redis; short loads at 1,000 and 1,000,000 keys give throughput by table size. Results
go to bench/out/auth_throughput.json too (bench/plots.py draws them).
The database and the Redis keys it wrote are removed at the end. It only prints; nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import timeit
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.client import HTTPConnection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
DB_NAME = "keyhouse_bench"
PG_URL = "postgres://postgres@127.0.0.1:5432"
REDIS_URL = "redis://127.0.0.1:6379/0"
REDIS_PREFIX = "khbench"
BASE_ENV = {
    "DJANGO_SETTINGS_MODULE": "bench.settings",
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "bench",
    "KEYS_PEPPERS": "1:bench-pepper-0123456789",
    "SECURE_SSL_REDIRECT": "0",
    "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
    "DATABASE_URL": f"{PG_URL}/{DB_NAME}",
    "DATABASE_CONN_MAX_AGE": "600",
    "LOG_LEVEL": "WARNING",
    "CACHE_KEY_PREFIX": REDIS_PREFIX,
}
KEYS = 100_000
SAMPLE = 1_000  # distinct keys each load rotates over, and key_check is timed over
KEEP_EVERY = 10  # plaintexts kept while seeding (1 in 10), to draw samples from
BATCH = 5_000
ID_SPACE = 62**8
ID_STRIDE = 2_654_435_761  # odd and not a multiple of 31: i -> i * stride mod 62**8 is a bijection
UNLIMITED_RATE = 1_000_000_000  # per minute: a limit that costs the Redis round trip but never refuses
IP = "127.0.0.1"


@dataclass
class Load:
    """wrk results of one endpoint, summed over rounds."""

    name: str
    requests: int = 0
    seconds: float = 0.0
    bad: int = 0  # non-2xx responses plus socket errors
    transactions: int = 0  # counted by PostgreSQL in the bench database during the runs
    latency_ms_sum: float = 0.0  # mean latency of each run times its requests

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def latency_ms(self) -> float:
        return self.latency_ms_sum / self.requests if self.requests else 0.0

    def add(self, wrk_output: str, transactions: int) -> None:
        total = re.search(r"(\d+) requests in ([\d.]+)(m?s)", wrk_output)
        latency = re.search(r"Latency\s+([\d.]+)(us|ms|s)", wrk_output)
        if total is None or latency is None:
            raise RuntimeError(f"cannot read wrk output:\n{wrk_output}")
        requests = int(total.group(1))
        self.requests += requests
        self.seconds += float(total.group(2)) / (1000 if total.group(3) == "ms" else 1)
        self.latency_ms_sum += float(latency.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[latency.group(2)] * requests
        non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", wrk_output)
        errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", wrk_output)
        self.bad += (int(non_2xx.group(1)) if non_2xx else 0) + (sum(map(int, errors.groups())) if errors else 0)
        self.transactions += transactions


@dataclass
class Variant:
    name: str
    path: str
    header: str
    values: list[str]


# --- database and seeding --------------------------------------------------------------------------


def recreate_database(*, create: bool) -> None:
    import psycopg

    with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        if create:
            conn.execute(f"CREATE DATABASE {DB_NAME}")


def clear_redis() -> bool:
    """Delete this benchmark's Redis keys; False when Redis is not reachable."""
    import redis

    try:
        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
        names = list(client.scan_iter(match=f"{REDIS_PREFIX}:*", count=1000))
        if names:
            client.delete(*names)
    except redis.RedisError:
        return False
    return True


def settle(*tables: str) -> None:
    """Vacuum and analyze freshly seeded tables and write them out, so no load or timing pays for it."""
    from django.db import connection

    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"VACUUM ANALYZE {table}")
        cursor.execute("CHECKPOINT")


def seed_ours(organization: Any, start: int, stop: int, rng: random.Random) -> list[str]:
    """Insert our keys number `start` to `stop`; return every KEEP_EVERY-th plaintext."""
    from django.conf import settings

    from keys.apikeys import hashing, tokens
    from keys.models import APIKey

    prefix = settings.KEYS_PREFIX
    kept: list[str] = []
    for first in range(start, stop, BATCH):
        rows = []
        for i in range(first, min(stop, first + BATCH)):
            key_id = tokens.base62(i * ID_STRIDE % ID_SPACE, tokens.ID_LENGTH)
            raw = tokens.build(prefix, "live", key_id, "".join(rng.choices(tokens.ALPHABET, k=tokens.SECRET_LENGTH)))
            rows.append(
                APIKey(
                    id=key_id,
                    prefix=prefix,
                    environment="live",
                    secret_hash=hashing.make_hash(raw),
                    name=f"bench {i}",
                    organization=organization,
                    created_by_label="bench",
                    scopes=["orders:read"],
                )
            )
            if i % KEEP_EVERY == 0:
                kept.append(raw)
        APIKey.objects.bulk_create(rows)
    settle("keys_apikey")
    return kept


def seed_theirs(count: int) -> list[str]:
    """Insert djangorestframework-api-key keys the way its manager does; return kept plaintexts."""
    from rest_framework_api_key.crypto import concatenate
    from rest_framework_api_key.models import APIKey as TheirKey

    kept = [TheirKey.objects.create_key(name=f"bench created {i}")[1] for i in range(5)]
    generator = TheirKey.objects.key_generator
    prefixes: set[str] = set()
    done = len(kept)
    while done < count:
        rows = []
        for _ in range(min(BATCH, count - done)):
            key, prefix, hashed_key = generator.generate()
            if prefix in prefixes:
                continue
            prefixes.add(prefix)
            rows.append(
                TheirKey(id=concatenate(prefix, hashed_key), prefix=prefix, hashed_key=hashed_key, name="bench")
            )
            if (done + len(rows)) % KEEP_EVERY == 0:
                kept.append(key)
        TheirKey.objects.bulk_create(rows)
        done += len(rows)
    settle("rest_framework_api_key_apikey")
    return kept


# --- in-process measurements -------------------------------------------------------------------


def verify_cost(sample: list[str], passes: int = 20, chunk: int = 250, mode: str = "strict") -> tuple[float, float]:
    """Microseconds per `key_check` call: (best, median) of `passes` timed passes of `chunk` calls.

    Each pass takes the next `chunk` keys of the sample, after one untimed pass over all of it.
    The best pass is the least disturbed by the other processes sharing the 2 cores. `mode` is
    KEYS_CACHE: "strict" times the database path, "on" the warm cache (every key was seen once).
    """
    from django.test import override_settings

    from keys.apikeys.cache import key_cache
    from keys.apikeys.verification import key_check

    # override_settings, not assignment: it sends setting_changed, which the hot path's snapshots follow.
    override_settings(KEYS_CACHE=mode, KEYS_CACHE_MAX_STALENESS=3600).enable()  # no Redis here: keep entries
    key_cache.clear()
    for raw in sample:
        assert key_check(raw, ip=IP).valid, "a seeded key does not verify"
    chunks = [sample[i : i + chunk] for i in range(0, len(sample), chunk)]
    times = []
    for n in range(passes):
        keys = chunks[n % len(chunks)]
        times.append(timeit.timeit(lambda keys=keys: [key_check(raw, ip=IP) for raw in keys], number=1) / len(keys))
    times.sort()
    return times[0] * 1e6, times[len(times) // 2] * 1e6


def queries_per_request(path: str, header: str, value: str, expect: int) -> float:
    """Average SQL queries of one request through the full middleware stack (Django test client)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    logging.getLogger("django.request").setLevel(logging.ERROR)  # the expected 401s
    client = Client(SERVER_NAME=IP, REMOTE_ADDR=IP)
    headers = {header: value}
    assert client.get(path, headers=headers).status_code == expect
    runs = 20
    with CaptureQueriesContext(connection) as ctx:
        for _ in range(runs):
            client.get(path, headers=headers)
    return len(ctx.captured_queries) / runs


# --- server and load -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((IP, 0))
        return int(sock.getsockname()[1])


def status_of(port: int, path: str, headers: dict[str, str]) -> int:
    conn = HTTPConnection(IP, port, timeout=5)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


@contextmanager
def gunicorn(env: dict[str, str], worker_class: str, log_name: str) -> Iterator[int]:
    """Run gunicorn (2 workers) on a free loopback port until the block ends."""
    port = free_port()
    cmd = [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--chdir", str(ROOT)]
    cmd += ["--bind", f"{IP}:{port}", "--workers", "2", "--worker-class", worker_class, "--log-level", "warning"]
    if worker_class == "gthread":
        cmd += ["--threads", "4"]
    with open(OUT / log_name, "w") as log:
        proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        try:
            for _ in range(150):
                if proc.poll() is not None:
                    raise RuntimeError(f"gunicorn exited with {proc.returncode}; see {OUT / log_name}")
                try:
                    if status_of(port, "/bench/open", {}) == 200:
                        break
                except OSError:
                    pass
                time.sleep(0.1)
            else:
                raise RuntimeError("gunicorn did not become ready within 15 s")
            yield port
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def wrk_script(variant: Variant) -> str:
    values = ",\n".join(f'  "{value}"' for value in variant.values)
    return f"""local values = {{
{values}
}}
local requests = {{}}
local n = 0
init = function(args)
  for i, value in ipairs(values) do
    requests[i] = wrk.format("GET", "{variant.path}", {{["{variant.header}"] = value}})
  end
end
request = function()
  n = n % #requests + 1
  return requests[n]
end
"""


def run_wrk(port: int, script: Path, seconds: int, connections: int) -> str:
    cmd = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "5s",
        "-s",
        str(script),
        f"http://{IP}:{port}",
    ]
    return subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=seconds + 30).stdout


def pg_transactions() -> int:
    """Transactions PostgreSQL counted in the bench database (each autocommit statement is one).

    The server publishes these about once a second per connection, so a 10 s window is accurate to
    roughly a tenth of a statement per request; it also sees what CaptureQueriesContext cannot, such
    as the `SELECT 1` of CONN_HEALTH_CHECKS and the usage flushes.
    """
    import psycopg

    with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as conn:
        row = conn.execute(
            "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = %s", [DB_NAME]
        ).fetchone()
    return int(row[0]) if row else 0


def load_server(env: dict[str, str], variants: list[Variant], args: argparse.Namespace, label: str) -> list[Load]:
    """Load each endpoint in turn, in `args.rounds` rounds (every other one in reverse order)."""
    loads = {variant.name: Load(variant.name) for variant in variants}
    seconds = max(1, round(args.duration / args.rounds))
    log_name = f"gunicorn-{label.lower().replace(' ', '-')}.log"
    with gunicorn(env, args.worker_class, log_name) as port, tempfile.TemporaryDirectory() as tmp:
        scripts = {}
        for i, variant in enumerate(variants):
            status = status_of(port, variant.path, {variant.header: variant.values[0]})
            assert status == 200, f"{variant.name}: HTTP {status} before the load"
            scripts[variant.name] = Path(tmp) / f"load{i}.lua"
            scripts[variant.name].write_text(wrk_script(variant))
        for round_ in range(args.rounds):
            for variant in variants if round_ % 2 == 0 else variants[::-1]:
                script = scripts[variant.name]
                # The first warm-up is long enough for both workers to have seen most of the 1,000 keys
                # (the steady state of a key cache, which a 10 s load on a busy machine would not reach).
                run_wrk(port, script, args.cache_warmup if round_ == 0 else args.warmup, args.connections)
                before = pg_transactions()
                output = run_wrk(port, script, seconds, args.connections)
                loads[variant.name].add(output, pg_transactions() - before)
    for load in loads.values():
        print(f"  {label:>9}  {load.name:<34} {load.rps:9.1f} req/s", flush=True)
    return list(loads.values())


# --- report --------------------------------------------------------------------------------------


def as_dict(loads: list[Load]) -> dict[str, dict[str, float]]:
    return {load.name: {"rps": load.rps, "latency_ms": load.latency_ms, "bad": load.bad} for load in loads}


def print_table(title: str, loads: list[Load]) -> None:
    by_name = {load.name: load for load in loads}
    base = by_name["open"].rps
    print(f"\n{title}")
    print(f"  {'endpoint':<34} {'req/s':>9} {'÷ open':>7} {'latency':>9} {'PG xact/req':>12} {'errors':>7}")
    for load in loads:
        print(
            f"  {load.name:<34} {load.rps:9.1f} {load.rps / base:7.2f} {load.latency_ms:7.2f}ms"
            f" {load.transactions / max(1, load.requests):12.2f} {load.bad:7d}"
        )
    for name, load in by_name.items():
        if name.startswith("ours"):
            print(f"  {name} / HasAPIKey: {load.rps / by_name['HasAPIKey'].rps:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per endpoint (default 10)")
    parser.add_argument(
        "--rounds", type=int, default=4, help="split the duration over rounds, alternating the order (default 4)"
    )
    parser.add_argument("--warmup", type=int, default=1, help="seconds of warm-up before each run (default 1)")
    parser.add_argument("--connections", type=int, default=4, help="wrk connections (default 4)")
    parser.add_argument(
        "--cache-warmup", type=int, default=8, help="seconds of warm-up before each endpoint's first run (default 8)"
    )
    parser.add_argument("--worker-class", choices=("sync", "gthread"), default="sync")
    parser.add_argument("--max-keys", type=int, choices=(KEYS, 1_000_000), default=1_000_000, help="key_check scale")
    parser.add_argument(
        "--no-sizes", dest="sizes", action="store_false", help="skip the short loads at 1,000 and --max-keys keys"
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install -y wrk")

    started = time.perf_counter()
    OUT.mkdir(exist_ok=True)
    os.environ.update(BASE_ENV)
    os.environ.pop("REDIS_URL", None)
    os.environ["KEYS_USAGE_FLUSH_MS"] = "3600000"  # in this process only: no background flush while timing
    sys.path.insert(0, str(ROOT))
    recreate_database(create=True)
    redis_ok = clear_redis()
    try:
        run(args, redis_ok)
    finally:
        from django.db import connections

        from keys.usage import recorder

        recorder.drain()
        connections.close_all()
        recreate_database(create=False)
        clear_redis()
    load = ", ".join(f"{n:.2f}" for n in os.getloadavg())
    print(f"\nTotal {time.perf_counter() - started:.0f} s; load average {load}")


def costs(sample: list[str]) -> dict[str, tuple[float, float]]:
    return {mode: verify_cost(sample, mode=mode) for mode in ("strict", "on")}


def size_point(env: dict[str, str], bearer: list[str], args: argparse.Namespace, size: int) -> dict[str, float]:
    """Throughput of the open endpoint and of ours (cache on, then strict) with `size` keys in the table."""
    short = argparse.Namespace(**{**vars(args), "duration": max(2, args.duration // 2), "rounds": 1})
    open_and_ours = [
        Variant("open", "/bench/open", "Authorization", bearer),
        Variant("ours", "/bench/ours", "Authorization", bearer),
    ]
    on = load_server({**env, "KEYS_CACHE": "on"}, open_and_ours, short, f"{size} keys on")
    strict = load_server({**env, "KEYS_CACHE": "strict"}, open_and_ours[1:], short, f"{size} keys strict")
    return {"open": on[0].rps, "ours": on[1].rps, "ours strict": strict[0].rps}


def run(args: argparse.Namespace, redis_ok: bool) -> None:
    import django

    warnings.filterwarnings("ignore", message="No directory at")  # whitenoise: no collectstatic needed
    django.setup()
    from django.core.management import call_command
    from django.test import override_settings

    from accounts.models import Organization
    from keys.apikeys import tokens
    from keys.models import APIKey

    call_command("migrate", verbosity=0)
    rng = random.Random(42)
    org = Organization.objects.create(name="Bench", slug="bench")

    load = ", ".join(f"{n:.2f}" for n in os.getloadavg())
    print(f"{os.cpu_count()} cores, load average {load} before the run (other processes add noise)")
    print("Seeding and timing key_check in process ...", flush=True)
    server_env = {**os.environ, "KEYS_USAGE_FLUSH_MS": "1000"}
    redis_env = {**server_env, "REDIS_URL": REDIS_URL}
    cost: dict[int, dict[str, tuple[float, float]]] = {}
    sizes: dict[int, dict[str, float]] = {}
    t = time.perf_counter()
    kept = seed_ours(org, 0, 1_000, rng)
    cost[1_000] = costs(rng.choices(kept, k=SAMPLE))
    if redis_ok and args.sizes:
        sizes[1_000] = size_point(redis_env, [f"Bearer {raw}" for raw in kept], args, 1_000)
    kept += seed_ours(org, 1_000, KEYS, rng)
    cost[KEYS] = costs(rng.sample(kept, SAMPLE))
    theirs = seed_theirs(KEYS)
    print(f"  seeded {KEYS:,} + {KEYS:,} keys in {time.perf_counter() - t:.0f} s", flush=True)

    drawn = rng.sample(kept, 2 * SAMPLE)
    ours, limited = drawn[:SAMPLE], drawn[SAMPLE:]
    limited_ids = [raw.split("_")[2][: tokens.ID_LENGTH] for raw in limited]
    APIKey.objects.filter(id__in=limited_ids).update(rate_limit=UNLIMITED_RATE)
    bearer = [f"Bearer {raw}" for raw in ours]
    variants = [
        Variant("open", "/bench/open", "Authorization", bearer),
        Variant("ours", "/bench/ours", "Authorization", bearer),
        Variant("HasAPIKey", "/bench/hasapikey", "Authorization", [f"Api-Key {k}" for k in rng.sample(theirs, SAMPLE)]),
        Variant("ours, per-key rate limit", "/bench/ours", "Authorization", [f"Bearer {raw}" for raw in limited]),
        # The same with 20 busy keys: each is hit in every worker every few ms, so its counts stay local.
        Variant(
            "ours, rate limit, 20 busy keys", "/bench/ours", "Authorization", [f"Bearer {raw}" for raw in limited[:20]]
        ),
    ]
    malformed = "Bearer " + ours[0][:-6] + ("000000" if not ours[0].endswith("000000") else "111111")
    queries = {"open": queries_per_request("/bench/open", "Authorization", bearer[0], 200)}
    for mode in ("strict", "on"):
        override_settings(KEYS_CACHE=mode).enable()
        queries[f"ours, valid key, KEYS_CACHE={mode}"] = queries_per_request(
            "/bench/ours", "Authorization", bearer[0], 200
        )
    queries["ours, malformed key (bad checksum)"] = queries_per_request("/bench/ours", "Authorization", malformed, 401)
    queries["HasAPIKey, valid key"] = queries_per_request(
        "/bench/hasapikey", "Authorization", variants[2].values[0], 200
    )

    print(
        f"Loading (gunicorn 2 {args.worker_class} workers, wrk -t1 -c{args.connections}, {args.duration} s each in {args.rounds} rounds) ..."
    )
    with_redis: list[Load] = []
    strict: list[Load] = []
    if redis_ok:
        with_redis = load_server({**redis_env, "KEYS_CACHE": "on"}, variants, args, "cache on")
        strict = load_server({**redis_env, "KEYS_CACHE": "strict"}, variants, args, "strict")
        by_name = {load.name: load.rps for load in with_redis}
        sizes[KEYS] = {
            "open": by_name["open"],
            "ours": by_name["ours"],
            "ours strict": next(load.rps for load in strict if load.name == "ours"),
        }
    without_redis = load_server({**server_env, "KEYS_CACHE": "on"}, variants[:3], args, "no Redis")

    if args.max_keys > KEYS:
        t = time.perf_counter()
        kept += seed_ours(org, KEYS, args.max_keys, rng)
        print(f"  seeded {args.max_keys - KEYS:,} more keys in {time.perf_counter() - t:.0f} s", flush=True)
        cost[args.max_keys] = costs(rng.sample(kept, SAMPLE))
        if redis_ok and args.sizes:
            sizes[args.max_keys] = size_point(redis_env, bearer, args, args.max_keys)

    if with_redis:
        print_table("REDIS_URL set, KEYS_CACHE=on (production set-up)", with_redis)
        print_table("REDIS_URL set, KEYS_CACHE=strict", strict)
    else:
        print("\nRedis is not reachable at 127.0.0.1:6379: the REDIS_URL runs were skipped.")
    print_table(
        "REDIS_URL unset, KEYS_CACHE=on (entries live KEYS_CACHE_MAX_STALENESS; usage to PostgreSQL)", without_redis
    )
    print("\nSQL queries per request (in process, CaptureQueriesContext, full middleware stack)")
    for name, count in queries.items():
        print(f"  {name:<44} {count:g}")
    print("\nkey_check per call (in process; best and median of 20 passes of 250 random keys)")
    for mode in ("strict", "on"):
        base = cost[1_000][mode][0]
        for count, by_mode in cost.items():
            best, median = by_mode[mode]
            change = (best / base - 1) * 100
            print(
                f"  KEYS_CACHE={mode:<6} {count:>9,} keys  best {best:6.1f} µs ({change:+5.1f} % vs 1,000)  median {median:6.1f} µs"
            )
    if sizes:
        print("\nThroughput by key-table size (req/s; REDIS_URL set)")
        for count, point in sorted(sizes.items()):
            print(
                f"  {count:>9,} keys  open {point['open']:8.1f}  ours {point['ours']:8.1f} ({point['ours'] / point['open']:.2f})"
                f"  strict {point['ours strict']:8.1f} ({point['ours strict'] / point['open']:.2f})"
            )
    results = {
        "cores": os.cpu_count(),
        "load_average": os.getloadavg(),
        "cache_on": as_dict(with_redis),
        "strict": as_dict(strict),
        "no_redis": as_dict(without_redis),
        "key_check_us": {str(count): {mode: by_mode[mode][0] for mode in by_mode} for count, by_mode in cost.items()},
        "sizes": {str(count): point for count, point in sorted(sizes.items())},
    }
    (OUT / "auth_throughput.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
