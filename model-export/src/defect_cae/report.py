"""Markdown evaluation report with matplotlib plots (PNG files beside it)."""
from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from .data import TestSet  # noqa: E402
from .evaluate import Predictions  # noqa: E402
from .metrics import roc_curve  # noqa: E402


def plot_roc(test: TestSet, pred: Predictions, path: Path, title: str = "Image-level ROC") -> None:
    fig, ax = plt.subplots(figsize=(5, 5))
    labels = test.labels.astype(bool)
    fpr, tpr, _ = roc_curve(labels, pred.scores)
    ax.plot(fpr, tpr, lw=2.5, color="black", label="all defects")
    good = ~labels
    for t in sorted(set(test.types) - {"good"}):
        sel = good | np.array([x == t for x in test.types])
        f, r, _ = roc_curve(labels[sel], pred.scores[sel])
        ax.plot(f, r, lw=1.2, label=t)
    ax.plot([0, 1], [0, 1], ":", color="gray")
    ax.set_xlabel("false-positive rate (good images)")
    ax.set_ylabel("true-positive rate")
    ax.set_title(title)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_histogram(test: TestSet, pred: Predictions, path: Path, threshold: float = 1.0) -> None:
    fig, ax = plt.subplots(figsize=(7, 4))
    labels = test.labels.astype(bool)
    s = np.maximum(pred.scores, 1e-3)
    bins = np.logspace(np.log10(s.min()), np.log10(s.max()), 40)
    ax.hist(s[~labels], bins=bins, alpha=0.6, label=f"good ({(~labels).sum()})", color="tab:green")
    ax.hist(s[labels], bins=bins, alpha=0.6, label=f"defective ({labels.sum()})", color="tab:red")
    ax.axvline(threshold, color="black", ls="--", label="calibrated threshold (1.0)")
    ax.set_xscale("log")
    ax.set_xlabel("image score (multiples of the calibrated threshold)")
    ax.set_ylabel("images")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_examples(test: TestSet, pred: Predictions, path: Path, per_type: int = 2, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    picks = []
    for t in ["good"] + sorted(set(test.types) - {"good"}):
        idx = [i for i, x in enumerate(test.types) if x == t]
        picks += [int(i) for i in rng.choice(idx, size=min(per_type, len(idx)), replace=False)]
    cols = ["input", "reconstruction", "error map", "ground truth"]
    fig, axes = plt.subplots(len(picks), 4, figsize=(8, 2.05 * len(picks)), squeeze=False)
    vmax = max(2.0, float(np.percentile(pred.error_maps[picks], 99.5)))
    for r, i in enumerate(picks):
        img = test.images[i]
        show = img[0] if img.shape[0] == 1 else img.transpose(1, 2, 0)
        rec = pred.reconstructions[i]
        rec = rec[0] if rec.shape[0] == 1 else rec.transpose(1, 2, 0)
        axes[r, 0].imshow(show, cmap="gray", vmin=0, vmax=1)
        axes[r, 1].imshow(rec, cmap="gray", vmin=0, vmax=1)
        axes[r, 2].imshow(pred.error_maps[i], cmap="inferno", vmin=0, vmax=vmax)
        if (pred.error_maps[i] >= 1.0).any():
            axes[r, 2].contour(pred.error_maps[i] >= 1.0, levels=[0.5], colors="cyan", linewidths=0.6)
        axes[r, 3].imshow(test.masks[i], cmap="gray", vmin=0, vmax=1)
        axes[r, 0].set_ylabel(f"{test.types[i]}\nscore {pred.scores[i]:.2f}", fontsize=8)
        for c in range(4):
            axes[r, c].set_xticks([])
            axes[r, c].set_yticks([])
            if r == 0:
                axes[r, c].set_title(cols[c], fontsize=9)
    fig.suptitle("cyan contour: error map >= 1.0 (calibrated pixel threshold)", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def plot_history(history: list, path: Path) -> None:
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ep = [h["epoch"] for h in history]
    ax.plot(ep, [h["loss"] for h in history], label="train loss")
    ax.plot(ep, [h["val_loss"] for h in history], label="validation loss")
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_sweep(sweep: list[dict], path: Path) -> None:
    fig, ax = plt.subplots(figsize=(6, 3.5))
    x = [s["latent_channels"] for s in sweep]
    for key, label in [("val_image_auroc", "synthetic val image AUROC"),
                       ("val_pixel_auroc", "synthetic val pixel AUROC"),
                       ("test_image_auroc", "test image AUROC"), ("test_pixel_auroc", "test pixel AUROC")]:
        if all(key in s for s in sweep):
            ax.plot(x, [s[key] for s in sweep], "o-" if key.startswith("val") else "s--", label=label)
    ax.set_xscale("log", base=2)
    ax.set_xticks(x)
    ax.set_xticklabels([str(v) for v in x])
    ax.set_xlabel("bottleneck channels")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _fmt(v) -> str:
    if isinstance(v, float):
        return "n/a" if v != v else f"{v:.4f}"
    return str(v)


def metrics_table(metrics: dict, good: str = "good test images") -> str:
    o = metrics["overall"]
    limit = f"{100 * metrics.get('fpr_limit', 0.3):g}%"
    rows = [f"| defect type | images | image AUROC | pixel AUROC | AUPRO@{limit} | detected at threshold |",
            "|---|---|---|---|---|---|"]
    for t, m in metrics["per_type"].items():
        cell = t.replace("|", "&#124;")  # a '|' in a folder name would end the table cell
        rows.append(f"| {cell} | {m['images']} | {_fmt(m['image_auroc'])} | {_fmt(m.get('pixel_auroc', float('nan')))}"
                    f" | {_fmt(m.get('aupro', float('nan')))} | {_fmt(m['detected_at_threshold'])} |")
    at = o["image_at_threshold"]
    rows.append(f"| **all** | {o['defective_images']} (+{o['good_images']} good) | **{_fmt(o['image_auroc'])}** | "
                f"**{_fmt(o.get('pixel_auroc', float('nan')))}** | **{_fmt(o.get('aupro', float('nan')))}** | "
                f"{_fmt(at['recall'])} |")
    lines = "\n".join(rows)
    pix = o.get("pixel_at_threshold", {})
    ranged = "input_out_of_range" in o
    lines += (f"\n\nAt the calibrated image threshold (score >= 1.0{', or the input out of range' if ranged else ''}): "
              f"precision {_fmt(at['precision'])}, recall {_fmt(at['recall'])}, F1 {_fmt(at['f1'])}, false alarms "
              f"on {good} {at['fp']}/{at['fp'] + at['tn']} ({_fmt(at['false_alarm_rate'])}).")
    if ranged:
        lines += (f" Input out of the card's range (an alert whatever the score): {o['input_out_of_range']} "
                  f"images, {o['input_out_of_range_good']} of them good. The AUROC columns rank the score alone; "
                  "\"detected\" counts these alerts too, so a type far from the good images can be detected while "
                  "its AUROC is low.")
    if pix:
        lines += (f" Pixels at the calibrated pixel threshold (error map >= 1.0): precision "
                  f"{_fmt(pix['precision'])}, recall {_fmt(pix['recall'])}, F1 {_fmt(pix['f1'])}.")
    masked = o.get("defective_images_with_mask", o["defective_images"])
    if masked < o["defective_images"]:
        lines += (f"\n\nThe pixel columns count {masked} of the {o['defective_images']} defective images: the others "
                  "have no ground-truth mask (the image columns count them all).")
    if "pixel_auroc" in o:
        lines += ("\n\nPixel figures are computed at the model's input resolution, masks brought to it by area "
                  "coverage; MVTec's own evaluation scores at the masks' original resolution, so they are not "
                  "directly comparable with figures published that way.")
    return lines


def write_predictions(test: TestSet, pred: Predictions, path: Path, threshold: float = 1.0) -> Path:
    """One row per test image, highest score first: what the job would decide for each file at the card's
    threshold, to compare image by image with the job's scores topic or the demo."""
    import csv
    order = np.argsort(-np.nan_to_num(pred.scores, nan=-np.inf), kind="stable")
    alerts = pred.alerts(threshold)
    out_of_range = pred.out_of_range if pred.out_of_range is not None else np.zeros(len(pred.scores), dtype=bool)
    with open(path, "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["file", "type", "defective", "has_mask", "score", "alert", "input_out_of_range"])
        for i in order:
            out.writerow([test.paths[i] if test.paths else i, test.types[i], int(test.labels[i]),
                          int(test.has_mask[i]), f"{float(pred.scores[i]):.6f}", int(alerts[i]),
                          int(out_of_range[i])])
    return path


def write_report(out_dir: Path, title: str, test: TestSet | None, pred: Predictions | None, metrics: dict | None,
                 summary: dict, ablation: list | None = None, sweep: list | None = None,
                 history: list | None = None, val_metrics: dict | None = None) -> Path:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    md = [f"# {title}", ""]
    md += ["## Summary", "", "```json", json.dumps(summary, indent=2), "```", ""]
    if metrics is not None:
        plot_roc(test, pred, out_dir / "roc.png")
        plot_histogram(test, pred, out_dir / "score_histogram.png")
        plot_examples(test, pred, out_dir / "examples.png")
        write_predictions(test, pred, out_dir / "predictions.csv")
        md += ["## Test set", "", metrics_table(metrics), "",
               "Per image: `predictions.csv` (file, type, score in multiples of the image threshold, alert, "
               "input out of the card's range: an alert whatever the score).", "",
               "![ROC](roc.png)", "", "![score histogram](score_histogram.png)", "",
               "Examples (input, reconstruction, error map, ground truth):", "", "![examples](examples.png)", ""]
    if val_metrics is not None:
        md += ["## Synthetic validation (held-out good images + validation-injector defects)", "",
               metrics_table(val_metrics, "the good calibration images that set the threshold (one that sets "
                                          "it scores 1.0 and counts)"), ""]
    if ablation:
        md += ["## Measures on/off", "",
               "Each row is a full train (where training changes) + calibrate + evaluate. "
               "Image/pixel AUROC and AUPRO on the test set; `val` = synthetic validation.", "",
               "| variant | denoising training | per-pixel z-score | per-image robust norm | image AUROC | "
               "pixel AUROC | AUPRO@30% | F1 @thr | val image AUROC | val pixel AUROC |",
               "|---|---|---|---|---|---|---|---|---|---|"]
        for a in ablation:
            md.append(f"| {a['name']} | {a['denoise']} | {a['per_pixel_norm']} | {a['per_image_norm']} | "
                      f"{_fmt(a.get('test_image_auroc', float('nan')))} | "
                      f"{_fmt(a.get('test_pixel_auroc', float('nan')))} | {_fmt(a.get('test_aupro', float('nan')))} | "
                      f"{_fmt(a.get('test_f1', float('nan')))} | {_fmt(a['val_image_auroc'])} | "
                      f"{_fmt(a['val_pixel_auroc'])} |")
        md.append("")
    if sweep:
        plot_sweep(sweep, out_dir / "bottleneck_sweep.png")
        md += ["## Bottleneck sweep", "",
               "Chosen by synthetic validation: value = mean of val image and pixel AUROC (default scoring "
               "head); the narrowest bottleneck within 0.005 of the best value wins. The test set is shown for "
               "information only.", "",
               "| latent channels | latent values | val image AUROC | val pixel AUROC | test image AUROC | "
               "test pixel AUROC | train s |", "|---|---|---|---|---|---|---|"]
        for s in sweep:
            mark = " (chosen)" if s.get("chosen") else ""
            md.append(f"| {s['latent_channels']}{mark} | {s['latent_size']} | {_fmt(s['val_image_auroc'])} | "
                      f"{_fmt(s['val_pixel_auroc'])} | {_fmt(s.get('test_image_auroc', float('nan')))} | "
                      f"{_fmt(s.get('test_pixel_auroc', float('nan')))} | {s.get('train_seconds', 0):.0f} |")
        md += ["", "![bottleneck sweep](bottleneck_sweep.png)", ""]
    if history:
        plot_history(history, out_dir / "training.png")
        md += ["## Training", "", "![training curves](training.png)", ""]
    path = out_dir / "report.md"
    path.write_text("\n".join(md) + "\n")
    return path
