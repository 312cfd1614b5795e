"""The steps the CLI chains: load an MVTec-layout folder, train, select, calibrate, evaluate, export, report."""
from __future__ import annotations

import copy
import datetime as _dt
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from .calibrate import Calibration, calibrate, check_per_image_norm, constant_pixels, default_min_region_area
from .data import (GoodSplit, TestSet, aspect_tolerance_needed, content_hash, good_images, guess_channels,
                   load_images, load_test_set, split_good, synthetic_validation_set, test_folder)
from .defects import DefectSettings
from .errors import DatasetError
from .evaluate import compute_metrics, evaluate, per_type_line, predict
from .export import build_card, export_model, golden_images_from, write_golden
from .model import GUARD_DEFAULTS, CAE, CAEConfig, Detector, ScoringConfig, ScoringHead
from .train import TrainConfig, TrainResult, read_checkpoint, train

# Bottleneck candidates whose synthetic-validation value is within this of the best count as tied; the
# narrowest of them wins (a wider bottleneck only adds the capacity to copy defects).
SWEEP_TIE_TOLERANCE = 0.005


@dataclass
class Dataset:
    root: Path
    split: GoodSplit
    train: np.ndarray
    val: np.ndarray
    calib: np.ndarray
    channels: int
    height: int
    width: int
    test: TestSet | None = None
    synthetic_val: TestSet | None = None
    summary: dict = field(default_factory=dict)


def load_dataset(root: Path, channels: int | None, height: int, width: int, seed: int = 0,
                 val_fraction: float = 0.15, calib_fraction: float = 0.15, with_test: bool = True,
                 log: Callable[[str], None] = print) -> Dataset:
    root = Path(root)
    t0 = time.time()
    channels = channels or guess_channels(root)
    split = split_good(root, val_fraction, calib_fraction, seed)
    ds = Dataset(root, split, load_images(split.train, channels, height, width),
                 load_images(split.val, channels, height, width), load_images(split.calib, channels, height, width),
                 channels, height, width)
    if with_test and test_folder(root) is not None:
        ds.test = load_test_set(root, channels, height, width)
    # Synthetic validation uses the calibration images: the normalisation statistics are fitted on `val`, so
    # these good images are unseen by every fitted constant (thresholds do not change AUROC).
    ds.synthetic_val = synthetic_validation_set(ds.calib, seed=seed + 77, settings=DefectSettings.validation(),
                                                copies=2)
    all_good = good_images(root)
    ds.summary = {"root": str(root), "images": len(all_good), "sha256": content_hash(all_good, root),
                  "hash_rule": "sha256 over sorted (relative path, NUL, file bytes) of train/good"
                               + (" and validation/good" if (root / "validation" / "good").is_dir() else ""),
                  "split": {"train": len(split.train), "validation": len(split.val),
                            "calibration": len(split.calib), "seed": seed},
                  "test_images": int(len(ds.test.labels)) if ds.test is not None else 0,
                  "test_defect_types": sorted(set(ds.test.types) - {"good"}) if ds.test is not None else [],
                  "min_frame_aspect_tolerance": aspect_tolerance_needed(root, height, width)}
    pooled = " (train/good and validation/good pooled)" if (root / "validation" / "good").is_dir() else ""
    log(f"loaded {root}: {len(split.train)} train / {len(split.val)} val / {len(split.calib)} calib good images"
        f"{pooled}"
        f"{f', {len(ds.test.labels)} test images' if ds.test is not None else ''} "
        f"as {channels}x{height}x{width} in {time.time() - t0:.1f}s")
    return ds


def make_detector(cae: CAE, scoring: ScoringConfig) -> Detector:
    c = cae.config
    return Detector(cae, ScoringHead(scoring, c.height, c.width, c.channels)).eval()


def calibrate_and_score(cae: CAE, ds: Dataset, scoring: ScoringConfig, target_far: float, min_region_area: int,
                        device, with_test: bool = True) -> tuple[Detector, Calibration, dict, dict | None]:
    """Calibrates a detector on good images and measures it on synthetic validation (and test, if present)."""
    det = make_detector(copy.deepcopy(cae), scoring).to(device)
    # The input range reads every good image (train, validation and calibration parts): it is no model's output.
    cal = calibrate(det, ds.val, ds.calib, target_far, min_region_area, device=device,
                    good_images=(ds.train, ds.val, ds.calib))
    val_metrics = compute_metrics(ds.synthetic_val, predict(det, ds.synthetic_val.images, device,
                                                            keep_reconstructions=False))
    test_metrics = None
    if with_test and ds.test is not None:
        test_metrics = compute_metrics(ds.test, predict(det, ds.test.images, device, keep_reconstructions=False))
    return det.cpu(), cal, val_metrics, test_metrics


def selection_value(val_metrics: dict) -> float:
    o = val_metrics["overall"]
    return 0.5 * (o["image_auroc"] + o["pixel_auroc"])


def save_detector(path: Path, det: Detector, cal: Calibration, extra: dict) -> None:
    torch.save({"cae_config": det.cae.config.to_dict(), "scoring_config": det.head.config.to_dict(),
                "state_dict": det.state_dict(), "calibration": cal.to_dict(), "extra": extra}, path)


def load_detector(path: Path) -> tuple[Detector, dict]:
    ckpt = read_checkpoint(path, ("cae_config", "scoring_config", "state_dict"),
                           "give detector.pt, written by `calibrate` (best.pt from `train` has no thresholds yet)")
    det = make_detector(CAE(CAEConfig(**ckpt["cae_config"])), ScoringConfig(**ckpt["scoring_config"]))
    # A detector calibrated before the frame guard existed has no guard buffers: they keep their "off" values.
    loaded = det.load_state_dict(ckpt["state_dict"], strict=False)
    if loaded.unexpected_keys or set(loaded.missing_keys) - {f"head.{k}" for k in GUARD_DEFAULTS}:
        det.load_state_dict(ckpt["state_dict"])  # raises, naming them
    return det.eval(), ckpt


def train_one(ds: Dataset, cae_cfg: CAEConfig, tcfg: TrainConfig, work_dir: Path, device,
              log: Callable[[str], None], resume: bool = False) -> TrainResult:
    tcfg = replace(tcfg, split=ds.split.fingerprint(ds.root))
    return train(cae_cfg, ds.train, ds.val, tcfg, out_dir=work_dir, device=device, log=log, resume=resume)


def choose_latent(values: dict[int, float], tolerance: float = SWEEP_TIE_TOLERANCE) -> int:
    """The narrowest bottleneck whose validation value is within `tolerance` of the best one."""
    best = max(values.values())
    return min(k for k, v in values.items() if v >= best - tolerance)


def _row(name: str, denoise: bool, sc: ScoringConfig, val: dict, test: dict | None) -> dict:
    row = {"name": name, "denoise": denoise, "per_pixel_norm": sc.per_pixel_norm,
           "per_image_norm": sc.per_image_norm,
           "val_image_auroc": val["overall"]["image_auroc"], "val_pixel_auroc": val["overall"]["pixel_auroc"]}
    if test:
        row.update(test_image_auroc=test["overall"]["image_auroc"],
                   test_pixel_auroc=test["overall"].get("pixel_auroc", float("nan")),
                   test_aupro=test["overall"].get("aupro", float("nan")),
                   test_f1=test["overall"]["image_at_threshold"]["f1"])
    return row


HEAD_GRID = {"error": ("ssim", "sq"), "smoothing_sigma": (1.0, 2.0, 4.0), "per_image_norm": (True, False)}


# Lies in run's --out while it writes the model, card, golden vectors and report.
INCOMPLETE = "INCOMPLETE"

# Below this synthetic-validation image AUROC (0.5 is chance) the model does not separate even the injected
# defects: a run cut short on a loss plateau, or a surface the CAE reconstructs no better than its defects.
UNFIT_VAL_AUROC = 0.7


def unfit_warning(val_metrics: dict, stopped: str | None = None, report: bool = True) -> str | None:
    """stopped: why the training ended (TrainResult.stopped), None where unknown; report: whether this command
    wrote report/ (calibrate does not)."""
    a = val_metrics["overall"]["image_auroc"]
    if not a < UNFIT_VAL_AUROC:  # NaN too: nothing to judge by
        return None
    look = ("Look at report/examples.png; " if report
            else "Look at the reconstructions (evaluate --report, then report/examples.png); ")
    if stopped is None:
        longer = "train longer (--epochs; after --max-minutes, --resume), "
    elif stopped.startswith("time limit"):
        longer = "let the training finish (--resume with a larger --max-minutes), "
    elif stopped == "max epochs":
        longer = "train for more epochs (--epochs), "
    else:  # an early stop: the validation loss had stopped improving, so more of the same will not help
        longer = ""
    return (f"WARNING: on synthetic validation (held-out good images with injected defects) the image AUROC is "
            f"{a:.3f}, where 0.5 is chance: the model does not separate even these defects from good images and "
            f"will miss real ones. {look}{longer}try another bottleneck (--sweep) or scoring head (--head-grid)")


def summarise_test_set(o: dict) -> list[str]:
    """The test set's figures in one line (as the job would decide), and a warning when defective images score
    lower than good ones."""
    at = o["image_at_threshold"]
    lines = [f"test: image AUROC {o['image_auroc']:.4f}, pixel AUROC {o.get('pixel_auroc', float('nan')):.4f}, "
             f"AUPRO {o.get('aupro', float('nan')):.4f}; at the threshold: precision {at['precision']:.4f}, recall "
             f"{at['recall']:.4f}, F1 {at['f1']:.4f}, false alarms {at['fp']} of {at['fp'] + at['tn']} good images"
             + (f"; input out of range: {o['input_out_of_range']} test images ({o['input_out_of_range_good']} good)"
                if "input_out_of_range" in o else "")]
    if o["image_auroc"] < 0.5:
        lines.append(f"WARNING: the test image AUROC {o['image_auroc']:.3f} is below chance (0.5): the defective "
                     "test images score lower than the good ones. The CAE reconstructs these defects no worse than "
                     "the surface itself (a fine, random texture it can only blur, or smooth defects on it): try "
                     "another scoring head (calibrate --error sq --smoothing-sigma 2 --no-per-image-norm, or "
                     "run --head-grid) or a larger input (--size)")
    return lines


def head_grid(base: ScoringConfig) -> list[ScoringConfig]:
    """`base` with each combination of HEAD_GRID's error kind, smoothing and per-image normalisation."""
    out = []
    for error in HEAD_GRID["error"]:
        for sigma in HEAD_GRID["smoothing_sigma"]:
            for per_image in HEAD_GRID["per_image_norm"]:
                sc = copy.deepcopy(base)
                sc.error, sc.smoothing_sigma, sc.per_image_norm = error, sigma, per_image
                out.append(sc)
    return out


def select_head(cae: CAE, ds: Dataset, base: ScoringConfig, target_far: float, min_region_area: int, device,
                log: Callable[[str], None], per_image_norm: bool = True) -> tuple[ScoringConfig, list[dict]]:
    """Picks the error kind, smoothing and per-image normalisation on synthetic validation (no retraining);
    `per_image_norm` False: only variants without it."""
    rows, best, best_value = [], base, -1.0
    for sc in (v for v in head_grid(base) if per_image_norm or not v.per_image_norm):
        try:
            _, _, val_m, _ = calibrate_and_score(cae, ds, sc, target_far, min_region_area, device, with_test=False)
        except DatasetError as e:  # per-image normalisation on frames mostly constant: not a candidate
            log(f"scoring head error {sc.error}, sigma {sc.smoothing_sigma}, per-image norm: left out: {e}")
            continue
        value = selection_value(val_m)
        rows.append({"error": sc.error, "smoothing_sigma": sc.smoothing_sigma, "per_image_norm": sc.per_image_norm,
                     "val_image_auroc": val_m["overall"]["image_auroc"],
                     "val_pixel_auroc": val_m["overall"]["pixel_auroc"]})
        if value > best_value:
            best, best_value = sc, value
    log(f"scoring head chosen on synthetic validation: error {best.error}, sigma {best.smoothing_sigma}, "
        f"per-image norm {best.per_image_norm} (value {best_value:.4f} of {len(rows)} variants)")
    return best, rows


def head_variants(base: ScoringConfig, per_image_norm: bool = True) -> list[tuple[str, ScoringConfig]]:
    """The ablation's heads; `per_image_norm` False: only those without per-image normalisation."""
    out = []
    for name, pp, pi in [("full", True, True), ("no per-image norm", True, False),
                         ("no per-pixel z-score", False, True), ("raw smoothed error", False, False)]:
        if pi and not per_image_norm:
            continue
        sc = copy.deepcopy(base)
        sc.per_pixel_norm, sc.per_image_norm = pp, pi
        out.append((name, sc))
    return out


def run_pipeline(data: Path, out: Path, work_dir: Path, channels: int | None, cae_kwargs: dict, tcfg: TrainConfig,
                 scoring: ScoringConfig, target_far: float, min_region_area: int | None, name: str,
                 version: str | None, device, sweep: list[int] | None = None, ablation: bool = False,
                 log: Callable[[str], None] = print, val_fraction: float = 0.15,
                 calib_fraction: float = 0.15, head_grid: bool = False, resume: bool = False) -> dict:
    """train (+ optional bottleneck sweep) -> calibrate -> evaluate -> export ONNX + card + golden + report."""
    t_start = time.time()
    out, work_dir = Path(out), Path(work_dir)
    ds = load_dataset(data, channels, cae_kwargs["height"], cae_kwargs["width"], tcfg.seed,
                      val_fraction, calib_fraction, log=log)  # first: bad data stops it before anything is written
    out.mkdir(parents=True, exist_ok=True)
    work_dir.mkdir(parents=True, exist_ok=True)
    # Frames mostly masked out or clipped: per-image normalisation is refused before hours of training, or left
    # out of the variants that --head-grid and --ablation try.
    no_per_image_norm = False
    if scoring.per_image_norm or head_grid or ablation:  # a pass over the training images, only when it matters
        constant = constant_pixels(ds.train)
        if scoring.per_image_norm and not head_grid:
            check_per_image_norm(constant, "the frame")
        no_per_image_norm = float(np.mean(constant)) >= 0.5
    if no_per_image_norm and head_grid:
        log(f"{np.mean(constant):.0%} of the frame does not vary across the good images: --head-grid leaves "
            "per-image normalisation out")
        scoring = replace(scoring, per_image_norm=False)
    cae_cfg = CAEConfig(channels=ds.channels, **cae_kwargs)
    if min_region_area is None:
        min_region_area = default_min_region_area(ds.height, ds.width)
    scoring = copy.deepcopy(scoring)
    if scoring.top_k <= 0:
        scoring.top_k = min_region_area

    # Bottleneck sweep: every candidate trained with the same recipe, chosen on synthetic validation only.
    candidates = sweep or [cae_cfg.latent_channels]
    sweep_rows, trained = [], {}
    for latent in candidates:
        cfg = copy.deepcopy(cae_cfg)
        cfg.latent_channels = latent
        log(f"--- training latent_channels={latent}")
        res = train_one(ds, cfg, tcfg, work_dir / f"latent{latent}", device, log, resume)
        det, cal, val_m, test_m = calibrate_and_score(res.model, ds, scoring, target_far, min_region_area, device)
        row = {"latent_channels": latent, "latent_size": cfg.latent_size, "train_seconds": res.wall_seconds,
               "best_epoch": res.best_epoch, "val_loss": res.best_val_loss,
               "val_image_auroc": val_m["overall"]["image_auroc"], "val_pixel_auroc": val_m["overall"]["pixel_auroc"]}
        if test_m:
            row.update(test_image_auroc=test_m["overall"]["image_auroc"],
                       test_pixel_auroc=test_m["overall"].get("pixel_auroc", float("nan")))
        log(f"latent {latent} (head as given): synthetic val image AUROC {row['val_image_auroc']:.4f} pixel AUROC "
            f"{row['val_pixel_auroc']:.4f}" + (f"; test image AUROC {row['test_image_auroc']:.4f} pixel AUROC "
                                               f"{row['test_pixel_auroc']:.4f}" if test_m else ""))
        sweep_rows.append(row)
        trained[latent] = (res, det, cal, val_m)
    values = {k: selection_value(trained[k][3]) for k in candidates}
    best_latent = choose_latent(values)
    for row in sweep_rows:
        row["selection_value"] = values[row["latent_channels"]]
        row["chosen"] = row["latent_channels"] == best_latent
    res, det, cal, val_m = trained[best_latent]
    if len(candidates) > 1:
        log(f"chosen bottleneck: {best_latent} channels (narrowest within {SWEEP_TIE_TOLERANCE} of the best "
            f"synthetic-validation value: " + ", ".join(f"{k}: {v:.4f}" for k, v in values.items()) + ")")
    head_rows = []
    if head_grid:
        scoring, head_rows = select_head(res.model, ds, scoring, target_far, min_region_area, device, log,
                                         per_image_norm=not no_per_image_norm)
        det, cal, val_m, _ = calibrate_and_score(res.model, ds, scoring, target_far, min_region_area, device,
                                                 with_test=False)
    else:
        log(f"scoring head as given: error {scoring.error}, sigma {scoring.smoothing_sigma}, per-image norm "
            f"{scoring.per_image_norm}, top-{scoring.top_k}")

    ablation_rows = []
    if ablation:
        for vname, sc in head_variants(scoring, per_image_norm=not no_per_image_norm):
            _, _, v, t = calibrate_and_score(res.model, ds, sc, target_far, min_region_area, device)
            ablation_rows.append(_row(f"denoising + {vname}", True, sc, v, t))
        no_dn = copy.deepcopy(tcfg)
        no_dn.augment.denoise = False
        cfg = copy.deepcopy(cae_cfg)
        cfg.latent_channels = best_latent
        log("--- ablation: training without defect-denoising")
        plain = train_one(ds, cfg, no_dn, work_dir / f"latent{best_latent}-nodenoise", device, log, resume)
        for vname, sc in head_variants(scoring, per_image_norm=not no_per_image_norm):
            _, _, v, t = calibrate_and_score(plain.model, ds, sc, target_far, min_region_area, device)
            ablation_rows.append(_row(f"plain CAE + {vname}", False, sc, v, t))
        for r in ablation_rows:
            log(f"ablation {r['name']}: " + ", ".join(f"{k} {v:.4f}" for k, v in r.items()
                                                      if isinstance(v, float)))

    log(cal.summary())
    if warning := unfit_warning(val_m, res.stopped):
        log(warning)
    test_metrics, pred = (None, None)
    if ds.test is not None:
        test_metrics, pred = evaluate(det, ds.test, device, input_range=cal.input_range)  # as the job decides
        for line in summarise_test_set(test_metrics["overall"]):
            log(line)
        for t, m in test_metrics["per_type"].items():
            log(per_type_line(t, m))

    # What `calibrate` records too, so that `export --detector` of this file writes the same card as `run`.
    save_detector(work_dir / "detector.pt", det, cal, {"data": ds.summary, "synthetic_validation": val_m,
                                                       "train_config": tcfg.to_dict(), "epoch": res.best_epoch,
                                                       "history": res.history})
    version = version or _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d") + ".1"
    metrics = {"test": test_metrics, "synthetic_validation": {
        "overall": val_m["overall"], "per_type": val_m["per_type"],
        "note": "held-out good calibration images + defects from the validation injector settings "
                "(never the training settings); used for model selection"}}
    if sweep_rows and len(sweep_rows) > 1:
        metrics["bottleneck_sweep"] = sweep_rows
    if ablation_rows:
        metrics["ablation"] = ablation_rows
    if head_rows:
        metrics["scoring_head_selection"] = head_rows
    training = {"data": ds.summary, "config": {"train": tcfg.to_dict(), "cae": det.cae.config.to_dict(),
                                               "scoring": det.head.config.to_dict(),
                                               "defects_training": DefectSettings.training().to_dict(),
                                               "defects_validation": DefectSettings.validation().to_dict()},
                "device": str(device), "threads": torch.get_num_threads(),
                "wall_seconds": round(res.wall_seconds, 1), "best_epoch": res.best_epoch,
                "epochs_run": len(res.history), "stopped": res.stopped,
                "best_val_loss": res.best_val_loss, "mean_image_val_loss": res.mean_image_val_loss}
    (out / INCOMPLETE).write_text("run is writing this folder; if this file stays, it was interrupted: the same "
                                  "command with --resume reuses the finished training and writes it again\n")
    onnx_path, _, card = export_model(det, out, lambda onnx: build_card(
        det, onnx, name, version, cal.card_thresholds(), metrics, training))

    golden_src = []
    if ds.test is not None:
        defect_idx = [i for i, l in enumerate(ds.test.labels) if l]
        good_idx = [i for i, l in enumerate(ds.test.labels) if not l]
        if defect_idx:
            golden_src.append(("defect", Path(ds.test.paths[defect_idx[0]])))
        if good_idx:
            golden_src.append(("good", Path(ds.test.paths[good_idx[0]])))
    if len(golden_src) < 2:
        golden_src = [("good", p) for p in ds.split.calib[:2]]
    write_golden(det, out / "golden", golden_images_from(golden_src, ds.channels))

    summary = {"name": name, "version": version, "data": str(data), "input": [ds.channels, ds.height, ds.width],
               "latent_channels": best_latent, "train_seconds": round(res.wall_seconds, 1),
               "epochs_run": len(res.history), "device": str(device),
               "thresholds": {"raw_image_score": cal.raw_image_score, "raw_pixel": cal.raw_pixel,
                              "min_region_area": min_region_area, "target_false_alarm_rate": target_far}}
    write_report_for(out / "report", name, ds, pred, test_metrics, summary, ablation_rows, sweep_rows, res.history,
                     val_m)
    (out / INCOMPLETE).unlink()
    log(f"wrote {onnx_path}, {out / 'cae.card.json'}, {out / 'golden'}, {out / 'report'} "
        f"({time.time() - t_start:.0f}s in all)")
    return {"card": card, "summary": summary}


def write_report_for(report_dir: Path, name: str, ds: Dataset, pred, test_metrics, summary, ablation_rows,
                     sweep_rows, history, val_metrics) -> Path:
    from .report import write_report
    return write_report(report_dir, f"Evaluation report: {name}", ds.test, pred, test_metrics, summary,
                        ablation_rows or None, sweep_rows if len(sweep_rows) > 1 else None, history, val_metrics)
