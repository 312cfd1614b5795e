"""Small MVTec-layout fixtures made with numpy: a textured, unevenly lit surface with dark/bright defects."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image


def surface(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    # Woven texture (fixed period, random phase as if the product moved slightly) under uneven lighting.
    phase = rng.uniform(0, 2 * np.pi, size=2)
    tex = 0.08 * np.sin(2 * np.pi * xx / 6 + phase[0]) * np.sin(2 * np.pi * yy / 6 + phase[1])
    light = 0.5 + 0.12 * (xx / w) - 0.08 * (yy / h) + rng.uniform(-0.04, 0.04)
    noise = rng.normal(0, 0.015, size=(h, w))
    return np.clip(light + tex + noise, 0, 1)


def add_defect(rng: np.random.Generator, img: np.ndarray, kind: str) -> tuple[np.ndarray, np.ndarray]:
    h, w = img.shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    cy, cx = rng.uniform(0.25, 0.75) * h, rng.uniform(0.25, 0.75) * w
    if kind == "spot":
        r = rng.uniform(0.06, 0.1) * min(h, w)
        mask = (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r
        img = np.where(mask, img - 0.3, img)
    else:  # "line"
        ang = rng.uniform(0, np.pi)
        d = np.abs((xx - cx) * np.sin(ang) - (yy - cy) * np.cos(ang))
        along = np.abs((xx - cx) * np.cos(ang) + (yy - cy) * np.sin(ang))
        mask = (d <= 1.5) & (along <= 0.3 * min(h, w))
        img = np.where(mask, img + 0.35, img)
    return np.clip(img, 0, 1), mask


def to_u8(x: np.ndarray) -> np.ndarray:
    return np.round(x * 255).astype(np.uint8)


def make_mvtec(root: Path, n_train: int = 40, n_test_good: int = 6, n_test_defect: int = 4, size: int = 64,
               seed: int = 0, rgb: bool = False, width: int | None = None) -> Path:
    """Images of `size` rows and `width` (default `size`) columns."""
    rng = np.random.default_rng(seed)
    root = Path(root)
    h, w = size, width or size

    def save(path: Path, arr: np.ndarray) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        a = to_u8(arr)
        if rgb:
            a = np.dstack([a, np.clip(a.astype(int) + 10, 0, 255).astype(np.uint8), a])
        Image.fromarray(a).save(path)

    for i in range(n_train):
        save(root / "train" / "good" / f"{i:03d}.png", surface(rng, h, w))
    for i in range(n_test_good):
        save(root / "test" / "good" / f"{i:03d}.png", surface(rng, h, w))
    for kind in ("spot", "line"):
        for i in range(n_test_defect):
            img, mask = add_defect(rng, surface(rng, h, w), kind)
            save(root / "test" / kind / f"{i:03d}.png", img)
            gt = root / "ground_truth" / kind / f"{i:03d}_mask.png"
            gt.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(mask.astype(np.uint8) * 255).save(gt)
    return root


def as_mvtec_ad2(ad: Path, root: Path, validation: int = 8, private: int = 2) -> Path:
    """The same category in the MVTec AD 2 layout: the last `validation` train/good images move to
    validation/good, the defect types merge into test_public/bad (named <type>_<stem>), the masks go to
    test_public/ground_truth/bad/, and test_private/ gets unlabelled copies of good images."""
    root = Path(root)
    train = sorted((ad / "train" / "good").iterdir())
    for i, p in enumerate(train):
        _copy(p, root / ("validation" if i >= len(train) - validation else "train") / "good" / p.name)
    for p in sorted((ad / "test" / "good").iterdir()):
        _copy(p, root / "test_public" / "good" / p.name)
        if private:
            private -= 1
            _copy(p, root / "test_private" / p.name)
    for kind in sorted(d.name for d in (ad / "test").iterdir() if d.name != "good"):
        for p in sorted((ad / "test" / kind).iterdir()):
            _copy(p, root / "test_public" / "bad" / f"{kind}_{p.name}")
            _copy(ad / "ground_truth" / kind / f"{p.stem}_mask.png",
                  root / "test_public" / "ground_truth" / "bad" / f"{kind}_{p.stem}_mask.png")
    return root


def as_mvtec_loco(ad: Path, root: Path) -> Path:
    """The same category in the MVTec LOCO layout: each mask becomes a folder ground_truth/<type>/<stem>/ of two
    files, the defect's upper rows (pixel value 243) and its lower rows (255), as LOCO stores one file per defect."""
    root = Path(root)
    for p in (ad / "train" / "good").iterdir():
        _copy(p, root / "train" / "good" / p.name)
    for kind_dir in (ad / "test").iterdir():
        for p in kind_dir.iterdir():
            _copy(p, root / "test" / kind_dir.name / p.name)
            if kind_dir.name == "good":
                continue
            mask = np.array(Image.open(ad / "ground_truth" / kind_dir.name / f"{p.stem}_mask.png")) > 0
            rows = np.flatnonzero(mask.any(axis=1))
            split = rows[len(rows) // 2]
            upper, lower = mask.copy(), mask.copy()
            upper[split:], lower[:split] = False, False
            folder = root / "ground_truth" / kind_dir.name / p.stem
            folder.mkdir(parents=True, exist_ok=True)
            Image.fromarray(upper.astype(np.uint8) * 243).save(folder / "000.png")
            Image.fromarray(lower.astype(np.uint8) * 255).save(folder / "001.png")
    return root


def _copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_bytes(Path(src).read_bytes())
