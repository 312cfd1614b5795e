"""Calibration from held-out GOOD images only: error normalisation constants and thresholds.

Two disjoint sets of good images are used:
  * the statistics set fits the per-pixel mean/std of the smoothed error and the per-image spread floor;
  * the calibration set, never seen by those fits, sets the thresholds (fitting and thresholding on the same
    images would under-estimate the tails and raise the false-alarm rate).
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import torch

from .errors import DatasetError, ModelError
from .model import Detector, exact_float32, gaussian_blur

# The per-pixel std is floored at this fraction of its median so that a pixel that happened to vary little on
# the few statistics images does not turn noise into alarms.
STD_FLOOR_FRACTION = 0.25
# The smallest per-pixel std, for good images that do not vary at all (in the error's units: 1 - SSIM or squared).
MIN_STD = 1e-6
# A pixel whose values across good images stay within this fraction of the largest value is constant: masked
# out or clipped in every image, its spread is float rounding (a few ulps), not the faintest sensor noise.
CONSTANT_PIXEL_TOLERANCE = 1e-6
# The per-image robust spread is floored at this fraction of the median spread of good images.
MAD_FLOOR_FRACTION = 0.5

IMAGE_RULE = ("raw_image_score = max(Q, G) over the raw scores of the n calibration images (good, held out, not used "
              "for training or normalisation): Q = the ceil((n+1)(1-a))-th smallest score (split-conformal "
              "quantile; the largest score when n is too small), G = the (1-a) quantile of a Gumbel distribution "
              "fitted by moments; a = target_false_alarm_rate. The exported score is raw / raw_image_score.")
# The frame guard's bands are this many times the deviation the image rule allows on good images: wide, since it
# is there for faults of the whole frame (which land far out: `measures.py guard`), and good frames from a part of
# the surface or a light the calibration images did not show drift further than the images that set it; a set
# of 30-60 images pins a tail down only roughly.
GUARD_MARGIN = 4.0
GUARD_RULE = ("With per-image normalisation, frame guard: level = median(z), spread = log(1.4826 MAD(z) + 1e-12) "
              "of each map; centre = their median over the calibration images; band = GUARD_MARGIN x the image "
              "rule applied to |value - centre| over the same images. The exported score is the larger of "
              "raw / raw_image_score and max(|level - centre| / band, |spread - centre| / band).")
# The input range's bands are this many times the deviation the image rule allows on good images, as the frame
# guard's: it is there for faults of the camera (blown out, lens cap, fog), which land far out, and good frames under
# a light the training images did not show drift further than the images that set it.
INPUT_RANGE_MARGIN = 4.0
# Added to the standard deviation before the log: a flat frame has a finite spread, far below any good image's.
SPREAD_EPSILON = 1e-6
INPUT_RANGE_DEFINITION = ("level = mean of the preprocessed input (all channels and pixels, values in [0, 1]); "
                          "spread = ln(population standard deviation of the same values + 1e-6); a frame is out of "
                          "range when |level - level.centre| > level.band or |spread - spread.centre| > spread.band")
INPUT_RANGE_RULE = ("centre = the median over the good images; band = max(margin x T, 1e-6), T = the image rule "
                    "(the larger of the split-conformal quantile and the Gumbel fit) applied to |value - centre| over "
                    "the same images at target_false_alarm_rate. The images: {images}; the model plays no part, so "
                    "none is held out.")
TRAINING_GOOD_IMAGES = ("every good image of the training data (train/good, with validation/good where the dataset "
                        "has one; training.data.sha256), preprocessed as the model reads them")
PIXEL_RULE = ("raw_pixel = the same rule applied to each calibration image's k-th largest normalised error value, "
              "k = min_region_area: at most a fraction a of good images has min_region_area pixels above it. "
              "The exported error_map is the normalised map / raw_pixel.")


def default_min_region_area(height: int, width: int) -> int:
    """About 1/1024 of the image (a 4x4 blob at 128x128): smaller spots are mostly smoothed noise."""
    return max(4, int(round(height * width / 1024)))


def tail_threshold(values, alpha: float) -> tuple[float, dict]:
    v = np.sort(np.asarray(values, dtype=np.float64))
    n = v.size
    if n < 2:
        raise ValueError("need at least 2 calibration values")
    k = math.ceil((n + 1) * (1 - alpha))
    empirical = float(v[k - 1]) if k <= n else float(v[-1])
    mean, sd = float(v.mean()), float(v.std(ddof=1))
    beta = sd * math.sqrt(6) / math.pi
    gumbel = mean - 0.5772156649 * beta - beta * math.log(-math.log(1 - alpha))
    return max(empirical, gumbel), {"empirical_quantile": empirical, "gumbel_quantile": gumbel,
                                    "conformal_rank": k if k <= n else None, "n": n, "mean": mean, "std": sd,
                                    "max": float(v[-1])}


@torch.no_grad()
@exact_float32()
def run_stages(detector: Detector, images: np.ndarray, device: torch.device | str = "cpu",
               batch_size: int = 32, keys=("smooth", "z", "norm", "raw_score", "topk")) -> dict[str, np.ndarray]:
    detector.eval().to(device)
    out: dict[str, list] = {k: [] for k in keys}
    for i in range(0, len(images), batch_size):
        x = torch.from_numpy(np.ascontiguousarray(images[i:i + batch_size])).to(device)
        s = detector.head.stages(x, detector.cae(x))
        for k in keys:
            out[k].append(s[k].cpu().numpy())
    return {k: np.concatenate(v) for k, v in out.items()}


@dataclass
class Calibration:
    target_false_alarm_rate: float
    min_region_area: int
    normalisation_images: int
    calibration_images: int
    raw_image_score: float
    raw_pixel: float
    image_rule_details: dict
    pixel_rule_details: dict
    calibration_image_false_alarm_rate: float
    calibration_region_false_alarm_rate: float
    frame_guard: dict | None = None  # with per-image normalisation: centres, bands, margin and its rule details
    input_range: dict | None = None  # fit_input_range on the training data's good images; None: no check

    def card_thresholds(self) -> dict:
        return {"image_score": 1.0, "pixel": 1.0, "min_region_area": self.min_region_area,
                "region_connectivity": 8,
                "rule": IMAGE_RULE + " " + PIXEL_RULE,
                "target_false_alarm_rate": self.target_false_alarm_rate,
                "calibration_images": self.calibration_images,
                "normalisation_images": self.normalisation_images,
                "raw_image_score": self.raw_image_score, "raw_pixel": self.raw_pixel,
                "calibration_image_false_alarm_rate": self.calibration_image_false_alarm_rate,
                "calibration_region_false_alarm_rate": self.calibration_region_false_alarm_rate,
                "image_rule_details": self.image_rule_details, "pixel_rule_details": self.pixel_rule_details,
                **({"frame_guard": self.frame_guard} if self.frame_guard else {}),
                **({"input_range": self.input_range} if self.input_range else {})}

    def summary(self) -> str:
        """One line for the log: the thresholds and how well this many calibration images can pin them down."""
        a, n = self.target_false_alarm_rate, self.calibration_images
        d = self.image_rule_details
        g, r = self.frame_guard, self.input_range
        line = (f"thresholds from {n} held-out good images at target false-alarm rate {a:g}: raw image score "
                f"{self.raw_image_score:.4g}, raw pixel {self.raw_pixel:.4g}"
                + (f", frame guard: level centre {g['level']['centre']:.3g} band {g['level']['band']:.3g}, spread "
                   f"centre {g['spread']['centre']:.3g} band {g['spread']['band']:.3g}" if g else "")
                + (f", {input_range_summary(r)}" if r else "") + "; ")
        if d.get("conformal_rank"):
            return line + f"image rule at split-conformal rank {d['conformal_rank']} of {n}"
        needed = math.ceil(1 / a) - 1
        return line + (f"{n} images are too few to resolve {a:g} by rank (that needs {needed}), so the threshold is "
                       f"the larger of the largest score ({d['max']:.4g}) and a Gumbel fit "
                       f"({d['gumbel_quantile']:.4g}); more good images in train/good give a tighter threshold")

    def to_dict(self) -> dict:
        return asdict(self)


def fit_normalisation(detector: Detector, stats_images: np.ndarray, device="cpu") -> None:
    """Per-pixel mean/std of the smoothed error and the per-image spread floor, from good images."""
    head = detector.head
    head.pixel_threshold.fill_(1.0)
    head.image_threshold.fill_(1.0)
    head.pixel_mean.zero_()
    head.pixel_std.fill_(1.0)
    head.mad_floor.fill_(1e-12)
    if head.config.per_pixel_norm or head.config.per_image_norm:
        smooth = torch.from_numpy(run_stages(detector, stats_images, device, keys=("smooth",))["smooth"])
        constant = constant_pixels(smooth)
        if head.config.per_image_norm:
            check_per_image_norm(constant, "the error map")
    if head.config.per_pixel_norm:
        smooth = smooth.to(head.kernel.device)
        mean = smooth.mean(dim=0, keepdim=True)
        std = smooth.std(dim=0, keepdim=True, unbiased=True)
        # A second blur of the statistics: with tens of images, per-pixel estimates are noisy.
        mean = gaussian_blur(mean, head.kernel, head.blur_pad)
        std = gaussian_blur(std, head.kernel, head.blur_pad)
        std = torch.clamp(std, min=std_floor(std, constant))
        head.pixel_mean.copy_(mean)
        head.pixel_std.copy_(std)
    if head.config.per_image_norm:
        z = run_stages(detector, stats_images, device, keys=("z",))["z"].reshape(len(stats_images), -1)
        med = np.sort(z, axis=1)[:, (z.shape[1] - 1) // 2]
        mad = np.sort(np.abs(z - med[:, None]), axis=1)[:, (z.shape[1] - 1) // 2] * 1.4826
        head.mad_floor.fill_(float(np.median(mad)) * MAD_FLOOR_FRACTION)


def constant_pixels(maps: np.ndarray | torch.Tensor, chunk: int = 64) -> np.ndarray:
    """Which pixels of N maps (N x C x H x W, or N x H x W) do not vary across them: every channel's range within
    CONSTANT_PIXEL_TOLERANCE of the largest absolute value. Shape H x W; a chunk of maps at a time."""
    lo = hi = None
    for i in range(0, len(maps), chunk):
        x = maps[i:i + chunk]
        x = (x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)).astype(np.float64)
        x = x.reshape(len(x), -1, *x.shape[-2:])
        lo = x.min(axis=0) if lo is None else np.minimum(lo, x.min(axis=0))
        hi = x.max(axis=0) if hi is None else np.maximum(hi, x.max(axis=0))
    scale = max(float(np.abs(lo).max()), float(np.abs(hi).max()))
    return ((hi - lo) <= CONSTANT_PIXEL_TOLERANCE * scale).all(axis=0)


def check_per_image_norm(constant: np.ndarray, what: str) -> None:
    """Per-image normalisation takes each error map's median and spread over the whole frame: when more than half
    of it never varies, both come from that region and the scores divide by float rounding."""
    if (share := float(np.mean(constant))) >= 0.5:
        raise DatasetError(f"{share:.0%} of {what} does not vary across the good images (a region masked out or "
                           "clipped in every image): per-image normalisation would take each error map's median and "
                           "spread from that region, which makes scores meaningless; use --no-per-image-norm (the "
                           "per-pixel statistics handle constant regions)")


def std_floor(std: torch.Tensor, constant: np.ndarray | None = None) -> float:
    """STD_FLOOR_FRACTION x the median per-pixel std, over the pixels that vary across good images (`constant`:
    H x W, True where they do not). With the constant ones in the median, a frame more than half masked out or
    clipped would get a floor of float rounding, and the rounding of every good image would score as a defect."""
    s = std.detach().cpu().double().reshape(-1, *std.shape[-2:])
    varying = s[:, ~torch.from_numpy(np.asarray(constant, bool))] if constant is not None else s.flatten()
    # No pixel varies on any good image: any change is a defect.
    return max(float(varying.median()) * STD_FLOOR_FRACTION if varying.numel() else 0.0, MIN_STD)


def fit_thresholds(detector: Detector, calib_images: np.ndarray, target_false_alarm_rate: float,
                   min_region_area: int, normalisation_images: int, device="cpu") -> Calibration:
    head = detector.head
    head.pixel_threshold.fill_(1.0)
    head.image_threshold.fill_(1.0)
    guarded = head.config.per_image_norm
    s = run_stages(detector, calib_images, device,
                   keys=("norm", "raw_score") + (("level", "spread") if guarded else ()))
    scores = s["raw_score"]
    flat = s["norm"].reshape(len(calib_images), -1)
    kth = -np.partition(-flat, min_region_area - 1, axis=1)[:, min_region_area - 1]
    t_img, img_details = tail_threshold(scores, target_false_alarm_rate)
    t_pix, pix_details = tail_threshold(kth, target_false_alarm_rate)
    if not (t_img > 0 and t_pix > 0):
        # Dividing by a threshold <= 0 would reverse the order of the exported scores (or divide by zero).
        raise ModelError(f"calibration gave raw thresholds image {t_img:.6g}, pixel {t_pix:.6g}: both must be > 0. "
                         "The head's scores on good images are not positive; check the scoring options "
                         "(--error, --no-per-pixel-norm) and that the calibration images are good ones")
    head.image_threshold.fill_(t_img)
    head.pixel_threshold.fill_(t_pix)
    guard = fit_frame_guard(detector, s, target_false_alarm_rate) if guarded else None
    return Calibration(target_false_alarm_rate, min_region_area, normalisation_images, len(calib_images),
                       float(t_img), float(t_pix), img_details, pix_details,
                       # >= as the job compares: the image whose score sets the threshold alerts
                       float(np.mean(scores >= t_img)), float(np.mean(kth >= t_pix)), guard)


def fit_frame_guard(detector: Detector, s: dict[str, np.ndarray], target_false_alarm_rate: float) -> dict:
    """The guard's centres and bands (ScoringHead) from the calibration images' stages `s` (level, spread): not
    from the normalisation images, on which the z-map's spread comes out smaller than on any other good image."""
    head = detector.head
    out = {"margin": GUARD_MARGIN, "rule": GUARD_RULE}
    for name, centre, band in (("level", head.level_center, head.level_band),
                               ("spread", head.spread_center, head.spread_band)):
        centre.fill_(float(np.median(s[name])))
        t, details = tail_threshold(np.abs(s[name] - float(centre)), target_false_alarm_rate)
        band.fill_(max(GUARD_MARGIN * t, 1e-6))
        out[name] = {"centre": float(centre), "band": float(band), "rule_details": details}
    return out


def input_statistics(images: np.ndarray, chunk: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """Each image's level (mean) and spread (ln of the population std + SPREAD_EPSILON), in float64 from the
    float32 preprocessed arrays (N x C x H x W); a chunk at a time, so float64 copies stay small."""
    level, spread = [], []
    for i in range(0, len(images), chunk):
        x = np.asarray(images[i:i + chunk], dtype=np.float64).reshape(len(images[i:i + chunk]), -1)
        level.append(x.mean(axis=1))
        spread.append(np.log(x.std(axis=1) + SPREAD_EPSILON))
    empty = np.zeros(0, dtype=np.float64)
    return (np.concatenate(level) if level else empty), (np.concatenate(spread) if spread else empty)


def fit_input_range(images: np.ndarray | Sequence[np.ndarray], target_false_alarm_rate: float,
                    images_used: str = TRAINING_GOOD_IMAGES) -> dict:
    """The card's thresholds.input_range from good images (one array, or several: a dataset's train, validation
    and calibration parts, not copied into one); `images_used` says which, in the rule text."""
    sets = [images] if isinstance(images, np.ndarray) else list(images)
    stats = [input_statistics(s) for s in sets]
    values = {"level": np.concatenate([l for l, _ in stats]), "spread": np.concatenate([s for _, s in stats])}
    out = {"definition": INPUT_RANGE_DEFINITION, "margin": INPUT_RANGE_MARGIN,
           "rule": INPUT_RANGE_RULE.format(images=images_used), "images": int(values["level"].size)}
    for name, v in values.items():
        centre = float(np.median(v))
        t, details = tail_threshold(np.abs(v - centre), target_false_alarm_rate)
        out[name] = {"centre": centre, "band": max(INPUT_RANGE_MARGIN * t, 1e-6), "rule_details": details}
    return out


def out_of_input_range(images: np.ndarray, input_range: dict | None) -> np.ndarray:
    """Which images the job's input-range check flags (all False without a range: older cards carry none)."""
    if not input_range:
        return np.zeros(len(images), dtype=bool)
    level, spread = input_statistics(images)
    # Written as "not inside" so that NaN counts as out of range, as in the job (InputRange.contains).
    return ~((np.abs(level - input_range["level"]["centre"]) <= input_range["level"]["band"])
             & (np.abs(spread - input_range["spread"]["centre"]) <= input_range["spread"]["band"]))


def input_range_summary(r: dict) -> str:
    return (f"input range from {r['images']} good images: level centre {r['level']['centre']:.4g} band "
            f"{r['level']['band']:.3g}, spread centre {r['spread']['centre']:.4g} band {r['spread']['band']:.3g}")


def calibrate(detector: Detector, stats_images: np.ndarray, calib_images: np.ndarray,
              target_false_alarm_rate: float = 0.01, min_region_area: int | None = None,
              device="cpu", good_images: Sequence[np.ndarray] = ()) -> Calibration:
    """`good_images`: every good image of the training data (train, validation and calibration parts), for the
    input range; none given, the calibration has no input range."""
    h, w = stats_images.shape[2:]
    if min_region_area is None:
        min_region_area = default_min_region_area(h, w)
    fit_normalisation(detector, stats_images, device)
    cal = fit_thresholds(detector, calib_images, target_false_alarm_rate, min_region_area,
                         len(stats_images), device)
    if len(good_images):
        cal.input_range = fit_input_range(good_images, target_false_alarm_rate)
    return cal
