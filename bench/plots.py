"""Draw docs/img/performance.png from the last runs of bench/auth_throughput.py and bench/revocation_delay.py.

    .venv/bin/python bench/plots.py

Left: requests/s of the open endpoint and of ours (KEYS_CACHE=on and =strict) against the number
of keys in the table (bench/out/auth_throughput.json). Right: the distribution of revocation delays
from the publish of the invalidation to node B's first refusal (bench/out/revocation.json).
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
IMAGE = ROOT / "docs" / "img" / "performance.png"


def main() -> None:
    throughput = json.loads((OUT / "auth_throughput.json").read_text())
    revocation = json.loads((OUT / "revocation.json").read_text())
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))

    sizes = sorted(throughput["sizes"].items(), key=lambda item: int(item[0]))
    counts = [int(count) for count, _ in sizes]
    for name, style in (("open", "k--"), ("ours", "o-"), ("ours strict", "s-")):
        label = {"open": "open endpoint", "ours": "ours, KEYS_CACHE=on", "ours strict": "ours, KEYS_CACHE=strict"}[name]
        left.plot(counts, [point[name] for _, point in sizes], style, label=label)
    hasapikey = throughput["cache_on"].get("HasAPIKey", {}).get("rps")
    if hasapikey:
        left.plot([100_000], [hasapikey], "x", markersize=10, color="C3", label="HasAPIKey (100,000 keys)")
    left.set_xscale("log")
    left.set_ylim(bottom=0)
    left.set_xlabel("API keys in the table")
    left.set_ylabel("requests/s (gunicorn, 2 workers, 2 cores)")
    left.set_title("Throughput against key-table size")
    left.legend(fontsize=8)

    delays = sorted(revocation["delays_ms"])
    right.hist(delays, bins=40, color="C0")
    p99 = delays[min(len(delays) - 1, int(0.99 * len(delays)))]
    right.axvline(p99, color="C1", linestyle="--", label=f"p99 {p99:.1f} ms")
    right.axvline(delays[-1], color="C3", linestyle=":", label=f"max {delays[-1]:.1f} ms")
    right.set_xlabel("ms from the invalidation's publish to node B's first refusal")
    right.set_ylabel("keys")
    right.set_title(
        f"Revocation delay, {len(delays)} keys (bound {revocation['bound_s']:g} s; "
        f"{revocation['accepted_after_bound']} accepted after it)",
        fontsize=10,
    )
    right.legend(fontsize=8)

    fig.tight_layout()
    IMAGE.parent.mkdir(exist_ok=True)
    fig.savefig(IMAGE, dpi=110)
    print(f"wrote {IMAGE.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
