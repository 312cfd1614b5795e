#!/usr/bin/env python3
"""Plots of a benchmarks/bench.sh results.json (needs matplotlib):
throughput_vs_batch.png (ONNX Runtime ceiling and the job end to end against batch size) and
latency.png (capture -> readable latency distributions per delivery mode and load, and the batching sweep).
Usage: python3 plot_bench.py bench-output/<run>/results.json"""
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main(path):
    with open(path) as f:
        r = json.load(f)
    out = os.path.dirname(os.path.abspath(path))
    machine = r.get("machine", {})
    subtitle = "%s, %s cores, load %s" % (machine.get("label", ""), machine.get("cores", "?"),
                                         r.get("loadAtStart", ""))

    if "soak" in r:
        plot_soak(r, out, "")
        return
    fig, ax = plt.subplots(figsize=(8, 5))
    by_layout = {}
    for p in r.get("ceiling", []):
        by_layout.setdefault(p["layout"], []).append(p)
    for layout, points in sorted(by_layout.items()):
        points.sort(key=lambda p: p["batchSize"])
        ax.plot([p["batchSize"] for p in points], [p["framesPerSecond"] for p in points], marker="o",
                label="ONNX Runtime alone, %s sessions x threads" % layout)
    sweep = r.get("sweep", [])
    if sweep:
        pts = sorted(sweep, key=lambda s: s["batchMaxSize"])
        ax.plot([s["batchMaxSize"] for s in pts], [s["framesPerSecond"] for s in pts], marker="s", linestyle="--",
                label="job end to end (at-least-once), per batch-max-size")
    for run in r.get("sideBySide", []):
        b = r["config"]["batchMaxSize"]
        mode = run["delivery"].lower().replace("_", "-")
        ax.scatter([b], [run["endToEnd"]["framesPerSecond"]], marker="*", s=200, zorder=5,
                   label="job end to end, %s (b/a = %.2f)" % (mode, run["ratio"]))
        ax.scatter([b, b], [run["ceilingBefore"]["framesPerSecond"], run["ceilingAfter"]["framesPerSecond"]],
                   marker="x", s=60, zorder=5, label="ceiling side by side with the %s run" % mode)
    ax.set_xscale("log", base=2)
    ax.set_xlabel("batch size (frames per inference call)")
    ax.set_ylabel("frames / s")
    ax.set_ylim(bottom=0)
    ax.set_title("Throughput vs batch size\n" + subtitle, fontsize=10)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "throughput_vs_batch.png"), dpi=110)
    plt.close(fig)

    loads = r.get("latency", [])
    if not loads and not sweep:
        plot_soak(r, out, subtitle)
        return
    fig, axes = plt.subplots(1, 2 if sweep else 1, figsize=(13 if sweep else 8, 5), squeeze=False)
    ax = axes[0][0]
    for l in loads:
        values = sorted(l.get("latenciesMs", []))
        if not values:
            continue
        n = len(values)
        ax.plot(values, [(i + 1) / n for i in range(n)],
                label="%s %s (%.0f frames/s): p50 %.0f, p99 %.0f ms" % (l["delivery"].lower().replace("_", "-"),
                                                                        l["label"], l["offeredPerSecond"], l["p50"],
                                                                        l["p99"]))
    ax.set_xscale("log")
    ax.set_xlabel("capture -> readable by a read_committed consumer (ms)")
    ax.set_ylabel("fraction of frames")
    ax.set_title("Latency distribution (CDF)\n" + subtitle, fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    if sweep:
        ax = axes[0][1]
        for s in sweep:
            ax.scatter(s["framesPerSecond"], s["p95"], s=40)
            ax.annotate("%d / %d ms" % (s["batchMaxSize"], s["batchMaxWaitMs"]), (s["framesPerSecond"], s["p95"]),
                        textcoords="offset points", xytext=(5, 5), fontsize=8)
        ax.set_xlabel("sustained frames / s (backlog drained)")
        ax.set_ylabel("p95 latency at the offered rate (ms)")
        ax.set_title("Batching sweep (batch-max-size / batch-max-wait), at-least-once", fontsize=10)
        ax.grid(True, alpha=0.3)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "latency.png"), dpi=110)
    plt.close(fig)
    plot_soak(r, out, subtitle)


def plot_soak(r, out, subtitle):
    soak = r.get("soak")
    if soak:
        if not subtitle:
            m = soak.get("machine", {})
            subtitle = "%s, %s cores, load %s" % (m.get("label", ""), m.get("cores", "?"), soak.get("loadAtStart"))
        fig, ax = plt.subplots(figsize=(8, 5))
        t = [s["minutes"] for s in soak["samples"]]
        ax.plot(t, [s["liveHeapMiB"] for s in soak["samples"]], marker="o", label="live heap (after full GC)")
        ax.plot(t, [s["heapAfterGcMiB"] for s in soak["samples"]], label="lowest heap after GC")
        ax.plot(t, [s["rssMiB"] for s in soak["samples"]], label="process RSS")
        ax.plot(t, [s["directMiB"] for s in soak["samples"]], label="direct buffers")
        ax.set_xlabel("minutes")
        ax.set_ylabel("MiB")
        ax.set_title("Memory over the soak run\n" + subtitle, fontsize=10)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(os.path.join(out, "soak_memory.png"), dpi=110)
        plt.close(fig)


if __name__ == "__main__":
    main(sys.argv[1])
