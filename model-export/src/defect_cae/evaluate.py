"""Evaluation: runs the Detector module (CAE + scoring head) or its exported ONNX file and computes the metrics."""
from __future__ import annotations

import warnings
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import onnx
import torch

from .calibrate import out_of_input_range
from .data import TestSet
from .errors import ModelError
from .metrics import aupro, auroc, precision_recall_f1
from .model import Detector, exact_float32


@dataclass
class Predictions:
    error_maps: np.ndarray  # (N, H, W), multiples of the pixel threshold
    scores: np.ndarray  # (N,), multiples of the image threshold
    reconstructions: np.ndarray  # (N, C, H, W)
    # (N,) bool: the input lies outside the card's input range, which the job alerts on as a fault of the frame
    # whatever the score; None: no range to check (a card or detector from before it)
    out_of_range: np.ndarray | None = None

    def alerts(self, image_threshold: float = 1.0) -> np.ndarray:
        """What the job decides per image: score at the threshold, or the input out of range."""
        alert = self.scores >= image_threshold
        return alert if self.out_of_range is None else alert | self.out_of_range


@torch.no_grad()
@exact_float32()
def predict(detector: Detector, images: np.ndarray, device="cpu", batch_size: int = 32,
            keep_reconstructions: bool = True) -> Predictions:
    """The same forward pass as the ONNX graph: error_map, score, reconstruction."""
    detector.eval().to(device)
    maps, scores, recons = [], [], []
    for i in range(0, len(images), batch_size):
        x = torch.from_numpy(np.ascontiguousarray(images[i:i + batch_size])).to(device)
        e, s, r = detector(x)
        maps.append(e[:, 0].cpu().numpy())
        scores.append(s.cpu().numpy())
        if keep_reconstructions:
            recons.append(r.cpu().numpy())
    return Predictions(np.concatenate(maps), np.concatenate(scores),
                       np.concatenate(recons) if recons else np.zeros((0,)))


def onnx_runner(model: onnx.ModelProto):
    """A function images -> {output name: array} for an exported model: onnxruntime when it is installed (what
    the job runs), else the numpy reference interpreter (the same graph, float32, slower)."""
    try:
        import onnxruntime as ort
    except ImportError:
        from . import onnx_reference
        return lambda x: onnx_reference.run(model, {"image": x}), "numpy reference interpreter"
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    return (lambda x: dict(zip(names, session.run(None, {"image": x})))), f"onnxruntime {ort.__version__}"


def load_onnx(model_path: Path) -> onnx.ModelProto:
    try:
        with warnings.catch_warnings():  # protobuf warns before it fails on a file that is not ONNX
            warnings.simplefilter("ignore", RuntimeWarning)
            return onnx.load(str(model_path))
    except Exception as e:  # protobuf's DecodeError and friends: not an ONNX file at all
        raise ModelError(f"{model_path} is not an ONNX model ({type(e).__name__}: {e})") from None


def predict_onnx(model_path: Path, images: np.ndarray, batch_size: int = 16,
                 model: onnx.ModelProto | None = None) -> tuple[Predictions, str]:
    """Scores images with the exported file itself (the artefact the job loads), not the PyTorch module; `model`:
    that file, when the caller has loaded it already."""
    model = model or load_onnx(model_path)
    outputs = [o.name for o in model.graph.output]
    missing = {"error_map", "score"} - set(outputs)
    if missing:
        raise ModelError(f"{model_path} has no output {', '.join(sorted(missing))} (it has {', '.join(outputs)}): "
                         "evaluate --model needs a model exported by model-export (error map and score in the graph)")
    run, engine = onnx_runner(model)
    maps, scores, recons = [], [], []
    for i in range(0, len(images), batch_size):
        out = run(np.ascontiguousarray(images[i:i + batch_size], dtype=np.float32))
        maps.append(out["error_map"][:, 0])
        scores.append(out["score"])
        recons.append(out.get("reconstruction", np.zeros((len(out["score"]), 0))))
    return Predictions(np.concatenate(maps), np.concatenate(scores), np.concatenate(recons)), engine


def _r(x: float) -> float:
    return float(round(x, 5)) if np.isfinite(x) else float("nan")


def per_type_line(defect_type: str, m: dict) -> str:
    """One console line of a defect type's metrics; says how many of its images the input range flagged, since
    "detected" counts them while the AUROCs are the score's alone."""
    out = m.get("input_out_of_range", 0)
    nan = float("nan")
    return (f"{defect_type:>16}: image AUROC {m['image_auroc']:.4f}  pixel AUROC {m.get('pixel_auroc', nan):.4f}"
            f"  AUPRO {m.get('aupro', nan):.4f}  detected {m['detected_at_threshold']:.3f}"
            + (f" ({out} of them out of input range)" if out else ""))


def compute_metrics(test: TestSet, pred: Predictions, image_threshold: float = 1.0,
                    pixel_threshold: float = 1.0, fpr_limit: float = 0.3) -> dict:
    """Image AUROC, pixel AUROC, AUPRO (to `fpr_limit`), P/R/F1 at the thresholds; overall and per defect type."""
    labels = test.labels.astype(bool)
    good = ~labels
    with_mask = test.has_mask

    def pixel_block(sel: np.ndarray) -> dict:
        sel = sel & with_mask
        if not (sel & labels).any():
            return {}
        m, e = test.masks[sel], pred.error_maps[sel]
        # Defective images without a mask count in the image metrics but not here: say over how many.
        out = {"defective_images_with_mask": int((sel & labels).sum()), "pixel_auroc": _r(auroc(m, e))}
        out["aupro"] = _r(aupro(m, e, fpr_limit)) if m.any() else float("nan")
        prf = precision_recall_f1(m, e >= pixel_threshold)
        out["pixel_at_threshold"] = {k: _r(v) if isinstance(v, float) else v for k, v in prf.items()}
        return out

    overall = {"images": int(len(labels)), "good_images": int(good.sum()), "defective_images": int(labels.sum()),
               "image_auroc": _r(auroc(labels, pred.scores))}
    overall.update(pixel_block(np.ones_like(labels)))
    alerts = pred.alerts(image_threshold)
    if pred.out_of_range is not None:  # alerts whatever the score; AUROC stays the score's own
        overall["input_out_of_range"] = int(pred.out_of_range.sum())
        overall["input_out_of_range_good"] = int(pred.out_of_range[good].sum())
    prf = precision_recall_f1(labels, alerts)
    overall["image_at_threshold"] = {k: _r(v) if isinstance(v, float) else v for k, v in prf.items()}
    per_type = {}
    for t in sorted(set(test.types) - {"good"}):
        is_t = np.array([x == t for x in test.types])
        sel = good | is_t
        entry = {"images": int(is_t.sum()), "image_auroc": _r(auroc(labels[sel], pred.scores[sel])),
                 "detected_at_threshold": _r(float(np.mean(alerts[is_t])))}
        if pred.out_of_range is not None:
            entry["input_out_of_range"] = int(pred.out_of_range[is_t].sum())
        entry.update(pixel_block(sel))
        per_type[t] = entry
    return {"overall": overall, "per_type": per_type, "fpr_limit": fpr_limit,
            "good_false_alarm_rate": _r(float(np.mean(alerts[good]))) if good.any()
            else float("nan")}


def check_input_range(pred: Predictions, images: np.ndarray, input_range: dict | None) -> Predictions:
    """`pred` with the job's input-range check of `images` (the card's thresholds.input_range); unchanged when
    there is no range, so the metrics of a card without one say nothing about it."""
    if not input_range:
        return pred
    return replace(pred, out_of_range=out_of_input_range(images, input_range))


def evaluate(detector: Detector, test: TestSet, device="cpu", batch_size: int = 32,
             input_range: dict | None = None) -> tuple[dict, Predictions]:
    pred = check_input_range(predict(detector, test.images, device, batch_size), test.images, input_range)
    return compute_metrics(test, pred), pred
