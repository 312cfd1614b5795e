"""Detection metrics in plain numpy: AUROC, ROC curve, PRO/AUPRO (MVTec AD), precision/recall/F1."""
from __future__ import annotations

from collections import deque

import numpy as np

from .errors import ModelError


def _average_ranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks with ties sharing their average rank."""
    order = np.argsort(values, kind="mergesort")
    sorted_v = values[order]
    ranks = np.empty(len(values), dtype=np.float64)
    boundaries = np.flatnonzero(np.diff(sorted_v)) + 1
    starts = np.concatenate(([0], boundaries))
    ends = np.concatenate((boundaries, [len(values)]))
    avg = (starts + ends + 1) / 2.0  # mean of ranks start+1 .. end
    ranks[order] = np.repeat(avg, ends - starts)
    return ranks


def _finite(values, what: str) -> np.ndarray:
    """`values` as float64, refused when any is NaN or infinite: sorting cannot rank those consistently (an
    infinite tie would split by input order), so a figure computed from them would be wrong without a sign."""
    values = np.asarray(values, dtype=np.float64)
    if not np.isfinite(values).all():
        bad = int((~np.isfinite(values)).sum())
        raise ModelError(f"{bad} of {values.size} {what} are NaN or infinite: the model's outputs are broken "
                         "(check the checkpoint and the input images)")
    return values


def auroc(labels, scores) -> float:
    """Area under the ROC curve (Mann-Whitney U; ties count one half). NaN if only one class is present."""
    labels = np.asarray(labels).astype(bool).ravel()
    scores = _finite(scores, "scores").ravel()
    n_pos = int(labels.sum())
    n_neg = labels.size - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = _average_ranks(scores)
    return float((ranks[labels].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def roc_curve(labels, scores) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(fpr, tpr, thresholds); a sample is positive when score >= threshold. Starts at (0, 0)."""
    labels = np.asarray(labels).astype(bool).ravel()
    scores = _finite(scores, "scores").ravel()
    order = np.argsort(-scores, kind="mergesort")
    s, y = scores[order], labels[order]
    last_of_group = np.r_[np.flatnonzero(np.diff(s)), s.size - 1]
    tps = np.cumsum(y)[last_of_group]
    fps = np.cumsum(~y)[last_of_group]
    tpr = np.r_[0.0, tps / max(1, y.sum())]
    fpr = np.r_[0.0, fps / max(1, (~y).sum())]
    return fpr, tpr, np.r_[np.inf, s[last_of_group]]


def label_components(mask: np.ndarray) -> tuple[np.ndarray, int]:
    """8-connected components of a 2-D bool mask: (labels with 0 = background, count)."""
    mask = np.asarray(mask, dtype=bool)
    labels = np.zeros(mask.shape, dtype=np.int32)
    h, w = mask.shape
    count = 0
    for y0, x0 in zip(*np.nonzero(mask)):
        if labels[y0, x0]:
            continue
        count += 1
        labels[y0, x0] = count
        queue = deque([(y0, x0)])
        while queue:
            y, x = queue.popleft()
            for dy in (-1, 0, 1):
                for dx in (-1, 0, 1):
                    ny, nx = y + dy, x + dx
                    if 0 <= ny < h and 0 <= nx < w and mask[ny, nx] and not labels[ny, nx]:
                        labels[ny, nx] = count
                        queue.append((ny, nx))
    return labels, count


def pro_curve(masks: np.ndarray, maps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-region overlap vs false-positive rate over all thresholds (Bergmann et al., MVTec AD).

    PRO(t) = mean over ground-truth components (8-connected, across all images) of the fraction of the component
    with map >= t; FPR(t) = fraction of all non-defect pixels with map >= t. Returns (fpr, pro), starting at (0, 0).
    """
    masks = np.asarray(masks, dtype=bool)
    maps = _finite(maps, "error-map values")
    weights = np.zeros(masks.shape, dtype=np.float64)
    total = 0
    comps = []
    for i in range(masks.shape[0]):
        lab, n = label_components(masks[i])
        comps.append((lab, n))
        total += n
    if total == 0:
        raise ValueError("no defect regions: PRO undefined")
    for i, (lab, n) in enumerate(comps):
        if n:
            areas = np.bincount(lab.ravel(), minlength=n + 1).astype(np.float64)
            w = np.where(lab > 0, 1.0 / (areas[lab] * total), 0.0)
            weights[i] = w
    neg = ~masks
    n_neg = neg.sum()
    s = maps.ravel()
    order = np.argsort(-s, kind="mergesort")
    s = s[order]
    pro_inc = weights.ravel()[order]
    fpr_inc = neg.ravel()[order] / max(1, n_neg)
    last_of_group = np.r_[np.flatnonzero(np.diff(s)), s.size - 1]
    pro = np.cumsum(pro_inc)[last_of_group]
    fpr = np.cumsum(fpr_inc)[last_of_group]
    return np.r_[0.0, fpr], np.r_[0.0, np.minimum(pro, 1.0)]


def area_under(x: np.ndarray, y: np.ndarray, x_max: float) -> float:
    """Trapezoid area under y(x) for x in [0, x_max], interpolating y at x_max; x must be non-decreasing."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    keep = x <= x_max
    xs, ys = x[keep], y[keep]
    if xs[-1] < x_max and keep.sum() < x.size:
        j = keep.sum()  # first point beyond x_max
        x0, x1, y0, y1 = x[j - 1], x[j], y[j - 1], y[j]
        y_at = y0 + (y1 - y0) * (x_max - x0) / (x1 - x0) if x1 > x0 else y1
        xs, ys = np.r_[xs, x_max], np.r_[ys, y_at]
    return float(np.sum((xs[1:] - xs[:-1]) * (ys[1:] + ys[:-1]) / 2.0))


def aupro(masks: np.ndarray, maps: np.ndarray, fpr_limit: float = 0.3) -> float:
    """Area under the PRO curve up to `fpr_limit`, normalised by `fpr_limit` (1.0 is perfect); NaN when no pixel
    is defect-free, since the false-positive rate is then undefined."""
    if np.asarray(masks, dtype=bool).all():
        return float("nan")
    fpr, pro = pro_curve(masks, maps)
    return area_under(fpr, pro, fpr_limit) / fpr_limit


def precision_recall_f1(labels, predicted) -> dict:
    labels = np.asarray(labels).astype(bool).ravel()
    predicted = np.asarray(predicted).astype(bool).ravel()
    tp = int((labels & predicted).sum())
    fp = int((~labels & predicted).sum())
    fn = int((labels & ~predicted).sum())
    tn = int((~labels & ~predicted).sum())
    precision = tp / (tp + fp) if tp + fp else float("nan")
    recall = tp / (tp + fn) if tp + fn else float("nan")
    # Without any defective sample recall, and so F1, is undefined (not 0: nothing was missed).
    f1 = float("nan") if not tp + fn else 2 * precision * recall / (precision + recall) if tp else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "tp": tp, "fp": fp, "fn": fn, "tn": tn,
            "false_alarm_rate": fp / (fp + tn) if fp + tn else float("nan")}
