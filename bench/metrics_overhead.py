"""What the metrics hook costs on the hot path: `observe_authentication` around an authenticate() call.

    .venv/bin/python bench/metrics_overhead.py

Times a do-nothing authenticate() bare and decorated, in-memory and in prometheus-client's multiprocess
mode (mmap files, as under gunicorn), and prints the overhead per call next to the in-process cost of
`key_check` that docs/performance.md measures (~220 µs), as a ratio. It only prints.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import timeit

KEY_CHECK_US = 220.0  # docs/performance.md, "key_check in process", 100,000 keys

CODE = """
import os, sys, timeit
sys.path.insert(0, os.getcwd())
from lib import metrics
credential = type("C", (), {"kind": "api_key", "id": "3fQ9xK2m"})()
class Plain:
    def authenticate(self, request):
        return (None, credential)
class Hooked:
    @metrics.observe_authentication("api_key")
    def authenticate(self, request):
        return (None, credential)
plain, hooked = Plain(), Hooked()
n = 200_000
bare = min(timeit.repeat(lambda: plain.authenticate(None), number=n, repeat=5)) / n * 1e6
wrapped = min(timeit.repeat(lambda: hooked.authenticate(None), number=n, repeat=5)) / n * 1e6
print(f"{bare:.3f} {wrapped:.3f}")
"""


def run(multiprocess: bool) -> tuple[float, float]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": ""}
    with tempfile.TemporaryDirectory() as folder:
        if multiprocess:
            env["PROMETHEUS_MULTIPROC_DIR"] = folder
        else:
            env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        out = subprocess.run([sys.executable, "-c", CODE], env=env, capture_output=True, text=True, check=True)
    bare, wrapped = (float(x) for x in out.stdout.split())
    return bare, wrapped


def main() -> None:
    timeit.default_timer()  # imported for the child; keeps the module's one timer consistent
    print("| mode | bare call | with the hook | overhead | overhead / key_check (~220 µs) |")
    print("|---|---|---|---|---|")
    for label, multiprocess in (("in-memory (one process)", False), ("multiprocess (gunicorn)", True)):
        bare, wrapped = run(multiprocess)
        overhead = wrapped - bare
        print(f"| {label} | {bare:.2f} µs | {wrapped:.2f} µs | {overhead:.2f} µs | {overhead / KEY_CHECK_US:.1%} |")


if __name__ == "__main__":
    main()
