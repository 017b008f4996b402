"""Webhook delivery throughput: deliveries per second to a loopback receiver with one Celery worker.

    .venv/bin/python bench/webhook_delivery.py [--events 1000]

Creates the PostgreSQL database `kh_bench_webhooks` (or `BENCH_DATABASE`), registers one endpoint of one
team at a threaded HTTP receiver on 127.0.0.1 (it answers 204), and starts one Celery worker (`--pool
solo`, Redis broker). After one warm-up delivery it publishes `--events` events in one transaction, so
`--events` delivery tasks are queued on commit, and times until the receiver has every one of them and
every delivery row is `succeeded`. Side by side, in the same run, it times the floor: the same number of
signed POSTs sent by one plain httpx loop, with a new client per POST (as the sender makes) and with one
keep-alive client, and the cost of one TLS context. It prints the rates and ratios. The database, the
worker and the Redis keys are gone at the end. It only prints; nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "bench" / "out"

from bench.common import database_name, fresh_platform, platform_env, redis_url, running, signed_up  # noqa: E402

ENV = platform_env(
    database_name("kh_bench_webhooks"),
    redis_url=redis_url(3),
    redis_prefix="khwebhookbench",
    WEBHOOK_ALLOW_LOOPBACK="1",
    WEBHOOK_REQUIRE_HTTPS="0",
    CELERY_TASK_ALWAYS_EAGER="0",
)


class Receiver:
    """Counts the POSTs it gets and lets the bench wait for a number of them."""

    def __init__(self) -> None:
        self.count = 0
        self.changed = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length") or 0))
                self.send_response(204)
                self.end_headers()
                with receiver.changed:
                    receiver.count += 1
                    receiver.changed.notify_all()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, count: int, timeout: float) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: self.count >= count, timeout=timeout)


def publish_many(org, count: int) -> None:  # type: ignore[no-untyped-def]
    from django.db import transaction

    from webhooks.services import publish

    with transaction.atomic():
        for i in range(count):
            publish(organization=org, event_type="key.updated", data={"organization": org.slug, "n": i})


def raw_posts(url: str, secret: str, count: int, *, keep_alive: bool) -> float:
    """Seconds for `count` signed POSTs from one httpx loop: a new client (and TLS context) per POST, as
    the sender makes, or one keep-alive client for all of them (the ceiling)."""
    import httpx

    from webhooks import signing

    body = b'{"type":"key.updated","timestamp":"2026-01-01T00:00:00+00:00","data":{"n":1}}'
    shared = httpx.Client(timeout=5, trust_env=False) if keep_alive else None
    start = time.perf_counter()
    for i in range(count):
        headers = signing.headers(secrets=[secret], msg_id=f"msg_{i}", timestamp=int(time.time()), body=body)
        client = shared or httpx.Client(timeout=5, trust_env=False)
        client.post(url, content=body, headers={**headers, "content-type": "application/json"})
        if shared is None:
            client.close()
    elapsed = time.perf_counter() - start
    if shared is not None:
        shared.close()
    return elapsed


def tls_context_ms(repeat: int = 20) -> float:
    """Milliseconds to build one TLS context (loading the CA bundle), which the sender does per delivery."""
    import httpx

    start = time.perf_counter()
    for _ in range(repeat):
        httpx.create_ssl_context()
    return (time.perf_counter() - start) / repeat * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=1000)
    args = parser.parse_args()

    OUT.mkdir(exist_ok=True)
    # The Celery broker's keys have no prefix: the whole Redis database goes, before and after.
    with fresh_platform(ENV, flush_redis=True):
        from webhooks.models import Delivery, DeliveryStatus
        from webhooks.services import endpoint_create

        user, org = signed_up()
        receiver = Receiver()
        _, secret = endpoint_create(organization=org, actor=user, url=receiver.url, event_types=["key.updated"])

        worker_log = OUT / "webhook_worker.log"
        worker = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo", "--loglevel", "WARNING"]
        with running(worker, env=os.environ.copy(), cwd=ROOT, log=worker_log):
            publish_many(org, 1)
            if not receiver.wait_for(1, timeout=60):
                raise RuntimeError(f"the worker delivered nothing in 60 s; see {worker_log}")
            start = time.perf_counter()
            publish_many(org, args.events)
            queued = time.perf_counter() - start
            if not receiver.wait_for(args.events + 1, timeout=600):
                raise RuntimeError(f"only {receiver.count - 1} of {args.events} delivered in 600 s")
            # The worker records the attempt just after the receiver answered: wait for the last row too.
            while (succeeded := Delivery.objects.filter(status=DeliveryStatus.SUCCEEDED).count()) <= args.events:
                if time.perf_counter() - start > 600:
                    break
                time.sleep(0.05)
            elapsed = time.perf_counter() - start
            floor = raw_posts(receiver.url, secret, args.events, keep_alive=False)
            ceiling = raw_posts(receiver.url, secret, args.events, keep_alive=True)

        worker_rate, floor_rate, ceiling_rate = args.events / elapsed, args.events / floor, args.events / ceiling
        print(f"{args.events:,} events, one endpoint, one worker (--pool solo), receiver on loopback answering 204")
        print(f"  publish + commit (rows and {args.events:,} queued tasks) {queued:8.2f} s")
        print(f"  worker: all delivered                  {elapsed:8.2f} s  {worker_rate:8.1f} deliveries/s")
        print(f"  httpx loop, a new client per POST      {floor:8.2f} s  {floor_rate:8.1f} POSTs/s")
        print(f"  httpx loop, one keep-alive client      {ceiling:8.2f} s  {ceiling_rate:8.1f} POSTs/s")
        print(f"  worker ÷ new-client loop               {worker_rate / floor_rate:8.2f}")
        print(f"  worker ÷ keep-alive loop               {worker_rate / ceiling_rate:8.2f}")
        print(f"  one TLS context (CA bundle load)       {tls_context_ms():8.1f} ms")
        print(f"  delivery rows succeeded: {succeeded:,} of {args.events + 1:,}")
        print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
