"""Command line: python3 -m defect_cae {run,train,calibrate,evaluate,export,input-range,preprocess} ..."""
from __future__ import annotations

import argparse
import functools
import json
import math
import os
import re
import shutil
import sys
from pathlib import Path

from .errors import DatasetError, DeviceError, ModelError, OptionError

ENV_NOTE = ("Threads: --threads sets torch.set_num_threads (default 2). On shared CPUs set OMP_WAIT_POLICY=PASSIVE "
            "(done by default when this CLI starts, unless already set): spinning OpenMP workers otherwise slow "
            "training 3-9x under contention.")


RESUME_HELP = ("continue the training in --work-dir where it was interrupted (last.pt: weights, optimiser, schedule "
               "and random streams: it goes on as if never interrupted), or stopped by --max-minutes; a "
               "finished training is reused as it is; the options must be the ones it was started with")


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--device", default="auto", help="auto (cuda if available, else cpu), cpu, cuda, cuda:1 ...")
    p.add_argument("--threads", type=bounded(int, 1), default=2, help="torch intra-op threads")
    p.add_argument("--seed", type=int, default=0, help="seed of the good-image split, initialisation and augmentation")


MAX_SIDE = 4096  # a model input beyond this does not fit a training batch in memory, nor the job's batches


def image_size(text: str) -> tuple[int, int]:
    """--size: N (N x N) or WxH, width first as in the synthetic factory's --size; returns (height, width)."""
    m = re.fullmatch(r"(\d+)(?:[xX](\d+))?", text.strip())
    if not m or not 0 < int(m[1]) <= MAX_SIDE or (m[2] is not None and not 0 < int(m[2]) <= MAX_SIDE):
        raise argparse.ArgumentTypeError(f"{text!r}: give N or WxH in pixels, e.g. 128 or 192x128, each side at "
                                         f"most {MAX_SIDE}")
    width = int(m[1])
    return (int(m[2]) if m[2] else width), width


def bounded(kind: type, low: float | None = None, high: float | None = None, low_open: bool = False,
            high_open: bool = False):
    """An argparse type: `kind` (int or float, finite) within [low, high] (or open bounds), else a one-line error
    that says the range, e.g. bounded(int, 1) for counts, bounded(float, 0, 1) for probabilities."""
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            value = None
        ok = value is not None and value == value and abs(value) != float("inf")
        ok = ok and (low is None or (value > low if low_open else value >= low))
        ok = ok and (high is None or (value < high if high_open else value <= high))
        if not ok:
            if low is not None and high is not None:
                excluded = [f"{b:g}" for b, o in ((low, low_open), (high, high_open)) if o]
                span = f"between {low:g} and {high:g}" + (f" (not {' or '.join(excluded)})" if excluded else "")
            else:
                span = f"{'>' if low_open else '>='} {low:g}" if low is not None \
                    else f"{'<' if high_open else '<='} {high:g}"
            raise argparse.ArgumentTypeError(f"{text!r}: give {'an integer' if kind is int else 'a number'} "
                                             f"{span}")
        return value
    return parse


def int_list(text: str) -> str:
    """--widths, --sweep: comma-separated positive integers, kept as given (the commands split them)."""
    parts = text.split(",")
    if not all(p.strip().isdigit() and int(p) > 0 for p in parts):
        raise argparse.ArgumentTypeError(f"{text!r}: give comma-separated positive integers, e.g. 16,32,64,64")
    return text


def label(text: str) -> str:
    """--name, --version: recorded in the card and every alert, which need a non-blank value."""
    if not text.strip():
        raise argparse.ArgumentTypeError("give a non-blank value (it is recorded in the model card and every alert)")
    return text.strip()


# --val-fraction, --calib-fraction (a share of the good images), --target-far: strictly between 0 and 1.
fraction = bounded(float, 0, 1, low_open=True, high_open=True)


def _add_data(p: argparse.ArgumentParser, training: bool = False) -> None:
    p.add_argument("--data", required=True, type=Path,
                   help="one category in the MVTec AD, AD 2 or LOCO layout (train/good, validation/good, test/* or "
                        "test_public/*, ground_truth/*)")
    p.add_argument("--channels", default="auto", choices=["auto", "1", "3"],
                   help="model input channels; auto = 1 if the training images are gray")
    if training:
        p.add_argument("--size", type=image_size, default="128",
                       help="model input, N (square) or WxH, each a multiple of 2**stages (16 for 4 stages); "
                            "keep the images' aspect ratio")
        p.add_argument("--squash", action="store_true",
                       help="train even when the images' aspect ratio differs from --size's by more than the job's "
                            "default frame-aspect-tolerance (the job would reject such frames as WRONG_SHAPE)")
    if training:
        p.add_argument("--val-fraction", type=fraction, default=0.15, help="good images held out for validation")
        p.add_argument("--calib-fraction", type=fraction, default=0.15, help="good images held out for thresholds")
    else:  # the split must be the training's, which the checkpoint records
        p.add_argument("--val-fraction", type=fraction, default=None, help=argparse.SUPPRESS)
        p.add_argument("--calib-fraction", type=fraction, default=None, help=argparse.SUPPRESS)


def _add_model_training(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("model and training")
    g.add_argument("--latent", type=bounded(int, 1), default=8, help="bottleneck channels (capacity); see --sweep")
    g.add_argument("--widths", type=int_list, default="16,32,64,64",
                   help="encoder stage widths (each stage halves H, W)")
    g.add_argument("--skips", type=bounded(int, 0), default=0,
                   help="U-Net skip connections at the finest N resolutions (1 = the input itself); 0 = plain CAE")
    g.add_argument("--padding", default="reflect", choices=["reflect", "zeros"],
                   help="convolution padding (reflect: fewer false alarms at the image border)")
    g.add_argument("--epochs", type=bounded(int, 1), default=150, help="at most this many epochs (see --patience)")
    g.add_argument("--batch-size", type=bounded(int, 1), default=16, help="images per optimiser step")
    g.add_argument("--workers", type=_workers, default="auto",
                   help="DataLoader worker processes making the training batches (augmentation, synthetic defects); "
                        "auto = 0 (the training process) on CPU, where they would take cores from training, and "
                        "up to 4 on a GPU, which one process cannot keep busy. The batches are the same for any "
                        "count. Workers start fresh (forkserver, or spawn), not forked: each imports torch and holds "
                        "its own copy of the training images")
    g.add_argument("--lr", type=bounded(float, 0, low_open=True), default=2e-3,
                   help="Adam learning rate (cosine schedule)")
    g.add_argument("--loss", default="mix", choices=["mse", "ssim", "mix"], help="reconstruction loss")
    g.add_argument("--ssim-weight", type=bounded(float, 0, 1), default=0.5, help="mix = (1-w) MSE + w (1-SSIM)")
    g.add_argument("--patience", type=bounded(int, 1), default=20, help="early stopping patience (epochs)")
    g.add_argument("--max-minutes", type=bounded(float, 0), default=0.0,
                   help="stop training after this long (0 = no limit)")
    g.add_argument("--no-denoise", action="store_true", help="plain CAE: no synthetic defects in the inputs")
    g.add_argument("--denoise-prob", type=bounded(float, 0, 1), default=0.5,
                   help="share of training inputs given synthetic defects (the target stays clean)")
    g.add_argument("--max-shift", type=bounded(int, 0), default=4, help="augmentation: max shift in pixels")
    g.add_argument("--brightness", type=bounded(float, 0, 1), default=0.05,
                   help="augmentation: additive brightness, +-")
    g.add_argument("--contrast", type=bounded(float, 0, 1, high_open=True), default=0.1,
                   help="augmentation: contrast factor 1 +- this")
    g.add_argument("--train-crop", type=bounded(int, 0), default=0,
                   help="train on random crops of this side (0 = whole images), e.g. --size 256 --train-crop 128: "
                        "full-resolution model for a quarter of the training compute; a multiple of 2**stages")


def _add_scoring(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("scoring head and calibration")
    g.add_argument("--error", default="ssim", choices=["ssim", "sq"], help="per-pixel error: 1-SSIM or squared")
    g.add_argument("--smoothing-sigma", type=bounded(float, 0, 32, low_open=True), default=1.0,
                   help="Gaussian blur of the error map, pixels")
    g.add_argument("--no-per-pixel-norm", action="store_true",
                   help="do not z-score each pixel against good images")
    g.add_argument("--no-per-image-norm", action="store_true",
                   help="do not centre and scale each map by its own median and MAD")
    g.add_argument("--top-k", type=bounded(int, 0), default=0,
                   help="score = mean of top-k map values (0 = min_region_area)")
    g.add_argument("--target-far", type=fraction, default=0.01, help="target false-alarm rate on good images")
    g.add_argument("--min-region-area", type=bounded(int, 1), default=None, help="smallest region reported, pixels "
                   "(default: H*W/1024, 16 at 128x128)")


def _setup(args) -> "torch.device":
    import torch
    from .train import resolve_device
    torch.set_num_threads(args.threads)
    return resolve_device(args.device)


def _workers(text: str) -> str | int:
    if text == "auto":
        return text
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"expected auto or a count of processes (0, 1, 2 ...), got {text!r}")
    return int(text)


def resolve_workers(workers: str | int, device) -> int:
    if workers != "auto":
        return workers
    return 0 if device.type == "cpu" else max(0, min(4, (os.cpu_count() or 1) - 1))


def _configs(args, device):
    from .data import AugmentConfig
    from .model import ScoringConfig
    from .train import TrainConfig
    aug = AugmentConfig(max_shift=args.max_shift, brightness=args.brightness, contrast=args.contrast,
                        denoise=not args.no_denoise, denoise_prob=args.denoise_prob, crop=args.train_crop)
    tcfg = TrainConfig(epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, loss=args.loss,
                       ssim_weight=args.ssim_weight, patience=args.patience, max_minutes=args.max_minutes,
                       seed=args.seed, augment=aug, workers=resolve_workers(args.workers, device),
                       val_fraction=args.val_fraction, calib_fraction=args.calib_fraction)
    if args.val_fraction + args.calib_fraction >= 0.9:
        raise OptionError(f"--val-fraction {args.val_fraction:g} + --calib-fraction {args.calib_fraction:g} leave "
                          "too few images to train on: together they must stay below 0.9")
    factor = 2 ** len(args.widths.split(","))
    if args.skips > len(args.widths.split(",")):
        raise OptionError(f"--skips {args.skips}: at most {len(args.widths.split(','))}, one per stage of "
                          f"--widths {args.widths}")
    height, width = args.size
    if args.train_crop and (args.train_crop % factor or args.train_crop > min(height, width)):
        raise OptionError(f"--train-crop {args.train_crop}: must be a multiple of {factor} and at most the shorter "
                          f"side of --size ({min(height, width)})")
    if height % factor or width % factor:
        def near(n):  # the multiples of factor either side of n
            return sorted({max(2 * factor, n // factor * factor), max(2 * factor, (n + factor - 1) // factor * factor)})
        options = " or ".join(f"{w}x{h}" for w in near(width) for h in near(height) if (w, h) != (width, height))
        raise OptionError(f"--size {width}x{height}: each side must be a multiple of {factor} "
                          f"({len(args.widths.split(','))} stages, each halving it), e.g. {options}")
    # The deepest stage pads by reflection, which needs at least 2 pixels on each side there.
    if min(height, width, args.train_crop or height) < 2 * factor:
        raise OptionError(f"--size {width}x{height}{f' --train-crop {args.train_crop}' if args.train_crop else ''}: "
                          f"each side must be at least {2 * factor} for {len(args.widths.split(','))} stages")
    from .data import check_aspect, shallow_depth_warning, upsampling_warning
    if not args.squash:
        check_aspect(args.data, height, width, factor, max_side=MAX_SIDE)
    for warning in (shallow_depth_warning(args.data), upsampling_warning(args.data, height, width)):
        if warning:
            print(f"warning: {warning}", file=sys.stderr)
    cae_kwargs = {"height": height, "width": width, "widths": tuple(int(w) for w in args.widths.split(",")),
                  "latent_channels": args.latent, "padding_mode": args.padding,
                  "skips": args.skips}
    return tcfg, cae_kwargs


def _scoring(args, top_k: int, height: int, width: int):
    from .model import ScoringConfig
    for option, value in (("--top-k", top_k), ("--min-region-area", args.min_region_area)):
        if value and value > height * width:
            raise OptionError(f"{option} {value}: more than the {width}x{height} error map's {height * width} pixels")
    radius = max(1, math.ceil(3 * args.smoothing_sigma))  # the blur's reflect padding (model.gaussian_kernel1d)
    if radius >= min(height, width):
        raise OptionError(f"--smoothing-sigma {args.smoothing_sigma:g}: its blur reaches {radius} pixels, as far as "
                          f"the {width}x{height} error map's shorter side; use at most "
                          f"{math.floor((min(height, width) - 1) / 3 * 100) / 100:g}")
    return ScoringConfig(error=args.error, smoothing_sigma=args.smoothing_sigma,
                         per_pixel_norm=not args.no_per_pixel_norm, per_image_norm=not args.no_per_image_norm,
                         top_k=top_k)


def _folder_to_write(path: Path, option: str) -> None:
    """Before any work: a folder option that cannot become a writable folder, said with the option's name."""
    existing = Path(path)
    if existing.exists() and not existing.is_dir():
        raise OptionError(f"{option} {path}: a file is there; give a folder (it is created when missing)")
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise OptionError(f"{option} {path}: {existing} is a file, so the folder cannot be made there")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise OptionError(f"{option} {path}: no permission to write in {existing}")


def cmd_run(args) -> int:
    from .pipeline import run_pipeline
    name = args.name or f"cae-{args.data.resolve().name}"
    work = args.work_dir or Path("runs") / name
    _folder_to_write(work, "--work-dir")
    _folder_to_write(args.out, "--out")
    device = _setup(args)
    tcfg, cae_kwargs = _configs(args, device)
    sweep = [int(v) for v in args.sweep.split(",")] if args.sweep else None
    run_pipeline(args.data, args.out, work, None if args.channels == "auto" else int(args.channels), cae_kwargs,
                 tcfg, _scoring(args, args.top_k, *args.size), args.target_far, args.min_region_area, name,
                 args.version, device, sweep=sweep, ablation=args.ablation, val_fraction=args.val_fraction,
                 calib_fraction=args.calib_fraction, head_grid=args.head_grid and not args.fixed_head,
                 resume=args.resume)
    return 0


def cmd_train(args) -> int:
    from .model import CAEConfig
    from .pipeline import load_dataset, train_one
    _folder_to_write(args.work_dir, "--work-dir")
    device = _setup(args)
    tcfg, cae_kwargs = _configs(args, device)
    ds = load_dataset(args.data, None if args.channels == "auto" else int(args.channels), *args.size,
                      args.seed, args.val_fraction, args.calib_fraction, with_test=False)
    res = train_one(ds, CAEConfig(channels=ds.channels, **cae_kwargs), tcfg, args.work_dir, device, print,
                    args.resume)
    print(f"checkpoint: {res.checkpoint}")
    return 0


def cmd_calibrate(args) -> int:
    from .calibrate import default_min_region_area
    from .pipeline import calibrate_and_score, load_dataset, save_detector, unfit_warning
    from .train import load_checkpoint
    if args.out and Path(args.out).is_dir():
        raise OptionError(f"--out {args.out} is a folder: give the detector file to write (e.g. "
                          f"{Path(args.out) / 'detector.pt'})")
    device = _setup(args)
    cae, ckpt = load_checkpoint(args.checkpoint)
    c, trained = cae.config, ckpt["train_config"]
    fractions = []
    for name in ("val_fraction", "calib_fraction"):
        given, recorded = getattr(args, name), trained.get(name)
        if given is not None and recorded is not None and given != recorded:
            raise OptionError(f"--{name.replace('_', '-')} {given:g}: {args.checkpoint} was trained with "
                              f"{recorded:g}, and calibrating on another split would take images it was trained on; "
                              "leave the option out")
        fractions.append(given if given is not None else recorded if recorded is not None else 0.15)
    ds = load_dataset(args.data, c.channels, c.height, c.width, trained["seed"], *fractions, with_test=False)
    if trained.get("split") and ds.split.fingerprint(ds.root) != trained["split"]:
        raise DatasetError(f"{args.data}: its good images are not those {args.checkpoint} was trained on (files "
                           "added, removed or renamed in train/good or validation/good since), so the held-out "
                           "images would not be the training's and some calibration images would have trained the "
                           "model: calibrate on the folder as it was, or train again")
    mra = args.min_region_area or default_min_region_area(c.height, c.width)
    det, cal, val_m, _ = calibrate_and_score(cae, ds, _scoring(args, args.top_k or mra, c.height, c.width),
                                             args.target_far, mra, device, with_test=False)
    out = args.out or Path(args.checkpoint).with_name("detector.pt")
    Path(out).parent.mkdir(parents=True, exist_ok=True)  # as run --out does
    save_detector(out, det, cal, {"data": ds.summary, "synthetic_validation": val_m,
                                  "train_config": ckpt["train_config"], "epoch": ckpt["epoch"],
                                  "history": ckpt["history"]})
    print(json.dumps(cal.card_thresholds(), indent=1))
    print(cal.summary())
    print(f"synthetic validation: image AUROC {val_m['overall']['image_auroc']:.4f}, "
          f"pixel AUROC {val_m['overall']['pixel_auroc']:.4f}; wrote {out}")
    if warning := unfit_warning(val_m, report=False):
        print(warning, file=sys.stderr)
    return 0


def cmd_evaluate(args) -> int:
    from .data import load_test_set
    from .evaluate import check_input_range, compute_metrics, load_onnx, per_type_line, predict, predict_onnx
    from .export import json_safe
    from .pipeline import summarise_test_set
    from .report import write_report
    history = val_metrics = None
    if args.model:
        # A file that is not ONNX at all says so before anything about its card (a missing one: _card_beside).
        model = load_onnx(args.model) if Path(args.model).is_file() else None
        card = _card_beside(args.model)
        c = card["input"]
        test = load_test_set(args.data, c["channels"], c["height"], c["width"])
        pred, engine = predict_onnx(args.model, test.images, model=model)
        input_range = card["thresholds"].get("input_range")
        source, summary = str(args.model), {"model": str(args.model), "card": card["name"] + " " + card["version"],
                                            "engine": engine, "data": str(args.data)}
        metrics_path = Path(args.report) / "metrics.json" if args.report else None
    else:
        from .pipeline import load_detector
        device = _setup(args)
        det, ckpt = load_detector(args.detector)
        c = det.cae.config
        test = load_test_set(args.data, c.channels, c.height, c.width)
        pred = predict(det, test.images, device)
        input_range = ckpt.get("calibration", {}).get("input_range")
        source, summary = str(args.detector), {"detector": str(args.detector), "data": str(args.data)}
        metrics_path = _metrics_beside(args.detector)
        history, val_metrics = ckpt["extra"].get("history"), ckpt["extra"].get("synthetic_validation")
    pred = check_input_range(pred, test.images, input_range)  # the job alerts on a frame out of range
    metrics = compute_metrics(test, pred, fpr_limit=args.fpr_limit)
    print(json.dumps(json_safe(metrics["overall"]), indent=1))
    for t, m in metrics["per_type"].items():
        print(per_type_line(t, m))
    o = metrics["overall"]
    for line in summarise_test_set(o):
        print(line, file=sys.stderr if line.startswith("WARNING") else sys.stdout)
    print(f"input out of range: {o['input_out_of_range']} of {o['images']} test images "
          f"({o['input_out_of_range_good']} of {o['good_images']} good), alerting whatever their score"
          if input_range else "input range: none in the card (no check)" if args.model
          else "input range: none in the detector (calibrated before it; no check)")
    if args.report:
        write_report(args.report, f"Evaluation report: {source}", test, pred, metrics, summary,
                     history=history, val_metrics=val_metrics)
        print(f"report: {Path(args.report) / 'report.md'}")
    if metrics_path:
        stamp = {"detector_sha256": _sha256(args.detector)} if args.detector else {}
        # Undefined figures (precision with no alert) are null: NaN is not JSON, and other tools refuse it.
        metrics_path.write_text(json.dumps(json_safe({**stamp, **metrics}), indent=1, allow_nan=False))
    return 0


def _metrics_beside(detector) -> Path:
    """Where evaluate leaves a detector's test metrics for export: named after it, so the metrics of another
    detector in the same folder (calibrated with another head) are not taken for its own."""
    return Path(detector).with_name(Path(detector).stem + ".metrics.json")


def _sha256(path) -> str:
    import hashlib
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _card_beside(model: Path) -> dict:
    """The model card the job would read with this model: <stem>.card.json, else model-card.json."""
    model = Path(model)
    if not model.is_file():
        raise FileNotFoundError(f"{model} does not exist (give the .onnx file model-export wrote)")
    for card in (model.with_name(model.stem + ".card.json"), model.with_name("model-card.json")):
        if card.is_file():
            try:
                content = json.loads(card.read_text())
            except (ValueError, UnicodeDecodeError) as e:
                raise ModelError(f"{card} is not a model card ({e}): re-export the model with model-export") from None
            expected = content.get("onnx", {}).get("sha256") if isinstance(content, dict) else None
            if expected and expected != _sha256(model):  # as the job checks: a card describes one file
                raise ModelError(f"{card} describes another ONNX file (sha256 {expected[:12]}..., {model} has "
                                 f"{_sha256(model)[:12]}...): copy a model and its card together, or export again")
            return content
    raise FileNotFoundError(f"no model card beside {model}: expected {model.stem}.card.json or model-card.json "
                            "(model-export writes it next to the .onnx)")


def cmd_export(args) -> int:
    import datetime as _dt
    from .calibrate import Calibration
    from .export import build_card, export_model, golden_images_from, write_golden
    from .pipeline import load_detector
    _folder_to_write(args.out, "--out")
    det, ckpt = load_detector(args.detector)
    cal = Calibration(**ckpt["calibration"])
    out = Path(args.out)
    golden = None
    if args.golden:  # read them first: a file that is not an image must not leave half an export behind
        try:
            golden = golden_images_from([(f"image{i}", Path(p)) for i, p in enumerate(args.golden)],
                                        det.cae.config.channels)
        except (OSError, ValueError) as e:
            raise OptionError(f"--golden: {e}") from None
    metrics_path = _metrics_beside(args.detector)
    test = json.loads(metrics_path.read_text()) if metrics_path.exists() else None
    if test is not None and test.pop("detector_sha256", None) != _sha256(args.detector):
        print(f"{metrics_path} was measured on an earlier {args.detector} (recalibrated since): the card gets no "
              "test metrics; run evaluate again before export to include them")
        test = None
    metrics = {"test": test}
    if "synthetic_validation" in ckpt["extra"]:
        metrics["synthetic_validation"] = ckpt["extra"]["synthetic_validation"]
    version = args.version or _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d") + ".1"
    training = {"data": ckpt["extra"].get("data", {}), "config": {"train": ckpt["extra"].get("train_config"),
                                                                  "cae": det.cae.config.to_dict(),
                                                                  "scoring": det.head.config.to_dict()}}
    onnx_path, card_path, _ = export_model(det, out, lambda onnx: build_card(
        det, onnx, args.name, version, cal.card_thresholds(), metrics, training))
    if golden:
        write_golden(det, out / "golden", golden)
    elif (out / "golden" / "golden.json").is_file():  # an earlier export's vectors: the job would check this
        shutil.rmtree(out / "golden")                   # model against them and refuse it
        print(f"removed {out / 'golden'}: its vectors were an earlier model's (pass --golden IMAGES for new ones)")
    if (out / "report").is_dir():
        print(f"note: {out / 'report'} is an earlier model's report (export writes none; `evaluate --report` does)")
    print(f"wrote {onnx_path} and {card_path}")
    return 0


def cmd_input_range(args) -> int:
    """Adds (or refreshes) thresholds.input_range in an exported card, from the good images it was trained on."""
    from .calibrate import TRAINING_GOOD_IMAGES, fit_input_range, input_range_summary
    from .data import check_layout, content_hash, good_images, load_images
    from .export import write_card
    from .preprocess import card_preprocessing
    card = _read_card(args.card)
    try:
        c, thresholds = card["input"], card["thresholds"]
        channels, height, width = int(c["channels"]), int(c["height"]), int(c["width"])
        target = float(thresholds["target_false_alarm_rate"])
    except (KeyError, TypeError, ValueError) as e:
        raise ModelError(f"{args.card}: no {e} in input or thresholds, which the range needs (the channels, size "
                         "and target false-alarm rate): give a card model-export wrote") from None
    # The range is of the preprocessed values: another preprocessing than this tool's would give others.
    ours, given = card_preprocessing(channels), card.get("preprocessing") or {}
    differ = sorted(k for k in set(ours) | set(given) if k != "description" and given.get(k) != ours.get(k))
    if differ:
        raise ModelError(f"{args.card}: its preprocessing differs from this tool's in {', '.join(differ)}, so the "
                         "range would be of other values than the job's input: export the model again")
    check_layout(args.data)
    paths = good_images(args.data)
    digest, recorded = content_hash(paths, args.data), card.get("training", {}).get("data", {}).get("sha256")
    images_used = TRAINING_GOOD_IMAGES
    if digest != recorded:
        if not args.force:
            raise DatasetError(f"{args.data}: its good images (sha256 {digest[:12]}...) are not those the model was "
                               f"trained on (training.data.sha256 {str(recorded)[:12]}...): give the training data "
                               "(the same files), or --force to take these images' range anyway")
        images_used = (f"every good image of {args.data} (train/good, with validation/good where it has one; sha256 "
                       f"{digest}, not training.data.sha256: --force), preprocessed as the model reads them")
        print(f"warning: --force: {args.data} is not the training data (sha256 {digest[:12]}..., the card records "
              f"{str(recorded)[:12]}...); the range is these images'", file=sys.stderr)
    import torch
    torch.set_num_threads(args.threads)  # the decoding threads (data.in_parallel) follow torch's count
    thresholds["input_range"] = fit_input_range(load_images(paths, channels, height, width), target, images_used)
    write_card(card, args.card)  # the card's own key order; export's format
    print(f"{input_range_summary(thresholds['input_range'])} at target false-alarm rate {target:g}; wrote "
          f"thresholds.input_range into {args.card}")
    return 0


def _read_card(path: Path) -> dict:
    if not Path(path).is_file():
        raise FileNotFoundError(f"{path} does not exist (give the .card.json file model-export wrote)")
    try:
        card = json.loads(Path(path).read_text())
    except (ValueError, UnicodeDecodeError) as e:
        raise ModelError(f"{path} is not a model card ({e}): give the .card.json file model-export wrote") from None
    if not isinstance(card, dict):
        raise ModelError(f"{path} is not a model card (not a JSON object): give the .card.json file model-export "
                         "wrote")
    return card


def cmd_preprocess(args) -> int:
    import numpy as np
    from .preprocess import preprocess
    try:
        x = preprocess(args.image, args.channels, *args.size)
    except OSError as e:  # missing, not an image, truncated
        raise OptionError(f"--image {args.image}: {e.strerror or e}") from None
    except ValueError as e:  # an image the job would refuse too (CMYK, floating-point samples)
        raise OptionError(f"--image {args.image}: {e}") from None
    print(f"{args.image}: shape {list(x.shape)} min {x.min():.6f} max {x.max():.6f} mean {x.mean():.6f}")
    if args.out:
        try:
            np.ascontiguousarray(x[None], dtype="<f4").tofile(args.out)
        except OSError as e:
            raise OptionError(f"--out {args.out}: {e.strerror or e}") from None
        print(f"wrote raw little-endian float32 NCHW to {args.out}")
    return 0


class _DefaultsHelp(argparse.HelpFormatter):
    """Shows each option's default, unless its help already says it or there is none to show."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        shown = not (action.default is None or action.default is False or action.default is argparse.SUPPRESS)
        if action.option_strings and shown and "default" not in text:  # `is`: a default of 0 is still shown
            text += " (default: %(default)s)"
        return text


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python3 -m defect_cae",
                                description="Train, calibrate, evaluate and export a convolutional-autoencoder "
                                            "defect detector from an MVTec-AD-layout folder.", epilog=ENV_NOTE)
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser = functools.partial(sub.add_parser, formatter_class=_DefaultsHelp)

    r = sub.add_parser("run", help="train + calibrate + evaluate + export (ONNX, card, golden vectors, report)")
    _add_data(r, training=True)
    _add_model_training(r)
    _add_scoring(r)
    _add_common(r)
    r.add_argument("--out", required=True, type=Path, help="folder for cae.onnx, cae.card.json, golden/, report/")
    r.add_argument("--work-dir", type=Path, help="checkpoints and logs (default runs/<name>)")
    r.add_argument("--name", type=label, help="model name (default cae-<data folder name>)")
    r.add_argument("--version", type=label, help="model version (default <UTC date>.1)")
    r.add_argument("--sweep", type=int_list,
                   help="bottleneck sweep, e.g. 2,4,8,16: trains each, keeps the best on synthetic "
                                   "validation")
    r.add_argument("--head-grid", action="store_true",
                   help="choose --error/--smoothing-sigma/--no-per-image-norm among 12 variants on synthetic "
                        "validation instead of using them as given (on the synthetic factory's products it chose "
                        "worse heads than the default as often as better ones: model-export/README.md)")
    r.add_argument("--fixed-head", action="store_true", help=argparse.SUPPRESS)  # the default since 2026-12-07
    r.add_argument("--resume", "--reuse-checkpoints", dest="resume", action="store_true", help=RESUME_HELP)
    r.add_argument("--ablation", action="store_true",
                   help="also measure denoising training and both normalisations on/off (trains a second model)")
    r.set_defaults(func=cmd_run)

    t = sub.add_parser("train", help="train a CAE; writes best.pt / last.pt / history.json")
    _add_data(t, training=True)
    _add_model_training(t)
    _add_common(t)
    t.add_argument("--work-dir", type=Path, required=True, help="folder for the checkpoints and history")
    t.add_argument("--resume", action="store_true", help=RESUME_HELP)
    t.set_defaults(func=cmd_train)

    c = sub.add_parser("calibrate", help="fit the scoring head on held-out good images; writes detector.pt")
    c.add_argument("--checkpoint", type=Path, required=True, help="best.pt from `train`")
    c.add_argument("--out", type=Path, help="default: detector.pt beside the checkpoint")
    _add_data(c)
    _add_scoring(c)
    _add_common(c)
    c.set_defaults(func=cmd_calibrate)

    e = sub.add_parser("evaluate", help="metrics on test/* (+ Markdown report with plots)")
    which = e.add_mutually_exclusive_group(required=True)
    which.add_argument("--detector", type=Path, help="detector.pt from `calibrate`")
    which.add_argument("--model", type=Path, help="an exported .onnx (its card beside it): scores the file the job "
                                                   "loads, with onnxruntime if installed, else a numpy interpreter")
    e.add_argument("--data", type=Path, required=True,
                   help="one category with test/ or test_public/ (and ground_truth/)")
    e.add_argument("--report", type=Path, help="folder for report.md and its plots (with --model, also metrics.json)")
    e.add_argument("--fpr-limit", type=bounded(float, 0, 1, low_open=True, high_open=False), default=0.3, metavar="F",
                   help="false-positive rate up to which AUPRO is integrated (default 0.3, as MVTec AD's evaluation; "
                        "some benchmarks publish a smaller limit, e.g. 0.05)")
    _add_common(e)
    e.set_defaults(func=cmd_evaluate)

    x = sub.add_parser("export", help="ONNX + model card (+ golden vectors from --golden images)")
    x.add_argument("--detector", type=Path, required=True, help="detector.pt from `calibrate`")
    x.add_argument("--out", type=Path, required=True, help="folder for cae.onnx, cae.card.json, golden/")
    x.add_argument("--name", required=True, type=label, help="model name, recorded in the card and every alert")
    x.add_argument("--version", type=label, help="model version (default <UTC date>.1)")
    x.add_argument("--golden", nargs="*", help="image files to turn into golden vectors")
    x.set_defaults(func=cmd_export)

    ir = sub.add_parser("input-range", help="add or refresh the card's input range (the job's camera-health "
                                            "check) from the good images the model was trained on")
    ir.add_argument("--card", type=Path, required=True, help="the exported .card.json, rewritten in place")
    ir.add_argument("--data", type=Path, required=True,
                    help="the training data: one category whose train/good (and validation/good) the card's "
                         "training.data.sha256 describes")
    ir.add_argument("--force", action="store_true",
                    help="take the range of --data's good images even when they are not the training data's")
    ir.add_argument("--threads", type=bounded(int, 1), default=2, help="threads decoding and resizing the images")
    ir.set_defaults(func=cmd_input_range)

    pp = sub.add_parser("preprocess", help="apply the model-card preprocessing to one image")
    pp.add_argument("--image", type=Path, required=True, help="an image file (PNG, JPEG, BMP, TIFF)")
    pp.add_argument("--channels", type=int, default=1, choices=[1, 3], help="the model's input channels")
    pp.add_argument("--size", type=image_size, default="128", help="the model's input, N (square) or WxH")
    pp.add_argument("--out", type=Path, help="write raw little-endian float32 NCHW here")
    pp.set_defaults(func=cmd_preprocess)
    return p


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before torch starts its OpenMP pool
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (DatasetError, DeviceError, ModelError, OptionError, OSError) as e:
        # The user's input, not a bug: no traceback. OSError: a missing file, an --out that is a file, a folder
        # without write permission, a full disk.
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        from .pipeline import INCOMPLETE
        if args.command == "run" and (Path(args.out) / INCOMPLETE).exists():
            print(f"\ninterrupted after training, while writing {args.out}: it is incomplete (the {INCOMPLETE} file "
                  "in it says so); the same command with --resume reuses the training and writes it again",
                  file=sys.stderr)
        elif args.command in ("run", "train"):
            print("\ninterrupted: the checkpoints keep every finished epoch; the same command with --resume "
                  "continues from the last one", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
