"""Draw docs/img/performance.png from the last runs of bench/auth_throughput.py and bench/revocation_delay.py.

    .venv/bin/python bench/plots.py [--throughput bench/out/auth_throughput.json] [--revocation bench/out/revocation.json]

Left: requests/s of ours (KEYS_CACHE=on and =strict) as a share of the open endpoint's, against
the number of keys in the table (bench/out/auth_throughput.json). Right: the distribution of revocation delays
from the publish of the invalidation to node B's first refusal (bench/out/revocation.json).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
IMAGE = ROOT / "docs" / "img" / "performance.png"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--throughput", type=Path, default=OUT / "auth_throughput.json")
    parser.add_argument("--revocation", type=Path, default=OUT / "revocation.json")
    args = parser.parse_args()
    throughput = json.loads(args.throughput.read_text())
    revocation = json.loads(args.revocation.read_text())
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))

    sizes = sorted(throughput["sizes"].items(), key=lambda item: int(item[0]))
    counts = [int(count) for count, _ in sizes]
    # Shares of the open endpoint measured in the same run: absolute req/s on these shared cores swing by 2x.
    for name, style, label in (("ours", "o-", "ours, KEYS_CACHE=on"), ("ours strict", "s-", "ours, KEYS_CACHE=strict")):
        left.plot(counts, [point[name] / point["open"] for _, point in sizes], style, label=label)
    cache_on = throughput["cache_on"]
    if "HasAPIKey" in cache_on:
        share = cache_on["HasAPIKey"]["rps"] / cache_on["open"]["rps"]
        left.plot([100_000], [share], "x", markersize=10, color="C3", label="HasAPIKey (100,000 keys)")
    left.axhline(1.0, color="k", linestyle="--", linewidth=1, label="open endpoint")
    left.axhline(0.85, color="C2", linestyle=":", linewidth=1, label="goal 0.85")
    left.set_xscale("log")
    left.set_ylim(0, 1.2)
    left.set_xlabel("API keys in the table")
    left.set_ylabel("share of the open endpoint's req/s")
    left.set_title("Throughput against key-table size (gunicorn, 2 workers)", fontsize=10)
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
