"""Accuracy of per-key rate limits counted locally and reconciled with Redis (lib.ratelimit_local).

    .venv/bin/python bench/ratelimit_accuracy.py [--processes 2] [--threads 2] [--seconds 2]

For each limit, `--processes` forked processes with `--threads` threads each hit one fresh key's window
as fast as they can for `--seconds`, through `LocalCounters.hit` (what CredentialRateThrottle calls).
Prints, side by side with the exact `lib.ratelimit.hit` (one round trip per hit), how many hits were
admitted against the limit (exact would admit exactly the limit), the hits per second and the share of
hits that paid a round trip. Uses Redis db 0 (or `BENCH_REDIS_URL`) under the prefix `khbenchrl`, removed
at the end. It only prints; nothing is asserted.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import clear_redis, redis_url  # noqa: E402

REDIS_URL = redis_url(0)
PREFIX = "khbenchrl"
ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings",
    "DJANGO_DEBUG": "1",
    "REDIS_URL": REDIS_URL,
    "CACHE_KEY_PREFIX": PREFIX,
    "LOG_LEVEL": "WARNING",
}


def hammer(name: str, limit: int, seconds: float, threads: int, exact: bool, out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    from lib.ratelimit import hit
    from lib.ratelimit_local import counters

    admitted = attempts = 0
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def worker() -> None:
        nonlocal admitted, attempts
        mine = tries = 0
        while time.monotonic() < stop:
            window = hit(name, limit) if exact else counters.hit(name, limit)
            tries += 1
            mine += window.allowed
        with lock:
            admitted += mine
            attempts += tries

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    out.put((admitted, attempts, counters.round_trips if not exact else attempts))


def trial(limit: int, args: argparse.Namespace, exact: bool) -> tuple[int, int, int]:
    # A window that will not roll over during the trial.
    while 60 - time.time() % 60 < args.seconds + 2:
        time.sleep(0.5)
    name = f"bench:{uuid.uuid4().hex[:8]}"
    context = multiprocessing.get_context("fork")
    out = context.Queue()
    procs = [
        context.Process(target=hammer, args=(name, limit, args.seconds, args.threads, exact, out))
        for _ in range(args.processes)
    ]
    for proc in procs:
        proc.start()
    results = [out.get() for _ in procs]
    for proc in procs:
        proc.join()
    return tuple(sum(r[i] for r in results) for i in range(3))  # type: ignore[return-value]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--limits", default="100,1000,10000,100000")
    args = parser.parse_args()
    os.environ.update(ENV)
    import django

    django.setup()
    from django.conf import settings

    print(
        f"{args.processes} processes x {args.threads} threads, {args.seconds:g} s per trial, "
        f"sync every {settings.KEYS_RATE_LIMIT_SYNC_SECONDS * 1000:g} ms, at most "
        f"{settings.KEYS_RATE_LIMIT_LOCAL_SHARE:.0%} of the headroom unsynced per process"
    )
    print(f"  {'limit/min':>9}  {'scheme':<6} {'admitted':>9} {'÷ limit':>8} {'hits/s':>9} {'round trips/hit':>16}")
    try:
        for limit in (int(x) for x in args.limits.split(",")):
            for exact in (True, False):
                admitted, attempts, trips = trial(limit, args, exact)
                print(
                    f"  {limit:>9}  {'exact' if exact else 'local':<6} {admitted:>9} {admitted / limit:8.3f}"
                    f" {attempts / args.seconds:9.0f} {trips / max(1, attempts):16.4f}",
                    flush=True,
                )
    finally:
        clear_redis(REDIS_URL, PREFIX)


if __name__ == "__main__":
    main()
