"""The remote client kit's overhead against in-process authentication (DESIGN 8, issue 11).

    .venv/bin/python bench/client_kit.py [--seconds 8] [--keys 250]

Creates the PostgreSQL database `kh_bench_kit` (or `BENCH_DATABASE`), seeds `--keys` API keys (as
bench/auth_throughput.py does) and one `keys:verify` key for the company API, and in one run:

1. serves the platform (bench/kit_settings.py: `/bench/open` and `/bench/ours`, APIKeyAuthentication +
   HasScopes) and the example company API (examples/company_api: `/healthz` open, `/orders` behind
   the kit's RemoteKeyAuthentication + HasScopes) under gunicorn, 2 sync workers each, and loads each
   endpoint with wrk (`-t1 -c4`, rotating over the keys) for `--seconds`: the kit with a warm cache
   (TTL 60 s, primed with every key first) and cold (TTL 0: every request is a POST /api/v1/verify);
2. in process, times one verification: the platform's `key_check` (in-process authentication's
   core, one indexed query), the kit on a cache hit, and the kit on a miss (one HTTP round trip to
   the platform under gunicorn).

It prints requests/s, each endpoint's share of its own server's open endpoint, and the ratios side
by side. The database and its Redis keys are removed at the end. It only prints; nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import timeit
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "bench" / "out"

from bench.auth_throughput import IP, Load, Variant, free_port, run_wrk, seed_ours, status_of, wrk_script  # noqa: E402
from bench.common import (  # noqa: E402
    database_name,
    fresh_platform,
    platform_env,
    redis_url,
    running,
    signed_up,
    wait_until,
)

PLATFORM_ENV = platform_env(
    database_name("kh_bench_kit"),
    redis_url=redis_url(3),
    redis_prefix="khkitbench",
    DJANGO_SETTINGS_MODULE="bench.kit_settings",
    STATIC_MANIFEST="0",
    # The company API verifies every request of the cold run through one key: its own throttle must not be what we measure.
    VERIFY_RATE="100000000/min",
)


@contextmanager
def serve(app: str, chdir: Path, env: dict[str, str], ready: str, log_name: str) -> Iterator[int]:
    """gunicorn (2 sync workers) for `app` on a free loopback port until the block ends."""
    port = free_port()
    cmd = [sys.executable, "-m", "gunicorn", app, "--chdir", str(chdir), "--bind", f"{IP}:{port}"]
    cmd += ["--workers", "2", "--log-level", "warning"]
    with running(cmd, env=env, cwd=chdir, log=OUT / log_name) as proc:
        wait_until(lambda: status_of(port, ready, {}) == 200, proc, what=app, seconds=30, log=OUT / log_name)
        yield port


def prime(port: int, variant: Variant, passes: int = 4) -> None:
    """Send every key `passes` times, one by one, so both workers' caches hold (almost) every verdict:
    a gunicorn worker is picked per connection, so four passes leave a key uncached in a worker 1 time in 16."""
    for _ in range(passes):
        for value in variant.values:
            assert status_of(port, variant.path, {variant.header: value}) == 200


def load(port: int, variant: Variant, seconds: int) -> Load:
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "script.lua"
        script.write_text(wrk_script(variant))
        run_wrk(port, script, 1, 4)  # warm-up: connections, caches, the kit's verdicts
        result = Load(variant.name)
        result.add(run_wrk(port, script, seconds, 4), 0)
        return result


def company_env(platform_port: int, verifier: str, ttl: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "KEYS_"))}
    return {
        **env,
        "DJANGO_SETTINGS_MODULE": "company_api.settings",
        "KEYHOUSE_URL": f"http://{IP}:{platform_port}",
        "KEYHOUSE_API_KEY": verifier,
        "KEYHOUSE_TTL": ttl,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--keys", type=int, default=250)
    args = parser.parse_args()

    OUT.mkdir(exist_ok=True)
    with fresh_platform(PLATFORM_ENV):
        from keys.apikeys.verification import key_check
        from keys.services import key_create

        user, org = signed_up()
        sample = seed_ours(org, 0, args.keys * 10, random.Random(11))[: args.keys]
        _, verifier = key_create(organization=org, actor=user, name="Company API", scopes=["keys:verify"])
        bearer = [f"Bearer {raw}" for raw in sample]
        rows: list[tuple[str, Load, Load]] = []
        project = ROOT / "examples" / "company_api"
        with serve("config.wsgi:application", ROOT, os.environ.copy(), "/bench/open", "kit_platform.log") as platform:
            opened = load(platform, Variant("platform open", "/bench/open", "Authorization", bearer), args.seconds)
            ours = load(platform, Variant("platform in-process", "/bench/ours", "Authorization", bearer), args.seconds)
            rows.append(("in-process APIKeyAuthentication", opened, ours))
            for label, ttl in (("kit, warm cache (TTL 60 s)", "60"), ("kit, no cache (TTL 0)", "0")):
                env = company_env(platform, verifier, ttl)
                with serve("company_api.wsgi", project, env, "/healthz", "kit_company.log") as company:
                    c_open = load(company, Variant("company open", "/healthz", "Authorization", bearer), args.seconds)
                    protected = Variant(label, "/orders", "Authorization", bearer)
                    if ttl != "0":
                        prime(company, protected)
                    c_kit = load(company, protected, args.seconds)
                    rows.append((label, c_open, c_kit))

            from keyhouse_client import Keyhouse

            warm = Keyhouse(base_url=f"http://{IP}:{platform}", api_key=verifier, ttl=600, jwt=False)
            cold = Keyhouse(base_url=f"http://{IP}:{platform}", api_key=verifier, ttl=0, jwt=False)
            for header in bearer:
                warm.authenticate(header, None, ip=IP)
            n = len(bearer)
            t_check = min(timeit.repeat(lambda: [key_check(raw, ip=IP) for raw in sample], number=1, repeat=5)) / n
            t_warm = (
                min(timeit.repeat(lambda: [warm.authenticate(h, None, ip=IP) for h in bearer], number=1, repeat=5)) / n
            )
            t_cold = (
                min(
                    timeit.repeat(lambda: [cold.authenticate(h, None, ip=IP) for h in bearer[:200]], number=1, repeat=3)
                )
                / 200
            )

        bad = sum(load.bad for _, a, b in rows for load in (a, b))
        print(
            f"\nthroughput (wrk -t1 -c4, {args.seconds} s each, {args.keys:,} keys rotated; non-2xx or errors: {bad})"
        )
        print(f"{'endpoint':<36}{'open req/s':>12}{'auth req/s':>12}{'÷ own open':>12}")
        for label, opened_load, auth_load in rows:
            print(
                f"{label:<36}{opened_load.rps:>12,.0f}{auth_load.rps:>12,.0f}{auth_load.rps / opened_load.rps:>12.2f}"
            )
        base = rows[0][2].rps / rows[0][1].rps
        for label, opened_load, auth_load in rows[1:]:
            print(f"  {label} share ÷ in-process share: {(auth_load.rps / opened_load.rps) / base:.2f}")
        print("\none verification, in process (best of 5 passes)")
        print(f"  platform key_check (in-process core)     {t_check * 1e6:9.1f} µs   1.00")
        print(f"  kit, cache hit                           {t_warm * 1e6:9.1f} µs   {t_warm / t_check:.2f}")
        print(f"  kit, cache miss (POST /api/v1/verify)    {t_cold * 1e6:9.1f} µs   {t_cold / t_check:.2f}")
        print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
