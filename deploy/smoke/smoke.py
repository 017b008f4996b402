"""Production-stack smoke test: nginx (TLS + mTLS) -> two gunicorn nodes -> PostgreSQL + Redis, with a Celery
worker and beat, all on loopback, started with deploy/compose.yaml's commands and deploy/nginx.conf.

    python deploy/smoke/smoke.py      # .ci/run runs it after the suite; exits non-zero on the first failure

Needs PostgreSQL (SMOKE_PG, default postgres://postgres@127.0.0.1:5432) where it may create and drop a
database, Redis (SMOKE_REDIS_URL, default redis://127.0.0.1:6379/13, flushed), and nginx. The PKI (a
throwaway server CA and a client certificate) is made here. Everything it starts is stopped by pid.
"""

from __future__ import annotations

import shutil
import sys

import httpx
from checks import backup_and_restore, checks
from stack import SmokeFailure, Stack, say


def main() -> int:
    stack = Stack()
    try:
        data = stack.up()
        checks(stack, data)
        backup_and_restore(stack, data)
    except (SmokeFailure, AssertionError, KeyError, ValueError, httpx.HTTPError) as failure:
        say(f"FAILED: {failure}")
        for path in sorted(stack.work.glob("*.log")):
            print(f"--- {path.name} (last lines)\n" + "\n".join(path.read_text(errors="replace").splitlines()[-30:]))
        return 1
    finally:
        stack.down()
    say("passed")
    shutil.rmtree(stack.work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
