"""MVTec-layout datasets, splits and training transforms.

One category of MVTec AD, MVTec AD 2 or MVTec LOCO AD, told apart by its folders:
    ROOT/train/good/*.png               defect-free images (the only folder required)
    ROOT/validation/good/*.png          more defect-free images (AD 2, LOCO): pooled with train/good
    ROOT/test/good/*.png                defect-free test images (AD 2: ROOT/test_public/good)
    ROOT/test/<defect_type>/*.png       defective test images (AD 2: ROOT/test_public/bad)
    ROOT/ground_truth/<defect_type>/<stem>_mask.png   (or <stem>.png) pixel masks, non-zero = defect
        AD 2: ROOT/test_public/ground_truth/bad/<stem>_mask.png
        LOCO: ROOT/ground_truth/<defect_type>/<stem>/000.png, 001.png, ... one file per defect, united
AD 2's test_private*/ folders have no labels and are not read.
"""
from __future__ import annotations

import hashlib
import math
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from torch.utils.data import Dataset, RandomSampler, Sampler

from .defects import DefectInjector, DefectSettings
from .errors import DatasetError
from .preprocess import preprocess, preprocess_mask

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff"}


def visible(p: Path) -> bool:
    """Not a hidden entry: macOS's ._* AppleDouble files and .ipynb_checkpoints/ hold no dataset images."""
    return not p.name.startswith(".")


def list_images(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    # Sorted by name with case, as on Linux, on every OS (Windows paths compare without case): the order seeds
    # the good split, so the same folder must give the same split everywhere.
    return sorted((p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and visible(p) and p.is_file()),
                  key=lambda p: p.name)


GOOD_FOLDERS = ("train/good", "validation/good")


def good_images(root: Path) -> list[Path]:
    """Every defect-free image the tool may train, validate or calibrate on: train/good, and validation/good
    where the dataset ships one (AD 2, LOCO). Pooled, so the seeded split holds out as many images for the
    per-pixel statistics and the thresholds as the fractions ask for; none of them is a test image."""
    return [p for folder in GOOD_FOLDERS for p in list_images(Path(root) / folder)]


def test_folder(root: Path) -> Path | None:
    """ROOT/test (MVTec AD, LOCO), else ROOT/test_public (MVTec AD 2: the part with labels), else None."""
    for name in ("test", "test_public"):
        if (Path(root) / name).is_dir():
            return Path(root) / name
    return None


def ground_truth_folder(test_dir: Path) -> Path:
    """AD 2 keeps its masks inside the test folder, AD and LOCO beside it."""
    inside = test_dir / "ground_truth"
    return inside if inside.is_dir() else test_dir.parent / "ground_truth"


MASK_NAMES = "<stem>_mask.png, <stem>.png, <stem>_mask.<image suffix or another image format> or a folder <stem>/ " \
             "(any letter case)"


def find_mask(entries: dict[str, Path], image: Path) -> list[Path]:
    """The mask files of a defective image (MASK_NAMES) among its defect type's ground-truth `entries`
    (`mask_entries`): one file, or LOCO's folder of one file per defect; [] if none. Names are matched ignoring
    case: masks saved as 000_mask.PNG belong to 000.png."""
    others = sorted(IMAGE_SUFFIXES - {".png", image.suffix.lower()})  # e.g. 000_mask.jpg beside 000.png
    for name in (f"{image.stem}_mask.png", f"{image.stem}.png", f"{image.stem}_mask{image.suffix}",
                 *(f"{image.stem}_mask{suffix}" for suffix in others)):
        found = entries.get(name.lower())
        if found is not None and found.is_file():
            return [found]
    folder = entries.get(image.stem.lower())
    return list_images(folder) if folder is not None else []


def mask_entries(folder: Path) -> dict[str, Path]:
    """A ground-truth folder's visible entries by lower-case name, listed once for all its images. Of names that
    differ only in case, the first in sorted order counts, as in the Java replay (ImageFolder)."""
    entries: dict[str, Path] = {}
    for p in sorted(folder.iterdir(), key=lambda p: p.name) if folder.is_dir() else ():
        if visible(p):
            entries.setdefault(p.name.lower(), p)
    return entries


def read_mask(files: list[Path], height: int, width: int, image_size: tuple[int, int] | None = None,
              image_orientation: int = 1) -> np.ndarray:
    """Union of the mask files (non-zero = defect), at model resolution. With the image's (width, height), a mask
    of another shape is refused: resizing it to the model would move its defect. A scaled copy of the image's shape
    is accepted; LOCO parts of different sizes are each brought to the image's size first (as the job's replay
    does), marking an image pixel wherever a mask pixel it overlaps is marked."""
    from .preprocess import mask_pixels
    parts = [(f, _readable(f, lambda f=f: mask_pixels(f))) for f in files]
    if image_size is not None:
        iw, ih = image_size
        for f, m in parts:
            mh, mw = m.shape
            if abs(mw * ih - mh * iw) > max(iw, ih):  # another width/height ratio, beyond one pixel of rounding
                turned = (" (as stored; viewers show it turned by its EXIF orientation, which this tool and the "
                          "job ignore: draw masks on the stored pixels)") if image_orientation != 1 else ""
                raise DatasetError(f"{f} is {mw}x{mh} but its image is {iw}x{ih}{turned}: a mask must have its "
                                   "image's shape (the same size, or a scaled copy)")
        if len({m.shape for _, m in parts}) > 1:
            parts = [(f, scale_marked(m, ih, iw)) for f, m in parts]
    union = None
    for f, m in parts:
        if union is not None and m.shape != union.shape:
            raise DatasetError(f"{f} is {m.shape[1]}x{m.shape[0]} but {files[0]} is {union.shape[1]}x"
                               f"{union.shape[0]}: the mask files of one image must have its size")
        union = m if union is None else union | m
    return preprocess_mask(union.astype(np.uint8) * 255, height, width)


def scale_marked(mask: np.ndarray, height: int, width: int) -> np.ndarray:
    """bool mask -> bool (height, width): a pixel is marked when any source pixel it overlaps is, so a thin defect
    survives a reduction (the job's replay, ImageFolder.atImageSize, scales the same way)."""
    def overlap(n_out: int, n_in: int) -> tuple[np.ndarray, np.ndarray]:
        i = np.arange(n_out, dtype=np.int64)
        lo = i * n_in // n_out
        return lo, np.maximum(lo + 1, ((i + 1) * n_in + n_out - 1) // n_out)

    def any_in(a: np.ndarray, n_out: int, axis: int) -> np.ndarray:
        lo, hi = overlap(n_out, a.shape[axis])
        counts = np.concatenate([np.zeros_like(np.take(a, [0], axis=axis), dtype=np.int64),
                                 np.cumsum(a, axis=axis, dtype=np.int64)], axis=axis)
        return (np.take(counts, hi, axis=axis) - np.take(counts, lo, axis=axis)) > 0

    return any_in(any_in(mask.astype(bool), height, 0), width, 1)


LAYOUT_HINT = ("expected one category in the MVTec AD layout: ROOT/train/good/*.png (defect-free images), "
               "optionally ROOT/validation/good/, ROOT/test/<type>/*.png and ROOT/ground_truth/<type>/"
               "<stem>_mask.png (MVTec AD 2's test_public/ and LOCO's mask folders are read too)")


def check_layout(root: Path) -> None:
    """Fails with a message that names the fix when `root` is not one category of an MVTec-layout dataset."""
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"{root} is not a folder; {LAYOUT_HINT}")
    if (root / "train" / "good").is_dir():
        return
    # The usual slip: the dataset's top folder (mvtec_anomaly_detection/) instead of one category in it.
    categories = sorted(d.name for d in root.iterdir() if (d / "train" / "good").is_dir())
    if categories:
        shown = ", ".join(categories[:8]) + (f" and {len(categories) - 8} more" if len(categories) > 8 else "")
        raise DatasetError(f"{root} is a dataset folder that holds categories ({shown}), not one category: "
                           f"pass one, e.g. --data {root / categories[0]} (one model per category)")
    raise DatasetError(f"{root} has no train/good/ folder; {LAYOUT_HINT}")


JOB_ASPECT_TOLERANCE = 0.25  # the job's frame-aspect-tolerance default (docs/configuration.md)


def header_size(p: Path) -> tuple[int, int]:
    """(width, height) from the file's header, without decoding the pixels."""
    return header_info(p)[0]


EXIF_ORIENTATION = 0x0112


def header_info(p: Path) -> tuple[tuple[int, int], int]:
    """(width, height) and the EXIF orientation (1 = as stored, also when absent), without decoding the pixels."""
    from PIL import Image
    with Image.open(p) as im:
        return im.size, int(im.getexif().get(EXIF_ORIENTATION, 1) or 1)


def check_aspect(root: Path, height: int, width: int, multiple: int = 16,
                 tolerance: float = JOB_ASPECT_TOLERANCE, max_side: int = 4096) -> None:
    """Stops before training a model whose input shape the camera's frames do not have: the preprocessing would
    squash them here, and the job, by default, refuses to (WRONG_SHAPE), so the model would reject every frame.
    Reads only the image headers of train/good; says which --size keeps the shape, or that none can."""
    shapes = good_image_sizes(root)
    counts = Counter(shapes.values())
    example = {}
    for p, size in shapes.items():
        example.setdefault(size, p.name)
    sizes = set(counts)
    model = width / height

    def off(size, ratio=model):  # >= 1: how far the image's ratio is from `ratio`, either way
        r = size[0] / size[1] / ratio
        return max(r, 1 / r)
    if not sizes or off(worst := max(sizes, key=off)) <= 1 + tolerance:
        return
    fit = _fitting_size(sizes, min(height, width), multiple, tolerance, max_side)
    if fit is None and _fitting_size(sizes, min(height, width), multiple, tolerance) is not None:
        iw, ih = worst
        raise DatasetError(f"{root} has {iw}x{ih} defect-free images (width/height {iw / ih:.3g}): no model input "
                           f"of at most {max_side} pixels a side (multiples of {multiple}) has a shape the job would "
                           f"accept such frames for. Cut the images into tiles of a moderate shape (and send the "
                           f"cameras' frames as such tiles), or pass --squash to train on squashed images (then run "
                           f"the job with frame-aspect-tolerance {off(worst) - 1:.2f} or more)")
    if fit is None:  # no one model shape suits the narrowest and the widest within the tolerance
        narrow, wide = min(sizes, key=lambda s: s[0] / s[1]), max(sizes, key=lambda s: s[0] / s[1])
        shown = ", ".join(f"{counts[s]} of {s[0]}x{s[1]} such as {example[s]}" for s in (narrow, wide))
        raise DatasetError(f"{root}'s defect-free images have shapes too different for one model ({shown}, "
                           f"among {len(sizes)} sizes): a model takes one frame shape, and the job would reject "
                           f"the others as WRONG_SHAPE. Train one model per camera shape (one folder each), remove "
                           f"stray images, or pass --squash to train on squashed images")
    iw, ih = worst
    sw, sh = fit
    keep = "keep their shape" if len(sizes) == 1 else "suit all of them"
    exact = _exact_size(iw, ih, min(height, width), multiple) if len(sizes) == 1 and sw * ih != sh * iw else None
    exact = exact if exact and max(exact) <= max_side else None
    also = f" ({exact[0]}x{exact[1]} has their ratio exactly)" if exact else ""
    raise DatasetError(f"{root} has {iw}x{ih} defect-free images (width/height {iw / ih:.2f}) but the model input "
                       f"is {width}x{height} ({model:.2f}): the job would reject such frames as WRONG_SHAPE (its "
                       f"frame-aspect-tolerance is {tolerance:g}). Pass --size {sw}x{sh} to {keep}{also}, or "
                       f"--squash to train on squashed images (then run the job with frame-aspect-tolerance "
                       f"{off(worst) - 1:.2f} or more)")


def good_image_sizes(root: Path) -> dict[Path, tuple[int, int]]:
    """(width, height) of every good image, from the file headers only."""
    return {p: _readable(p, lambda p=p: header_size(p)) for p in good_images(root)}


def aspect_tolerance_needed(root: Path, height: int, width: int) -> float:
    """The smallest frame-aspect-tolerance at which the job accepts frames shaped like every good image (0 when
    all have the model's aspect ratio), rounded up to a thousandth: more than the default only with --squash."""
    model = width / height
    off = max((max(w / h / model, model * h / w) for w, h in set(good_image_sizes(root).values())), default=1.0)
    return math.ceil(round((off - 1) * 1000, 6)) / 1000


def _fitting_size(sizes, side: int, multiple: int, tolerance: float,
                  max_side: float = math.inf) -> tuple[int, int] | None:
    """A model input (width, height), both multiples of `multiple`, that every image size in `sizes` is within the
    aspect tolerance of: its shorter side `side` if one fits, else the nearest shorter side that lets a step of
    `multiple` on the longer one land in the (narrow) range of ratios that suit them all; the ratio nearest to the
    geometric mean of the narrowest and widest. None when no ratio suits them all."""
    ratios = [w / h for w, h in sizes]
    low, high = min(ratios), max(ratios)
    centre = (low * high) ** 0.5
    lo_r, hi_r = high / (1 + tolerance) - 1e-9, low * (1 + tolerance) + 1e-9  # the ratios that suit them all
    if lo_r > hi_r:
        return None
    # Work in "long over short" terms so that portrait and landscape are one case.
    lo_k, hi_k, mid_k = (lo_r, hi_r, centre) if centre >= 1 else (1 / hi_r, 1 / lo_r, 1 / centre)
    shorter_sides = sorted(range(multiple, max(4 * side, 1024) + 1, multiple), key=lambda n: (abs(n - side), n))
    for shorter in shorter_sides:
        # The multiples of `multiple` for the longer side within the ratios that suit them all, nearest the centre.
        first, last = math.ceil(lo_k * shorter / multiple), math.floor(hi_k * shorter / multiple)
        if first > last:
            continue
        longer = min(max(math.floor(mid_k * shorter / multiple + 0.5), first), last) * multiple
        if longer > max_side:
            continue
        return (longer, shorter) if centre >= 1 else (shorter, longer)
    return None


def _exact_size(w: int, h: int, side: int, multiple: int) -> tuple[int, int] | None:
    """The (width, height), both multiples of `multiple`, of exactly w/h whose shorter side is nearest to `side`
    (from half to twice it), or None."""
    g = math.gcd(w, h)
    a, b = w // g, h // g  # the ratio in lowest terms
    # The smallest scale of (a, b) whose both sides are multiples of `multiple`; every exact size is a multiple of it.
    unit = math.lcm(multiple // math.gcd(a, multiple), multiple // math.gcd(b, multiple))
    shorter = min(a, b) * unit
    fits = [j for j in range(1, 2 * side // shorter + 1) if side / 2 <= j * shorter]
    if not fits:
        return None
    j = min(fits, key=lambda j: (abs(j * shorter - side), j))
    return a * unit * j, b * unit * j


def upsampling_warning(root: Path, height: int, width: int) -> str | None:
    """A warning when every good image is smaller than the model input on both axes: the preprocessing then
    enlarges each pixel into a block, which costs compute and adds no detail. Reads only the image headers."""
    sizes = set(good_image_sizes(root).values())
    if not sizes or any(w >= width or h >= height for w, h in sizes):
        return None
    w, h = max(w for w, _ in sizes), max(h for _, h in sizes)
    return (f"the good images are at most {w}x{h}, smaller than the model's {width}x{height} input on both axes: "
            f"the preprocessing enlarges them, which costs compute and adds no detail; a --size of the images' own "
            f"size or smaller does as well")


def shallow_depth_warning(root: Path, sample: int = 8) -> str | None:
    """A warning when train/good's 16-bit files hold 12 bits or fewer (a 12-bit camera's PNG): the model card's
    preprocessing, here and in the job, keeps the high byte, so such images reach the model as 16 grey levels
    or fewer. Reads the headers, and decodes a few of the 16-bit files."""
    from PIL import Image

    from .preprocess import SIXTEEN_BIT_MODES

    def deep(p: Path) -> bool:
        with Image.open(p) as im:
            return im.mode in SIXTEEN_BIT_MODES
    files = [p for p in good_images(root) if _readable(p, lambda: deep(p))]
    if not files:
        return None

    def peak(p: Path) -> int:
        with Image.open(p) as im:
            return int(np.asarray(im).max(initial=0))
    top = max(_readable(p, lambda: peak(p)) for p in files[:sample])
    if top >= 1 << 12:
        return None
    bits = max(1, top.bit_length())
    return (f"{len(files)} images in {root}/train/good are 16-bit and use only {bits} bits (largest sample {top} "
            f"in the {min(sample, len(files))} read): the model sees their high byte, {1 << max(0, bits - 8)} grey "
            "levels. Scale them to the full 16-bit range (or to 8 bits) here and in the cameras' frames")


def read_image(path: Path, channels: int, height: int, width: int) -> np.ndarray:
    return _readable(path, lambda: preprocess(path, channels, height, width))


def _readable(path: Path, decode):
    try:
        return decode()
    except (OSError, ValueError) as e:  # PIL's UnidentifiedImageError is an OSError
        raise DatasetError(f"{path} cannot be read as an image ({e}); fix or remove the file") from e


def in_parallel(fn, items: list) -> list:
    """fn over items, in order, on torch's thread budget (`--threads`): PIL's decoders and numpy release the GIL,
    so a folder of large images loads several times faster on a multi-core machine."""
    with ThreadPoolExecutor(max_workers=max(1, torch.get_num_threads())) as pool:
        return list(pool.map(fn, items))


def load_images(paths: list[Path], channels: int, height: int, width: int) -> np.ndarray:
    if not paths:
        return np.zeros((0, channels, height, width), dtype=np.float32)
    return np.stack(in_parallel(lambda p: read_image(p, channels, height, width), paths))


def guess_channels(root: Path, chunk: int = 32) -> int:
    """1 if every good image is gray (or R == G == B), else 3. All of them: a few colour images at the end of a
    folder must not be trained as gray. Decoded a chunk at a time, so a colour dataset stops at its first chunk."""
    from .preprocess import decode_8bit
    check_layout(root)

    def colour(p: Path) -> bool:
        a = _readable(p, lambda: decode_8bit(p))
        return a.ndim == 3 and not (np.array_equal(a[..., 0], a[..., 1]) and np.array_equal(a[..., 1], a[..., 2]))
    paths = good_images(root)
    return 3 if any(any(in_parallel(colour, paths[i:i + chunk])) for i in range(0, len(paths), chunk)) else 1


def content_hash(paths: list[Path], root: Path) -> str:
    """sha256 over (relative path, file bytes) of the files, in the order of their relative paths' parts (with case,
    as Linux sorts paths; Windows would sort them without)."""
    h = hashlib.sha256()
    for p in sorted(paths, key=lambda p: Path(p).relative_to(root).parts):
        h.update(Path(p).relative_to(root).as_posix().encode())  # the same hash on Windows
        h.update(b"\0")
        h.update(Path(p).read_bytes())
    return h.hexdigest()


@dataclass
class GoodSplit:
    train: list[Path]
    val: list[Path]  # early stopping, synthetic-defect validation, normalisation statistics
    calib: list[Path]  # thresholds only

    def fingerprint(self, root: Path) -> str:
        """Which images trained the model and which were held out, by relative path: calibrate and --resume
        rebuild the split from the folder, and must find the same one (else calibration images may have been
        trained on, and the thresholds come out too low)."""
        h = hashlib.sha256()
        for part, paths in (("train", self.train), ("val", self.val), ("calib", self.calib)):
            for p in sorted(paths, key=lambda p: Path(p).relative_to(root).parts):  # as content_hash
                h.update(f"{part}\0{Path(p).relative_to(root).as_posix()}\n".encode())
        return h.hexdigest()[:16]


def split_good(root: Path, val_fraction: float = 0.15, calib_fraction: float = 0.15, seed: int = 0,
               min_held_out: int = 4) -> GoodSplit:
    check_layout(root)
    paths = good_images(root)
    if len(paths) < 3 * min_held_out:
        raise DatasetError(f"{root}/train/good (with validation/good) has {len(paths)} images "
                           f"({', '.join(sorted(IMAGE_SUFFIXES))}); need at least {3 * min_held_out}: training, "
                           "validation and calibration each take some, and a few hundred defect-free images make a "
                           "useful model")
    order = np.random.default_rng(seed).permutation(len(paths))
    n_val = max(min_held_out, int(round(val_fraction * len(paths))))
    n_cal = max(min_held_out, int(round(calib_fraction * len(paths))))
    pick = [paths[i] for i in order]
    return GoodSplit(train=sorted(pick[n_val + n_cal:]), val=sorted(pick[:n_val]),
                     calib=sorted(pick[n_val:n_val + n_cal]))


@dataclass
class TestSet:
    images: np.ndarray  # (N, C, H, W) float32
    masks: np.ndarray  # (N, H, W) bool; all False for good images
    has_mask: np.ndarray  # (N,) bool; False for defective images without a ground-truth file
    labels: np.ndarray  # (N,) int, 1 = defective
    types: list[str]  # defect type per image ("good" for good)
    paths: list[str] = field(default_factory=list)

    def warnings(self, ground_truth: Path) -> list[str]:
        """What makes some of evaluate's figures undefined or partial, said where the metrics cannot say it."""
        out = []
        bad = self.labels.astype(bool)
        if not bad.any():
            out.append("no defective test images: image AUROC, recall and the pixel metrics are undefined")
        elif bad.all():
            out.append("no test/good images: image AUROC and the false-alarm rate are undefined")
        def first(selected: np.ndarray) -> str:  # names a file, so the user can look at it
            return f" (e.g. {self.paths[int(np.flatnonzero(selected)[0])]})" if self.paths else ""
        if missing := int((no_mask := bad & ~self.has_mask).sum()):
            out.append(f"{missing} of {int(bad.sum())} defective test images{first(no_mask)} have no mask in "
                       f"{ground_truth}/<defect type>/ (looked for {MASK_NAMES}): the pixel metrics count only the "
                       "others")
        if empty := int((blank := bad & self.has_mask & ~self.masks.any(axis=(1, 2))).sum()):
            out.append(f"{empty} defective test images{first(blank)} have an empty mask (no non-zero pixel): the "
                       "pixel metrics count them as defects nowhere")
        if most := int((inverted := bad & self.has_mask & (self.masks.mean(axis=(1, 2)) > 0.5)).sum()):
            out.append(f"{most} defective test images{first(inverted)} have a mask marking more than half of the "
                       "image: masks are non-zero where the defect is, so an inverted mask (white background) "
                       "marks everything but the defect")
        return out


def _unmatched_ground_truth(gt: Path, subs: list[Path], kinds: set[str], entries: dict[str, dict[str, Path]],
                            mask_files) -> list[str]:
    """What in the test and ground-truth folders the evaluation leaves out without a word otherwise: empty defect
    type folders, ground truth of a type without test images, masks that belong to no test image."""
    out = []
    if empty := [d.name for d in subs if d.name != "good" and d.name not in kinds]:
        out.append(f"test/ folders without images: {', '.join(empty)} (left out)")
    names = {d.name.lower() for d in subs}
    if lone := [d.name for d in (sorted(gt.iterdir()) if gt.is_dir() else ())
                if d.is_dir() and visible(d) and d.name.lower() not in names]:
        out.append(f"{gt} has masks of defect types without a test folder: {', '.join(lone)} (not evaluated)")
    used = {f for files in mask_files for f in files}
    used |= {f.parent for f in used}  # LOCO: a folder of masks per image
    if orphans := [e for kind in sorted(entries) for e in entries[kind].values() if e not in used]:
        out.append(f"{len(orphans)} ground-truth files match no test image (e.g. {orphans[0]}): a test image missing "
                   "or renamed?")
    return out


def load_test_set(root: Path, channels: int, height: int, width: int,
                  warn: Callable[[str], None] = lambda m: print(f"warning: {m}", file=sys.stderr)) -> TestSet:
    """ROOT/test's images, labels and masks at model resolution; `warn` gets TestSet.warnings()."""
    root = Path(root)
    test_dir = test_folder(root)
    if test_dir is None:
        raise DatasetError(f"{root} has no test/ (or MVTec AD 2's test_public/) folder; {LAYOUT_HINT}")
    gt = ground_truth_folder(test_dir)
    subs = sorted(d for d in test_dir.iterdir() if d.is_dir() and d != gt and visible(d))
    for d in subs:
        if d.name.lower() == "good" and d.name != "good":
            raise DatasetError(f"{d}: name the defect-free test folder good, in lower case as MVTec does (the job's "
                               "replay reads it so too); any other name is read as a defect type")
    files = [(sub.name, p) for sub in subs for p in list_images(sub)]
    # Masks saved beside their images are not test images (their defect type's images would count twice).
    beside = [p for kind, p in files if kind != "good" and p.stem.lower().endswith("_mask")]
    files = [(kind, p) for kind, p in files if p not in beside]
    if not files:
        raise DatasetError(f"no test images under {test_dir}: expected good/ and <defect type>/ folders of images")
    kinds = {kind for kind, _ in files} - {"good"}
    entries = {kind: mask_entries(gt / kind) for kind in kinds}

    def load(item):
        kind, p = item
        size, orientation = _readable(p, lambda: header_info(p))
        m = [] if kind == "good" else find_mask(entries[kind], p)
        mask = read_mask(m, height, width, size, orientation) if m else np.zeros((height, width), bool)
        return read_image(p, channels, height, width), mask, kind == "good" or bool(m), m, size, orientation

    images, masks, has_mask, mask_files, sizes, orientations = zip(*in_parallel(load, files))
    test = TestSet(np.stack(images), np.stack(masks), np.array(has_mask),
                   np.array([0 if kind == "good" else 1 for kind, _ in files]), [kind for kind, _ in files],
                   [str(p) for _, p in files])
    messages = test.warnings(gt)
    for kind in sorted(kinds):
        if not (gt / kind).is_dir() and (other := next((d for d in (sorted(gt.iterdir()) if gt.is_dir() else ())
                                                        if d.is_dir() and d.name.lower() == kind.lower()), None)):
            messages.append(f"the masks of defect type {kind} are looked for in {gt / kind}, which does not exist; "
                            f"{other} differs only in letter case: rename it to {kind}")
    good = {hashlib.sha256(p.read_bytes()).digest(): p for p in good_images(root)}
    if copies := [(p, good[h]) for _, p in files if (h := hashlib.sha256(p.read_bytes()).digest()) in good]:
        messages.append(f"{len(copies)} test images are byte-for-byte copies of good images the model trains or "
                        f"calibrates on (e.g. {copies[0][0]} = {copies[0][1]}): figures on them overstate how well "
                        "it does on images it has not seen")
    messages += _unmatched_ground_truth(gt, subs, kinds, entries, mask_files)
    if beside:
        messages.append(f"{len(beside)} files named <stem>_mask.* in test/<defect type>/ (e.g. {beside[0]}) are "
                        f"left out: they look like masks; put masks in {gt}/<defect type>/")
    if turned := [p for (_, p), o in zip(files, orientations) if o != 1]:
        messages.append(f"{len(turned)} test images (e.g. {turned[0]}) carry an EXIF orientation that image "
                        "viewers apply: this tool and the job read the pixels as stored, so masks must be drawn "
                        "on the stored pixels, not on the rotated view")
    if lossy := sum(any(f.suffix.lower() in (".jpg", ".jpeg") for f in m) for m in mask_files):
        messages.append(f"{lossy} masks are JPEG files: read as defect where at least mid-grey (128), since their "
                        "compression noise is not zero; save masks as PNG for exact ground truth")
    model = width / height
    if odd := [(s, p) for (_, p), s in zip(files, sizes)
               if max(s[0] / s[1] / model, model * s[1] / s[0]) > 1 + JOB_ASPECT_TOLERANCE]:
        (ow, oh), example = odd[0]
        messages.append(f"{len(odd)} test images (e.g. {example}, {ow}x{oh}) are far from the model's "
                        f"{width}x{height} shape: they are scored squashed here, and the job rejects such frames "
                        f"(WRONG_SHAPE) unless its frame-aspect-tolerance allows them")
    for message in messages:
        warn(message)
    return test


def synthetic_validation_set(good: np.ndarray, seed: int, settings: DefectSettings | None = None,
                             copies: int = 1) -> TestSet:
    """Held-out good images plus defective copies made with the VALIDATION injector settings."""
    inj = DefectInjector(settings or DefectSettings.validation(), seed=seed)
    n, _, h, w = good.shape
    imgs, masks, types = [g for g in good], [np.zeros((h, w), bool)] * n, ["good"] * n
    kinds = [k for k, wgt in inj.settings.kinds.items() if wgt > 0]
    for c in range(copies):
        for i, g in enumerate(good):
            kind = kinds[(i + c) % len(kinds)]
            img, m = inj(g, kind=kind, donor=good[(i + 1) % n])
            if not m.any():
                continue
            imgs.append(img)
            masks.append(m)
            types.append(kind)
    labels = np.array([0 if t == "good" else 1 for t in types])
    return TestSet(np.stack(imgs).astype(np.float32), np.stack(masks), np.ones(len(imgs), bool), labels, types)


@dataclass
class AugmentConfig:
    max_shift: int = 4  # pixels at model resolution (fixed cameras: small shifts only)
    brightness: float = 0.05  # additive, +-
    contrast: float = 0.1  # multiplicative around the image mean, 1 +- this
    denoise: bool = True  # inject synthetic defects into inputs (target stays clean)
    denoise_prob: float = 0.5
    # Train on random square crops of this side (0 = whole images). The CAE is fully convolutional, so a model
    # trained on 128-pixel crops runs on whole 256-pixel frames: full-resolution detection for a quarter of the
    # training compute, and crop edges teach it to reconstruct near borders too. A multiple of 2**stages.
    crop: int = 0


def augment(img: np.ndarray, cfg: AugmentConfig, rng: np.random.Generator) -> np.ndarray:
    c, h, w = img.shape
    if cfg.max_shift > 0:
        s = cfg.max_shift
        dy, dx = rng.integers(-s, s + 1, size=2)
        padded = np.pad(img, ((0, 0), (s, s), (s, s)), mode="reflect")
        img = padded[:, s + dy:s + dy + h, s + dx:s + dx + w]
    if cfg.contrast > 0 or cfg.brightness > 0:
        mean = img.mean()
        k = rng.uniform(1 - cfg.contrast, 1 + cfg.contrast)
        b = rng.uniform(-cfg.brightness, cfg.brightness)
        img = (img - mean) * k + mean + b
    return np.clip(img, 0.0, 1.0).astype(np.float32)


def random_crop(img: np.ndarray, side: int, rng: np.random.Generator) -> np.ndarray:
    """A random side x side window of a (C, H, W) image; the image itself when side is 0 or covers it."""
    _, h, w = img.shape
    if side <= 0 or (side >= h and side >= w):
        return img
    if side > h or side > w:
        raise ValueError(f"crop {side} is larger than the {h}x{w} images")
    y, x = int(rng.integers(0, h - side + 1)), int(rng.integers(0, w - side + 1))
    return img[:, y:y + side, x:x + side]


class DenoisingDataset(Dataset):
    """Yields (input, clean target): augmented good image, with synthetic defects in the input part of the time.

    Indexed by (epoch, i), or by i alone for epoch 0. Each sample draws from its own generator, seeded by (seed,
    epoch, i): the draws are the same whichever DataLoader worker process makes the sample (a stateful generator
    would be copied into every worker, which would then repeat each other's augmentations), and an interrupted
    run resumes with nothing but the epoch. EpochSampler makes the keys."""

    def __init__(self, images: np.ndarray, cfg: AugmentConfig, seed: int = 0,
                 defects: DefectSettings | None = None, augment_images: bool = True):
        self.images = images
        self.cfg = cfg
        self.augment_images = augment_images
        self.seed = seed
        self.injector = DefectInjector(defects or DefectSettings.training())

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, key: int | tuple[int, int]):
        epoch, i = key if isinstance(key, tuple) else (0, key)
        rng = np.random.default_rng((self.seed, epoch, i))
        clean = random_crop(self.images[i], self.cfg.crop, rng)
        if self.augment_images:
            clean = augment(clean, self.cfg, rng)
        noisy = clean
        if self.cfg.denoise and rng.random() < self.cfg.denoise_prob:
            donor = self.images[int(rng.integers(len(self.images)))]
            self.injector.rng = rng  # this process's own copy of the injector, for this sample only
            noisy, _ = self.injector(clean, donor=donor)
        return torch.from_numpy(np.ascontiguousarray(noisy)), torch.from_numpy(np.ascontiguousarray(clean))


class EpochSampler(Sampler):
    """A seeded shuffle of the indices, as (epoch, i) keys for DenoisingDataset. It runs in the training process,
    so setting `epoch` reaches persistent DataLoader workers too."""

    def __init__(self, n: int, generator: torch.Generator):
        self.order = RandomSampler(range(n), generator=generator)
        self.epoch = 0

    def __len__(self) -> int:
        return len(self.order)

    def __iter__(self):
        epoch = self.epoch
        return ((epoch, i) for i in self.order)
