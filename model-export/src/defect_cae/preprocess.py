"""The preprocessing of docs/model-card.md, in numpy.

This module is the reference the Java job must reproduce byte for byte (the golden vectors check it), so it
avoids every library call whose behaviour is not pinned by the contract: PIL only decodes the file in its raw
mode (no colour management, no PIL colour conversion, no PIL resize); gray conversion, scaling and the area
resize are written out here.
"""
from __future__ import annotations

import io
from pathlib import Path
from typing import Union

import numpy as np
from PIL import Image


ImageSource = Union[str, Path, bytes, Image.Image, np.ndarray]
SIXTEEN_BIT_MODES = ("I", "I;16", "I;16B", "I;16L")  # PIL's modes of 16-bit gray PNG files

# Card values describing exactly what this module does.
CARD_PREPROCESSING = {
    "decode_bits": 8,
    "color": "gray-bt601-int",  # replaced by "rgb" for 3-channel models, see card_preprocessing()
    "scale": "1/255",
    "resize": "area-adaptive-avg-pool",
    "channel_order": "RGB",
}


def card_preprocessing(channels: int) -> dict:
    card = dict(CARD_PREPROCESSING)
    card["color"] = "gray-bt601-int" if channels == 1 else "rgb-gray-replicated"
    card["description"] = (
        "decode to 8-bit samples (16-bit: high byte; alpha dropped; palette expanded; no colour management); "
        + ("RGB -> gray g = (299*R + 587*G + 114*B + 500) // 1000; " if channels == 1
           else "gray -> R=G=B; ")
        + "x = sample / 255; resize each axis by adaptive-average-pool windows "
          "[floor(i*I/O), ceil((i+1)*I/O)) (identity when I == O); layout NCHW, channels R,G,B. "
          "Reference: defect_cae.preprocess (float64 arithmetic, rounded once to float32)."
    )
    return card


def decode_8bit(source: ImageSource) -> np.ndarray:
    """Decode an image to uint8 samples, shape (H, W) for gray or (H, W, 3) for colour.

    16-bit samples keep their high byte, alpha is dropped (not composited), palettes are expanded.
    """
    if isinstance(source, np.ndarray):
        arr = source
        if arr.dtype == np.uint16:
            arr = (arr >> 8).astype(np.uint8)
        if arr.dtype != np.uint8:
            raise ValueError(f"array images must be uint8 or uint16, got {arr.dtype}")
        if arr.ndim == 3 and arr.shape[2] in (2, 4):
            arr = arr[..., : arr.shape[2] - 1]
        if arr.ndim == 3 and arr.shape[2] == 1:
            arr = arr[..., 0]
        return np.ascontiguousarray(arr)
    if isinstance(source, Image.Image):
        im = source
    elif isinstance(source, (bytes, bytearray)):
        im = Image.open(io.BytesIO(source))
    else:
        im = Image.open(source)
    im.load()
    mode = im.mode
    if mode == "1":
        return np.asarray(im, dtype=np.uint8) * 255
    if mode == "L":
        return np.asarray(im, dtype=np.uint8).copy()
    if mode == "LA":
        return np.asarray(im, dtype=np.uint8)[..., 0].copy()
    if mode in SIXTEEN_BIT_MODES:
        # 16-bit PNG gray; the contract keeps the high byte.
        arr = np.asarray(im).astype(np.int64)
        if arr.max(initial=0) > 65535 or arr.min(initial=0) < 0:
            raise ValueError(f"mode {mode}: samples outside 16 bits")
        return (arr >> 8).astype(np.uint8)
    if mode in ("P", "PA"):
        # Palette entries expanded; transparency ignored (alpha is never composited). An index beyond a short
        # palette (invalid PNG) takes its last entry, as the job decodes it (PIL would give a gray ramp).
        palette = np.asarray(im.getpalette() or [0, 0, 0], dtype=np.uint8).reshape(-1, 3)
        indices = np.asarray(im, dtype=np.uint8)
        indices = indices[..., 0] if indices.ndim == 3 else indices
        return palette[np.minimum(indices, len(palette) - 1)]
    if mode in ("RGB", "RGBA", "RGBX"):
        return np.asarray(im, dtype=np.uint8)[..., :3].copy()
    if mode == "CMYK":
        # The job rejects CMYK JPEG frames (docs/wire-format.md): PIL's conversion is not part of the contract.
        raise ValueError("CMYK image: the job rejects CMYK frames; convert it to RGB (or gray)")
    if mode == "YCbCr":
        return np.asarray(im.convert("RGB"), dtype=np.uint8).copy()
    raise ValueError(f"unsupported image mode {mode!r}")


LOSSY_FORMATS = ("JPEG", "MPO")  # PIL's names for JPEG files (MPO: a camera's multi-picture JPEG), by content


def mask_pixels(source: ImageSource) -> np.ndarray:
    """Mask -> bool (H, W): any non-zero sample is defect, at the file's own depth, so a 16-bit mask of value 1
    (whose high byte is 0) is a defect too. A JPEG file's compression noise is not zero around every edge: there
    a sample of at least 128 is defect."""
    lossy = wide_colour = False
    if isinstance(source, np.ndarray):
        samples = source if source.dtype == np.uint16 else decode_8bit(source)
    elif isinstance(source, Image.Image):
        samples = np.asarray(source) if source.mode in SIXTEEN_BIT_MODES else decode_8bit(source)
        lossy = source.format in LOSSY_FORMATS
    else:
        with Image.open(io.BytesIO(source) if isinstance(source, (bytes, bytearray)) else source) as im:
            im.load()
            samples = np.asarray(im) if im.mode in SIXTEEN_BIT_MODES else decode_8bit(im)
            lossy = im.format in LOSSY_FORMATS
            wide_colour = im.format == "PNG" and _png_is_16_bit_with_colour_or_alpha(source)
    if wide_colour:
        # PIL reads these by their high byte only, so samples below 256 read as 0 where the job's replay, which
        # reads all 16 bits, marks them: refused rather than disagreeing.
        raise ValueError("a 16-bit PNG mask with colour or alpha cannot be read at its full depth here; save masks "
                         "as 8-bit or 16-bit gray PNG")
    if samples.ndim == 3:
        samples = samples.max(axis=2)
    return samples >= 128 if lossy else samples != 0


def _png_is_16_bit_with_colour_or_alpha(source) -> bool:
    """IHDR's bit depth 16 with colour type 2 (RGB), 4 (gray + alpha) or 6 (RGBA): bytes 24 and 25 of the file."""
    if isinstance(source, (bytes, bytearray)):
        head = bytes(source[:26])
    else:
        with open(source, "rb") as f:
            head = f.read(26)
    return len(head) == 26 and head[24] == 16 and head[25] in (2, 4, 6)


def to_channels(samples: np.ndarray, channels: int) -> np.ndarray:
    """uint8 (H, W) or (H, W, 3) -> uint8 (C, H, W) with the contract's integer gray conversion."""
    if channels == 1:
        if samples.ndim == 2:
            return samples[None]
        rgb = samples.astype(np.int64)
        g = (299 * rgb[..., 0] + 587 * rgb[..., 1] + 114 * rgb[..., 2] + 500) // 1000
        return g.astype(np.uint8)[None]
    if channels == 3:
        if samples.ndim == 2:
            return np.repeat(samples[None], 3, axis=0)
        return np.ascontiguousarray(samples.transpose(2, 0, 1))
    raise ValueError(f"channels must be 1 or 3, got {channels}")


def pool_windows(in_size: int, out_size: int) -> list[tuple[int, int]]:
    """adaptive_avg_pool windows: output i averages inputs [floor(i*I/O), ceil((i+1)*I/O))."""
    return [((i * in_size) // out_size, -((-(i + 1) * in_size) // out_size)) for i in range(out_size)]


def window_sums(samples: np.ndarray, axis: int, out_size: int) -> np.ndarray:
    """Exact int64 sums of integer samples over the adaptive-average-pool windows along `axis`.

    Windows overlap when the sizes do not divide, so the axis is cut at every window start and end, summed per
    piece (one pass over the samples), and each window is the difference of two running sums of its pieces."""
    size = samples.shape[axis]
    windows = pool_windows(size, out_size)
    cuts = sorted({start for start, _ in windows} | {end for _, end in windows if end < size})
    pieces = np.add.reduceat(samples, cuts, axis=axis, dtype=np.int64)
    running = np.cumsum(pieces, axis=axis)
    running = np.concatenate([np.zeros_like(np.take(running, [0], axis=axis)), running], axis=axis)
    piece = {cut: i for i, cut in enumerate(cuts + [size])}
    return (np.take(running, [piece[end] for _, end in windows], axis=axis)
            - np.take(running, [piece[start] for start, _ in windows], axis=axis))


def area_resize(samples: np.ndarray, height: int, width: int, scale: float = 1.0) -> np.ndarray:
    """Integer (C, H, W) samples -> float64 (C, height, width) window means / scale (adaptive_avg_pool2d).

    Each value is one division of an exact integer window sum by scale x window area, which is also how the Java
    job computes it, so both round the same way; it also costs O(C*H*W), where a pooling matrix costs O(C*H*W*O).
    """
    _, h, w = samples.shape
    sums = window_sums(window_sums(samples, 1, height), 2, width)
    rows = np.array([e - s for s, e in pool_windows(h, height)], dtype=np.float64)
    cols = np.array([e - s for s, e in pool_windows(w, width)], dtype=np.float64)
    return sums / (scale * rows[:, None] * cols[None, :])


def preprocess(source: ImageSource, channels: int, height: int, width: int) -> np.ndarray:
    """Image -> float32 (C, H, W) in [0, 1], exactly as the model card describes."""
    samples = to_channels(decode_8bit(source), channels)
    return area_resize(samples, height, width, scale=255.0).astype(np.float32)


def preprocess_mask(source: ImageSource, height: int, width: int) -> np.ndarray:
    """Ground-truth mask -> bool (H, W) at model resolution, by area coverage.

    A model pixel is defective where defects cover at least half of it. A defect thinner than that everywhere
    (a 3-pixel scratch in a 1024-pixel image seen at 128x128 never covers more than about 40 % of a model pixel)
    would vanish from the ground truth, so each connected defect of the mask (8-connected at the mask's own
    resolution: a scratch beside a thicker defect is a defect of its own, even where both meet one model pixel)
    whose largest coverage is below one half keeps the pixels it covers at least half as much as its largest: a
    thin line stays a thin line. A thin part of a defect that is thick elsewhere follows the thick rule.
    """
    pixels = mask_pixels(source)
    cover = area_resize(pixels[None], height, width)[0]
    keep = cover >= 0.5
    h, w = pixels.shape
    rows, cols = np.array(pool_windows(h, height)), np.array(pool_windows(w, width))  # [start, end) per pixel
    for y0, y1, x0, x1, defect in mask_components(pixels):
        # This defect's own coverage of the model pixels whose windows meet its bounding box (window sums from
        # the cumulative sums of its crop, each window clipped to the crop).
        r = np.flatnonzero((rows[:, 0] < y1) & (rows[:, 1] > y0))
        c = np.flatnonzero((cols[:, 0] < x1) & (cols[:, 1] > x0))
        sums = np.zeros((y1 - y0 + 1, x1 - x0 + 1))
        sums[1:, 1:] = defect.cumsum(0).cumsum(1)
        rs, re = (np.clip(rows[r, k], y0, y1) - y0 for k in (0, 1))
        cs, ce = (np.clip(cols[c, k], x0, x1) - x0 for k in (0, 1))
        area = np.outer(rows[r, 1] - rows[r, 0], cols[c, 1] - cols[c, 0]).astype(np.float64)
        own = (sums[re][:, ce] - sums[rs][:, ce] - sums[re][:, cs] + sums[rs][:, cs]) / area
        peak = own.max()
        if peak < 0.5:
            keep[r[0]:r[-1] + 1, c[0]:c[-1] + 1] |= (own > 0) & (own >= peak / 2)
    return keep


def mask_components(mask: np.ndarray):
    """The 8-connected components of a bool (H, W) mask: (y0, y1, x0, x1, bool crop of the bounding box holding
    only that component). Labels runs of each row and joins touching runs of adjacent rows, so the cost follows
    the number of runs rather than of pixels (a defect of a megapixel mask has few runs per row)."""
    h, w = mask.shape
    edges = np.diff(np.pad(mask, ((0, 0), (1, 1))).astype(np.int8), axis=1)
    run_row, run_start = np.nonzero(edges == 1)
    run_end = np.nonzero(edges == -1)[1]  # exclusive; same row-major order as the starts
    parent = list(range(len(run_row)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first = np.searchsorted(run_row, np.arange(h + 1))  # runs of row y: first[y] .. first[y + 1] - 1
    for y in range(1, h):
        a, a_end, b, b_end = first[y - 1], first[y], first[y], first[y + 1]
        while a < a_end and b < b_end:  # both rows' runs in column order: merge-walk them
            if run_start[a] <= run_end[b] and run_start[b] <= run_end[a]:  # overlap or touch diagonally
                ra, rb = root(a), root(b)
                if ra != rb:
                    parent[max(ra, rb)] = min(ra, rb)
            if run_end[a] < run_end[b]:
                a += 1
            else:
                b += 1
    groups: dict[int, list[int]] = {}
    for i in range(len(parent)):
        groups.setdefault(root(i), []).append(i)
    for runs in groups.values():
        ys, xs, xe = run_row[runs], run_start[runs], run_end[runs]
        y0, y1, x0, x1 = int(ys.min()), int(ys.max()) + 1, int(xs.min()), int(xe.max())
        crop = np.zeros((y1 - y0, x1 - x0), dtype=bool)
        for y, s, e in zip(ys, xs, xe):
            crop[y - y0, s - x0:e - x0] = True
        yield y0, y1, x0, x1, crop
