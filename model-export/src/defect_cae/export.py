"""ONNX export of the Detector (CAE + scoring head), the model card and the golden vectors."""
from __future__ import annotations

import copy
import datetime as _dt
import hashlib
import inspect
import json
import os
import platform
import shutil
import warnings
from pathlib import Path
from typing import Callable

import numpy as np
import onnx
import torch
from PIL import Image

from .model import GUARD_OFF, Detector
from .preprocess import card_preprocessing, decode_8bit, preprocess

OPSET = 17  # Debian's torch 1.13 exports up to 17; ONNX Runtime Java supports it.
INPUT_NAME = "image"
OUTPUT_NAMES = ("error_map", "score", "reconstruction")
SCHEMA_VERSION = 1


def export_kwargs() -> dict:
    kwargs = dict(opset_version=OPSET, input_names=[INPUT_NAME], output_names=list(OUTPUT_NAMES),
                  dynamic_axes={INPUT_NAME: {0: "N"}, "error_map": {0: "N"}, "score": {0: "N"},
                                "reconstruction": {0: "N"}},
                  do_constant_folding=True)
    # torch >= 2.5 has a `dynamo` switch (and newer versions default to it): ask for the TorchScript exporter so
    # that torch 1.13 and 2.x produce the same graph.
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        kwargs["dynamo"] = False
    return kwargs


def export_onnx(detector: Detector, path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    model = copy.deepcopy(detector).cpu().eval()
    cfg = model.cae.config
    dummy = torch.rand(2, cfg.channels, cfg.height, cfg.width)  # batch 2 so nothing specialises to N = 1
    # Exported and verified beside the target, then renamed over it: a failed export leaves the previous model
    # whole instead of a truncated file the job would refuse.
    tmp = path.with_name(path.name + ".tmp")
    try:
        with warnings.catch_warnings():
            # The TorchScript exporter's known noise, and only that (the graph is verified just below, and by the
            # golden vectors): a size read as a constant while tracing, the missing shape inference of constants,
            # and torch 1.13's deprecation of the g.op helper the scoring head's symbolic functions use. Anything
            # else a user's torch says stays visible (a tensor read as a Python bool: a branch baked into the graph).
            warnings.filterwarnings("ignore", message=r"(?s)Converting a tensor to a Python integer",
                                    category=torch.jit.TracerWarning)
            warnings.filterwarnings("ignore", message=r"(?s).*shape inference of prim::Constant")
            warnings.filterwarnings("ignore", message=r"(?s).*_graph_op' is deprecated", category=FutureWarning)
            torch.onnx.export(model, (dummy,), str(tmp), **export_kwargs())
        verify_onnx(tmp, cfg.channels, cfg.height, cfg.width)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def export_model(detector: Detector, out_dir: Path,
                 card_for: Callable[[Path], dict]) -> tuple[Path, Path, dict]:
    """Exports ``cae.onnx`` and writes its card ``cae.card.json`` (``card_for(onnx file)``, e.g. build_card) beside
    it. Both are staged first and replace a previous pair only once both are complete: a failure on the way
    (export, verification, building the card) leaves the deployed model and card as they were. Returns the two
    paths and the card."""
    out_dir = Path(out_dir)
    onnx_path, card_path = out_dir / "cae.onnx", out_dir / "cae.card.json"
    staged_onnx = onnx_path.with_name(onnx_path.name + ".new")
    staged_card = card_path.with_name(card_path.name + ".new")
    try:
        export_onnx(detector, staged_onnx)
        card = card_for(staged_onnx)
        card["onnx"]["file"] = onnx_path.name  # the name it is published under, not the staging one
        write_card(card, staged_card)
        os.replace(staged_onnx, onnx_path)
        os.replace(staged_card, card_path)
    finally:
        staged_onnx.unlink(missing_ok=True)
        staged_card.unlink(missing_ok=True)
    return onnx_path, card_path, card


def _dims(value_info) -> list:
    return [d.dim_value if d.HasField("dim_value") else -1 for d in value_info.type.tensor_type.shape.dim]


def verify_onnx(path: Path, channels: int, height: int, width: int) -> dict:
    """onnx.checker + shape inference; checks names, dtypes and shapes against the contract. Returns the shapes."""
    model = onnx.load(str(path))
    onnx.checker.check_model(model, full_check=True)
    inferred = onnx.shape_inference.infer_shapes(model, strict_mode=True)
    inputs = [i for i in inferred.graph.input if i.name not in {t.name for t in inferred.graph.initializer}]
    if [i.name for i in inputs] != [INPUT_NAME]:
        raise ValueError(f"graph inputs {[i.name for i in inputs]}, expected ['{INPUT_NAME}']")
    expected = {INPUT_NAME: [-1, channels, height, width], "error_map": [-1, 1, height, width], "score": [-1],
                "reconstruction": [-1, channels, height, width]}
    shapes = {INPUT_NAME: _dims(inputs[0])}
    if [o.name for o in inferred.graph.output] != list(OUTPUT_NAMES):
        raise ValueError(f"graph outputs {[o.name for o in inferred.graph.output]}, expected {list(OUTPUT_NAMES)}")
    for vi in list(inputs) + list(inferred.graph.output):
        if vi.type.tensor_type.elem_type != onnx.TensorProto.FLOAT:
            raise ValueError(f"{vi.name} is not float32")
        shapes[vi.name] = _dims(vi)
        if shapes[vi.name] != expected[vi.name]:
            raise ValueError(f"{vi.name} has shape {shapes[vi.name]}, expected {expected[vi.name]}")
    opset = next(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))
    if opset != OPSET:
        raise ValueError(f"opset {opset}, expected {OPSET}")
    return shapes


def sha256_file(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def library_versions() -> dict:
    import matplotlib
    import PIL
    return {"torch": torch.__version__, "onnx": onnx.__version__, "numpy": np.__version__,
            "pillow": PIL.__version__, "matplotlib": matplotlib.__version__, "python": platform.python_version()}


def score_section(detector: Detector) -> dict:
    sc = detector.head.config
    if sc.error == "ssim":
        first = ("err = mean over channels of 1 - SSIM(image, reconstruction) (Gaussian window sigma 1.5, "
                 "radius 5, reflect padding, C1 = 0.01^2, C2 = 0.03^2)")
    else:
        first = "err = mean over channels of (image - reconstruction)^2"
    steps = [first, f"smooth = Gaussian blur of err (sigma {sc.smoothing_sigma} px, reflect padding)"]
    if sc.per_pixel_norm:
        steps.append("z = (smooth - pixel_mean) / pixel_std, per-pixel constants from held-out good images")
    else:
        steps.append("z = smooth")
    if sc.per_image_norm:
        steps.append("norm = (z - median(z)) / max(1.4826 * MAD(z), mad_floor), per image (lower medians)")
    else:
        steps.append("norm = z")
    top = f"mean of the {sc.top_k} largest values of norm / thresholds.raw_image_score"
    guard = sc.per_image_norm and float(detector.head.level_band) < GUARD_OFF / 2
    steps += ["error_map = norm / thresholds.raw_pixel",
              f"score = max({top}, guard), guard = max(|median(z) - level.centre| / level.band, "
              "|log(1.4826 * MAD(z) + 1e-12) - spread.centre| / spread.band) with thresholds.frame_guard's values"
              if guard else f"score = {top}"]
    return {"source": "graph", "definition": "; ".join(steps),
            "units": "multiples of the calibrated threshold (1.0 = threshold) for both score and error_map",
            "error": sc.error, "smoothing_sigma": sc.smoothing_sigma, "per_pixel_norm": sc.per_pixel_norm,
            "per_image_norm": sc.per_image_norm, "frame_guard": guard, "top_k": sc.top_k,
            "mad_floor": float(detector.head.mad_floor)}


def build_card(detector: Detector, onnx_path: Path, name: str, version: str, thresholds: dict, metrics: dict,
               training: dict) -> dict:
    cfg = detector.cae.config
    c, h, w = cfg.channels, cfg.height, cfg.width
    return {
        "schema_version": SCHEMA_VERSION,
        "name": name,
        "version": version,
        "created_utc": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "onnx": {"file": Path(onnx_path).name, "sha256": sha256_file(onnx_path), "opset": OPSET,
                 "exporter": "torch.onnx.export (TorchScript)"},
        "input": {"name": INPUT_NAME, "channels": c, "height": h, "width": w, "dtype": "float32", "layout": "NCHW",
                  # Trained on squashed images (--squash): the job must accept frames of their shape.
                  **({"min_frame_aspect_tolerance": training["data"]["min_frame_aspect_tolerance"]}
                     if "min_frame_aspect_tolerance" in training.get("data", {}) else {})},
        "preprocessing": card_preprocessing(c),
        "outputs": {"error_map": {"name": "error_map", "shape": [-1, 1, h, w]},
                    "score": {"name": "score", "shape": [-1]},
                    "reconstruction": {"name": "reconstruction", "shape": [-1, c, h, w]}},
        "score": score_section(detector),
        "thresholds": thresholds,
        "metrics": metrics,
        "model": {"architecture": "convolutional autoencoder + scoring head", "config": cfg.to_dict(),
                  "parameters": int(sum(p.numel() for p in detector.cae.parameters()))},
        "training": training,
        "libraries": library_versions(),
    }


def json_safe(obj):
    """Plain JSON for the Java side: numpy scalars to Python numbers, NaN/inf (undefined metrics) to null."""
    if isinstance(obj, dict):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    if isinstance(obj, (np.floating, float)):
        return float(obj) if np.isfinite(obj) else None
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj


def write_card(card: dict, path: Path) -> Path:
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")  # renamed over the card only once complete, as the model
    tmp.write_text(json.dumps(json_safe(card), indent=2, allow_nan=False) + "\n")
    os.replace(tmp, path)
    return Path(path)


def _f32(path: Path, array: np.ndarray) -> None:
    np.ascontiguousarray(array, dtype="<f4").tofile(path)


# error_map and score are in multiples of the calibrated thresholds. With the SSIM error and the per-pixel
# z-score, float32 rounding in the reconstruction (~1e-7, differing between PyTorch, ONNX Runtime and our numpy
# interpreter by summation order) is amplified: 1 - SSIM divides by local variances, the z-score by the small
# spread of good images, the per-image normalisation by the map's own spread. How much depends on the model, so
# these are floors: write_golden measures each model's float32 rounding on the golden images (float32 against
# float64 evaluation of the same module) and widens error_map and score to FLOAT32_MARGIN times that. A
# thousandth of the threshold is irrelevant for decisions, while 20 input pixels one level off already move the
# default model's map by 1e-2 (and the preprocessed check, 1e-6, catches any preprocessing mistake directly).
GOLDEN_TOLERANCES = {
    "comparison": "|actual - expected| <= abs + rel * |expected|, per value",
    "preprocessed": {"abs": 1e-6, "rel": 0.0},
    "reconstruction": {"abs": 1e-5, "rel": 0.0},
    "error_map": {"abs": 1e-3, "rel": 1e-4},
    "score": {"abs": 5e-4, "rel": 1e-4},
}
# Two float32 implementations each differ from the exact value by about the measured rounding, so from each
# other by up to twice that; the rest is margin for other summation orders (ONNX Runtime kernels, GPUs).
FLOAT32_MARGIN = 8.0


def golden_tolerances(float32_rounding: dict) -> dict:
    """GOLDEN_TOLERANCES with error_map and score widened to FLOAT32_MARGIN x the measured float32 rounding."""
    tol = copy.deepcopy(GOLDEN_TOLERANCES)
    for output in ("error_map", "score"):
        tol[output]["abs"] = max(tol[output]["abs"], FLOAT32_MARGIN * float32_rounding[output])
    return tol


# The job reads golden images as frames: they must pass its default frame limits (frame-max-bytes 16 MiB,
# 16384 pixels a side: frame-format's FrameLimits). Sources are scaled down to GOLDEN_MAX_SIDE first, which keeps
# every variant a few MB (an MVTec AD 2 image, 2448x2048, gave a 24 MB PNG otherwise).
GOLDEN_MAX_BYTES = 16 * 1024 * 1024
GOLDEN_MAX_PIXELS_PER_SIDE = 16384
GOLDEN_MAX_SIDE = 1024


@torch.no_grad()
def write_golden(detector: Detector, out_dir: Path, images: list[tuple[str, Image.Image, str]]) -> dict:
    """Save each (file name, PIL image, description) as an image file, then record what PyTorch computes FROM
    THE FILE: the preprocessed input, error map, score and reconstruction (raw little-endian float32)."""
    out_dir = Path(out_dir)
    if out_dir.is_dir():  # an earlier export's files would sit beside these, unlisted in golden.json
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    model = copy.deepcopy(detector).cpu().eval()
    exact = copy.deepcopy(model).double()  # reference for how much float32 rounding moves this model's outputs
    cfg = model.cae.config
    entries = []
    rounding = {"error_map": 0.0, "score": 0.0}
    for file_name, image, description in images:
        path = out_dir / file_name
        image.save(path)
        with Image.open(path) as im:
            mode, size = im.mode, im.size
        if path.stat().st_size > GOLDEN_MAX_BYTES or max(size) > GOLDEN_MAX_PIXELS_PER_SIDE:
            raise ValueError(f"golden image {file_name} is {size[0]}x{size[1]}, {path.stat().st_size} bytes: the "
                             f"job would reject it as a frame (default frame-max-bytes {GOLDEN_MAX_BYTES}, at most "
                             f"{GOLDEN_MAX_PIXELS_PER_SIDE} pixels a side); build golden images from smaller ones")
        x = preprocess(path, cfg.channels, cfg.height, cfg.width)
        e, s, r = model(torch.from_numpy(x[None]))
        e64, s64, _ = exact(torch.from_numpy(x[None]).double())
        rounding["error_map"] = max(rounding["error_map"], float((e.double() - e64).abs().max()))
        rounding["score"] = max(rounding["score"], float((s.double() - s64).abs().max()))
        stem = Path(file_name).stem
        _f32(out_dir / f"{stem}.preprocessed.f32", x[None])
        _f32(out_dir / f"{stem}.error_map.f32", e[0, 0].numpy())
        _f32(out_dir / f"{stem}.reconstruction.f32", r[0].numpy())
        entries.append({"file": file_name, "description": description, "decoded_mode": mode,
                        "width": size[0], "height": size[1],
                        "score": float(s[0]),
                        "error_map_max": float(e.max()),
                        "preprocessed_file": f"{stem}.preprocessed.f32",
                        "preprocessed_shape": [1, cfg.channels, cfg.height, cfg.width],
                        "error_map_file": f"{stem}.error_map.f32",
                        "error_map_shape": [cfg.height, cfg.width],
                        "reconstruction_file": f"{stem}.reconstruction.f32",
                        "reconstruction_shape": [1, cfg.channels, cfg.height, cfg.width]})
    golden = {"model": "../cae.onnx", "card": "../cae.card.json", "input_name": INPUT_NAME,
              "format": "raw little-endian float32, row-major (C order)",
              "tolerances": golden_tolerances(rounding), "float32_rounding": rounding, "images": entries}
    (out_dir / "golden.json").write_text(json.dumps(golden, indent=2) + "\n")
    return golden


def golden_images_from(samples: list[tuple[str, Path]], channels: int,
                       max_side: int = GOLDEN_MAX_SIDE) -> list[tuple[str, Image.Image, str]]:
    """Builds golden test images that exercise every decoding path of the contract from a few real images.

    samples: (label, path) pairs, e.g. [("defect", test/crack/000.png), ("good", test/good/000.png)].
    max_side: a larger sample is first scaled down to this longer side (keeping its aspect), so that its variants
    (the largest 1.37x wider and 1.21x taller) stay within the job's default frame limits.
    """
    out = []
    rng = np.random.default_rng(7)
    used = set()
    for i, (label, path) in enumerate(samples):
        label = label if label not in used else f"{label}{i + 1}"  # two good images: good, good2
        used.add(label)
        a = fit_within(decode_8bit(path), max_side)
        gray = a if a.ndim == 2 else to_gray(a)
        rgb = a if a.ndim == 3 else tint(gray)
        if i == 0:
            out.append((f"gray_{label}.png", Image.fromarray(gray), f"8-bit gray {label} image"))
            out.append((f"rgb_{label}.png", Image.fromarray(rgb),
                        f"8-bit RGB {label} image (R, G, B differ: exercises the colour rule)"))
            big = Image.fromarray(rgb).resize((int(rgb.shape[1] * 1.37) + 3, int(rgb.shape[0] * 1.21) + 1),
                                                    Image.BICUBIC)
            out.append((f"large_nonsquare_{label}.png", big,
                        f"RGB {label} image, larger and non-square: non-integer area-resize windows"))
        if i > 0 or len(samples) == 1:  # one sample alone still covers every decoding path
            if i > 0:
                out.append((f"gray_{label}.png", Image.fromarray(gray), f"8-bit gray {label} image"))
            # uint16 gives PIL's "I;16", saved as 16-bit PNG (Pillow 13 no longer writes mode "I" as PNG).
            g16 = gray.astype(np.uint16) * 256 + rng.integers(0, 256, gray.shape).astype(np.uint16)
            out.append((f"gray16_{label}.png", Image.fromarray(g16),
                        f"16-bit gray {label} image with random low bytes: only the high byte counts"))
            rgba = np.dstack([rgb, rng.integers(0, 256, gray.shape, dtype=np.uint8)])
            out.append((f"rgba_{label}.png", Image.fromarray(rgba),
                        f"RGBA {label} image with random alpha: alpha is dropped, not composited"))
            pal = Image.fromarray(rgb).quantize(colors=256, method=Image.MEDIANCUT)
            out.append((f"palette_{label}.png", pal, f"palette {label} image: palette expanded to RGB"))
    return out


def fit_within(a: np.ndarray, max_side: int) -> np.ndarray:
    """uint8 samples scaled down (area average) so that the longer side is at most max_side."""
    h, w = a.shape[:2]
    if max(h, w) <= max_side:
        return a
    k = max_side / max(h, w)
    size = (max(1, round(w * k)), max(1, round(h * k)))
    return np.asarray(Image.fromarray(a).resize(size, Image.BOX))


def to_gray(rgb: np.ndarray) -> np.ndarray:
    r = rgb.astype(np.int64)
    return ((299 * r[..., 0] + 587 * r[..., 1] + 114 * r[..., 2] + 500) // 1000).astype(np.uint8)


def tint(gray: np.ndarray) -> np.ndarray:
    """A colour image whose BT.601 gray is close to `gray` but whose channels differ."""
    g = gray.astype(np.int64)
    return np.clip(np.dstack([g + 12, g - 6, g - 4]), 0, 255).astype(np.uint8)
