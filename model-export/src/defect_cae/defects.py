"""Synthetic defect injector: blobs, scratches, pasted patches of the same texture, intensity smudges.

Used twice, with DIFFERENT settings: `DefectSettings.training()` corrupts inputs for defect-denoising training
(the target stays clean), `DefectSettings.validation()` makes labelled defective images from held-out GOOD images
for model selection. Validation never uses the training settings, so choices made on it reflect the user's data
rather than our generator.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np

KINDS = ("blob", "scratch", "patch", "smudge")


@dataclass
class DefectSettings:
    # Relative frequency of each defect kind.
    kinds: dict = field(default_factory=lambda: {"blob": 1.0, "scratch": 1.0, "patch": 1.0, "smudge": 1.0})
    count: tuple = (1, 2)  # defects per image, inclusive range
    size: tuple = (0.03, 0.15)  # blob radius / patch side / smudge radius, as a fraction of min(H, W)
    contrast: tuple = (0.08, 0.5)  # intensity change, in units of the [0, 1] input range
    scratch_width: tuple = (1.0, 3.0)  # pixels at model resolution
    scratch_length: tuple = (0.15, 0.6)  # fraction of min(H, W)
    scratch_bend: float = 0.15  # max curvature offset as a fraction of the length
    patch_shape: str = "rect"  # "rect" or "ellipse"
    blob_irregularity: float = 0.25

    @classmethod
    def training(cls) -> "DefectSettings":
        return cls()

    @classmethod
    def validation(cls) -> "DefectSettings":
        # Different ranges and shapes than training, and subtler: a model must generalise to be chosen.
        return cls(kinds={"blob": 1.0, "scratch": 1.0, "patch": 1.0, "smudge": 1.0}, count=(1, 1),
                   size=(0.04, 0.10), contrast=(0.1, 0.3), scratch_width=(1.5, 2.5), scratch_length=(0.1, 0.35),
                   scratch_bend=0.3, patch_shape="ellipse", blob_irregularity=0.4)

    def to_dict(self) -> dict:
        return asdict(self)


def _soft(x: np.ndarray) -> np.ndarray:
    return np.clip(x, 0.0, 1.0)


class DefectInjector:
    """Injects defects into (C, H, W) float images in [0, 1]; returns (defective image, bool mask (H, W))."""

    def __init__(self, settings: DefectSettings | None = None, seed: int | None = None):
        self.settings = settings or DefectSettings.training()
        self.rng = np.random.default_rng(seed)
        weights = np.array([self.settings.kinds.get(k, 0.0) for k in KINDS], dtype=np.float64)
        if weights.sum() <= 0:
            raise ValueError("at least one defect kind needs a positive weight")
        self.weights = weights / weights.sum()

    def __call__(self, image: np.ndarray, kind: str | None = None, donor: np.ndarray | None = None):
        s = self.settings
        out = image.astype(np.float32).copy()
        mask = np.zeros(image.shape[1:], dtype=bool)
        n = int(self.rng.integers(s.count[0], s.count[1] + 1))
        for _ in range(n):
            k = kind or KINDS[int(self.rng.choice(len(KINDS), p=self.weights))]
            alpha = getattr(self, "_" + k)(out, donor)
            mask |= alpha >= 0.5
        return np.clip(out, 0.0, 1.0), mask

    # Each kind edits `img` in place and returns its per-pixel strength alpha (H, W) in [0, 1].

    def _delta(self, channels: int) -> np.ndarray:
        s, r = self.settings, self.rng
        mag = r.uniform(*s.contrast) * (1 if r.random() < 0.5 else -1)
        if channels == 1:
            return np.array([mag], dtype=np.float32)
        # Colour defects: mostly along the gray axis with a random tint.
        tint = r.normal(0.0, 0.5, size=channels)
        return (mag * (1.0 + tint) / np.sqrt(1.0 + 0.25)).astype(np.float32)

    def _grid(self, h: int, w: int):
        return np.mgrid[0:h, 0:w].astype(np.float32)

    def _blob(self, img: np.ndarray, donor=None) -> np.ndarray:
        s, r = self.settings, self.rng
        c, h, w = img.shape
        base = min(h, w)
        yy, xx = self._grid(h, w)
        cy, cx = r.uniform(0.1 * h, 0.9 * h), r.uniform(0.1 * w, 0.9 * w)
        ry = max(1.5, r.uniform(*s.size) * base)
        rx = max(1.5, ry * r.uniform(0.5, 1.5))
        th = r.uniform(0, np.pi)
        dy, dx = yy - cy, xx - cx
        # Python floats, not numpy float64 scalars: under numpy 2 (NEP 50) those would promote the float32 grids
        # to float64 and change the defects' values from numpy 1's.
        cos, sin = math.cos(th), math.sin(th)
        u = (dx * cos + dy * sin) / rx
        v = (-dx * sin + dy * cos) / ry
        phi = np.arctan2(v, u)
        irr = s.blob_irregularity
        radius = 1.0 + irr * (0.6 * np.sin(2 * phi + r.uniform(0, 6.3)) + 0.4 * np.sin(3 * phi + r.uniform(0, 6.3)))
        d = np.sqrt(u * u + v * v) / radius
        edge = r.uniform(0.1, 0.4)
        alpha = _soft((1.0 - d) / edge + 0.5)
        delta = self._delta(c)
        if r.random() < 0.5:
            img += alpha[None] * delta[:, None, None]
        else:
            # A flat stain that also hides the texture underneath.
            level = np.clip(img.mean(axis=(1, 2)) + delta, 0, 1)
            img[:] = img * (1 - alpha[None]) + alpha[None] * level[:, None, None]
        return alpha

    def _scratch(self, img: np.ndarray, donor=None) -> np.ndarray:
        s, r = self.settings, self.rng
        c, h, w = img.shape
        base = min(h, w)
        length = r.uniform(*s.scratch_length) * base
        p0 = np.array([r.uniform(0.1 * h, 0.9 * h), r.uniform(0.1 * w, 0.9 * w)])
        ang = r.uniform(0, 2 * np.pi)
        p2 = p0 + length * np.array([np.sin(ang), np.cos(ang)])
        mid = (p0 + p2) / 2 + r.uniform(-s.scratch_bend, s.scratch_bend) * length * np.array(
            [np.cos(ang), -np.sin(ang)])
        t = np.linspace(0, 1, max(8, int(2 * length)))[:, None]
        pts = (1 - t) ** 2 * p0 + 2 * (1 - t) * t * mid + t ** 2 * p2  # quadratic Bezier
        width = r.uniform(*s.scratch_width)
        pad = width + 2
        y0, y1 = int(max(0, pts[:, 0].min() - pad)), int(min(h, pts[:, 0].max() + pad + 1))
        x0, x1 = int(max(0, pts[:, 1].min() - pad)), int(min(w, pts[:, 1].max() + pad + 1))
        alpha = np.zeros((h, w), dtype=np.float32)
        if y1 <= y0 or x1 <= x0:
            return alpha
        yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float32)
        dist = np.sqrt(((yy[..., None] - pts[:, 0]) ** 2 + (xx[..., None] - pts[:, 1]) ** 2).min(axis=-1))
        alpha[y0:y1, x0:x1] = _soft(width / 2 + 0.5 - dist)
        img += alpha[None] * self._delta(c)[:, None, None]
        return alpha

    def _patch(self, img: np.ndarray, donor=None) -> np.ndarray:
        s, r = self.settings, self.rng
        c, h, w = img.shape
        src = donor if donor is not None else img.copy()
        side = int(np.clip(2 * r.uniform(*s.size) * min(h, w), 4, min(h, w) // 2))
        sy, sx = int(r.integers(0, h - side + 1)), int(r.integers(0, w - side + 1))
        ty, tx = int(r.integers(0, h - side + 1)), int(r.integers(0, w - side + 1))
        patch = src[:, sy:sy + side, sx:sx + side]
        patch = np.rot90(patch, k=int(r.integers(1, 4)), axes=(1, 2))
        if r.random() < 0.5:
            patch = patch[:, :, ::-1]
        patch = patch * r.uniform(0.85, 1.15) + r.uniform(-0.05, 0.05)
        yy, xx = np.mgrid[0:side, 0:side].astype(np.float32)
        if s.patch_shape == "ellipse":
            d = np.sqrt(((yy - (side - 1) / 2) / (side / 2)) ** 2 + ((xx - (side - 1) / 2) / (side / 2)) ** 2)
            local = _soft((1.0 - d) / 0.15 + 0.5)
        else:
            local = np.ones((side, side), dtype=np.float32)
        alpha = np.zeros((h, w), dtype=np.float32)
        alpha[ty:ty + side, tx:tx + side] = local
        region = img[:, ty:ty + side, tx:tx + side]
        img[:, ty:ty + side, tx:tx + side] = region * (1 - local) + patch * local
        return alpha

    def _smudge(self, img: np.ndarray, donor=None) -> np.ndarray:
        s, r = self.settings, self.rng
        c, h, w = img.shape
        yy, xx = self._grid(h, w)
        rad = max(2.0, 1.5 * r.uniform(*s.size) * min(h, w))
        cy, cx = r.uniform(0.15 * h, 0.85 * h), r.uniform(0.15 * w, 0.85 * w)
        field_ = np.zeros((h, w), dtype=np.float32)
        for _ in range(3):  # an irregular low-frequency stain
            oy, ox = map(float, r.normal(0, rad / 2, size=2))  # Python floats: see _blob
            rr = rad * r.uniform(0.5, 1.0)
            field_ = np.maximum(field_, np.exp(-(((yy - cy - oy) ** 2 + (xx - cx - ox) ** 2) / (2 * rr * rr))))
        # Full strength inside, soft edge: strength >= 0.5 marks the defect.
        alpha = _soft((field_ - 0.3) / 0.4)
        img += alpha[None] * self._delta(c)[:, None, None]
        return alpha
