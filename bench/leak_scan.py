"""A GitHub secret-scanning report of 1,000 tokens against 100,000 keys: one batched lookup vs one query per token.

    .venv/bin/python bench/leak_scan.py [--keys 100000] [--tokens 1000] [--ours 10] [--database kh_leaks] [--keep]

Creates the PostgreSQL database `--database`, migrates it, and seeds `--keys` API keys with real hashes
in one team. The report holds `--tokens` well-formed, checksummed tokens: `--ours` of them real keys,
the rest made up (the usual mix: most of what a scanner sends is someone else's or a test fixture).

It times, best of 5 (each run on fresh tokens, so PostgreSQL's caches do not favour one side):
- per token: what a naive endpoint does, `APIKey.objects.select_related(...).filter(pk=…).first()` and a
  hash check for each token;
- batched: `keys.apikeys.leaks.keys_matching`, the endpoint's lookup (one `pk IN (…)` query);
- the whole signed request through Django's test client (ECDSA check, lookup, the `--ours` revokes with
  their audit records, events, alerts and emails, and the label feedback), the team's policy being revoke;
  and the same with no key of ours in the report.

It prints the figures side by side with their ratio, then leaves the database empty (dropped and created
again) unless `--keep`. It only prints.
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

from bench.common import best_of, platform_env, recreate_database  # noqa: E402

LOCMEM_EMAIL = "django.core.mail.backends.locmem.EmailBackend"


def environment(database: str, public_keys: str) -> dict[str, str]:
    return platform_env(
        database,
        EMAIL_BACKEND=LOCMEM_EMAIL,
        CELERY_TASK_ALWAYS_EAGER="0",
        KEYS_GITHUB_SCANNING_PUBLIC_KEYS=public_keys,
    )


def seed(keys: int) -> list[str]:
    """`keys` keys with real hashes; returns their plaintexts."""
    from accounts.models import Organization
    from keys.apikeys import hashing, tokens
    from keys.models import APIKey

    org = Organization.objects.create(name="Bench", slug="bench")
    plaintexts: list[str] = []
    for first in range(0, keys, 10_000):
        rows = []
        for _ in range(first, min(first + 10_000, keys)):
            key_id = tokens.random_base62(tokens.ID_LENGTH)
            plaintext = tokens.build("ak", "live", key_id)
            plaintexts.append(plaintext)
            rows.append(
                APIKey(
                    id=key_id,
                    prefix="ak",
                    secret_hash=hashing.make_hash(plaintext),
                    name="bench",
                    organization=org,
                    scopes=["orders:read"],
                )
            )
        APIKey.objects.bulk_create(rows)
    return plaintexts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--keys", type=int, default=100_000)
    parser.add_argument("--tokens", type=int, default=1000)
    parser.add_argument("--ours", type=int, default=10)
    parser.add_argument("--database", default="kh_leaks")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()

    from keys.tests.scanning import Signer, github_document, made_up_key, report

    signer = Signer.make("bench-key")
    os.environ.update(environment(args.database, github_document(signer)))
    recreate_database(args.database, create=True)
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection
        from django.test import Client

        from keys.apikeys import hashing
        from keys.apikeys.leaks import keys_matching
        from keys.models import APIKey

        print(f"PostgreSQL: {connection.cursor().connection.info.server_version}, cores: {os.cpu_count()}")
        print(f"load average before: {os.getloadavg()}")
        call_command("migrate", verbosity=0)
        start = time.perf_counter()
        plaintexts = seed(args.keys)
        with connection.cursor() as cur:
            cur.execute("VACUUM ANALYZE")
        print(f"seeded {args.keys:,} keys in {time.perf_counter() - start:.1f} s")
        made_up = args.tokens - args.ours

        from keys.apikeys import tokens

        # Fresh made-up tokens for every run, made before the clock starts.
        batches = [[made_up_key() for _ in range(made_up)] + plaintexts[: args.ours] for _ in range(10)]

        def per_token(run: int) -> None:
            for raw in batches[run]:
                parsed = tokens.parse(raw, prefix="ak")
                key = APIKey.objects.select_related("organization").filter(pk=parsed.key_id if parsed else "").first()
                if key is not None:
                    hashing.check(raw, key.secret_hash)

        def batched(run: int) -> None:
            found = keys_matching(batches[5 + run])
            assert len(found) == args.ours

        t_each = best_of(5, per_token)
        t_batch = best_of(5, batched)

        client = Client()
        requests_ = []
        for run in range(10):
            # Runs 0-4: fresh keys of ours each run (each is revoked); runs 5-9: no key of ours at all.
            ours = plaintexts[args.ours * (run + 1) : args.ours * (run + 2)] if run < 5 else []
            found = [(made_up_key(), "https://github.com/x/y") for _ in range(made_up)]
            body = report(*found, *[(t, "https://github.com/a/b") for t in ours])
            requests_.append((body, signer.headers(body)))

        def whole(run: int) -> None:
            body, headers = requests_[run]
            response = client.generic(
                "POST", "/api/v1/secret-scanning/github", body, content_type="application/json", **headers
            )
            labels = [item["label"] for item in json.loads(response.content)]
            expected = args.ours if run < 5 else 0
            assert response.status_code == 200 and labels.count("true_positive") == expected, response.content[:300]

        t_whole = best_of(5, whole)
        t_none = best_of(5, lambda run: whole(run + 5))
        print(f"report of {args.tokens} tokens ({args.ours} ours) against {args.keys:,} keys, best of 5:")
        print(f"  {'lookup, one query per token':<48} {t_each * 1000:9.1f} ms")
        print(
            f"  {'lookup, batched (keys_matching, one query)':<48} {t_batch * 1000:9.1f} ms   {t_each / t_batch:5.1f}x faster"
        )
        whole_label = f"whole signed request, {args.ours} revokes"
        print(f"  {whole_label:<48} {t_whole * 1000:9.1f} ms")
        print(f"  {'whole signed request, no key of ours':<48} {t_none * 1000:9.1f} ms")
        print(f"load average after: {os.getloadavg()}")
        print(
            f"RESULT keys={args.keys} tokens={args.tokens} ours={args.ours} per_token_ms={t_each * 1000:.1f} "
            f"batched_ms={t_batch * 1000:.1f} ratio={t_each / t_batch:.1f} whole_ms={t_whole * 1000:.1f} "
            f"whole_none_ms={t_none * 1000:.1f}"
        )
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            recreate_database(args.database, create=True)


if __name__ == "__main__":
    main()
