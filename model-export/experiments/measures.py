"""Reruns the "Other measures" of model-export/README.md: alternatives to the default recipe, measured on the
synthetic tiles. Not part of the package or its tests; every figure those README lines quote is printed here.

    cd model-export
    # the default recipe, and variants (about 8 minutes each on 2 cores)
    PYTHONPATH=src /usr/bin/python3 experiments/measures.py train --out runs/exp-s0 --seed 0
    PYTHONPATH=src /usr/bin/python3 experiments/measures.py train --out runs/exp-s1 --seed 1
    PYTHONPATH=src /usr/bin/python3 experiments/measures.py train --out runs/exp-faint --seed 0 --faint
    # three times the training images (another dataset, seed 43; its own split feeds training only), ~15 min
    java -jar ../synthetic-factory/target/synthetic-factory.jar dataset --out ../data/big --products tiles \
        --seed 43 --train-good 2400 --test-good 1 --per-defect 1
    PYTHONPATH=src /usr/bin/python3 experiments/measures.py --data ../data/big/tiles train --out runs/exp-big \
        --seed 0 --epochs 20
    # heads, normalisation, padding, threshold trade-off, region offsets (and a two-CAE ensemble)
    PYTHONPATH=src /usr/bin/python3 experiments/measures.py heads runs/exp-s0/best.pt [runs/exp-s1/best.pt]
    PYTHONPATH=src /usr/bin/python3 experiments/measures.py heads runs/exp-faint/best.pt --only baseline
    PYTHONPATH=src /usr/bin/python3 experiments/measures.py heads runs/exp-crop112/best.pt --only despeckle
    PYTHONPATH=src /usr/bin/python3 experiments/measures.py heads runs/exp-s0/best.pt --only rings
    PYTHONPATH=src /usr/bin/python3 experiments/measures.py heads runs/exp-big/best.pt    # all rows
    PYTHONPATH=src /usr/bin/python3 experiments/measures.py knn runs/exp-s0/best.pt
    PYTHONPATH=src /usr/bin/python3 experiments/measures.py ssim runs/exp-big/best.pt     # ~5 min
    PYTHONPATH=src /usr/bin/python3 experiments/measures.py disc runs/exp-big/best.pt     # ~6 min
    # architecture variants (~10-14 min each), scored with `heads ... --only baseline`
    PYTHONPATH=src /usr/bin/python3 experiments/measures.py train --out runs/exp-skip1 --seed 0 --skips 1
    PYTHONPATH=src /usr/bin/python3 experiments/measures.py train --out runs/exp-l16 --seed 0 --latent 16
    PYTHONPATH=src /usr/bin/python3 experiments/measures.py train --out runs/exp-w32 --seed 0 \
        --widths 32,64,128,128      # ~70 min
    # the error normalised by a learned expectation; Mahalanobis distance of residual patches (~5-10 min each)
    PYTHONPATH=src /usr/bin/python3 experiments/measures.py cond runs/exp-s0/best.pt --epochs 8
    PYTHONPATH=src /usr/bin/python3 experiments/measures.py maha runs/exp-s0/best.pt
    PYTHONPATH=src /usr/bin/python3 experiments/measures.py gms runs/exp-s0/best.pt      # ~3 min
    # the border: whole frames with reflect-padded shifts (default) against 112-pixel crops without shifts
    PYTHONPATH=src /usr/bin/python3 experiments/measures.py train --out runs/exp-crop112 --seed 0 \
        --train-crop 112 --max-shift 0      # ~6 min; then heads runs/exp-crop112/best.pt --only baseline
    PYTHONPATH=src /usr/bin/python3 experiments/measures.py train --out runs/exp-ssimpad --seed 0 --ssim-reflect
    PYTHONPATH=src /usr/bin/python3 experiments/measures.py border runs/exp-s0/best.pt runs/exp-crop112/best.pt \
        runs/exp-ssimpad/best.pt
    # the CAE reading a reflect-padded frame in training and scoring (--context-pad goes before the command)
    PYTHONPATH=src /usr/bin/python3 experiments/measures.py --context-pad 8 train --out runs/exp-pad8 --seed 0
    PYTHONPATH=src /usr/bin/python3 experiments/measures.py --context-pad 8 heads runs/exp-pad8/best.pt --only baseline
    PYTHONPATH=src /usr/bin/python3 experiments/measures.py --context-pad 8 border runs/exp-pad8/best.pt

    # the frame guard against faults of the whole frame (~3 min); --foreign: another product's images
    #   (runs/tiles: the README's `train --data ../data/synth/tiles --work-dir runs/tiles --epochs 40`)
    java -jar ../synthetic-factory/target/synthetic-factory.jar dataset --out ../data/multi --products wood \
        --seed 42 --train-good 20 --test-good 1 --per-defect 1
    PYTHONPATH=src /usr/bin/python3 experiments/measures.py guard runs/tiles/best.pt \
        --foreign ../data/multi/wood/train/good
    # the card's input range (the job's camera-health check) on the test and development sets and on faults of
    # the whole frame (no model runs; seconds)
    PYTHONPATH=src /usr/bin/python3 experiments/measures.py input-range [--card ../models/default/cae.card.json]

    # recall by how much each defect changes the image (the test and development sets with their clean views)
    for s in 42 7; do java -jar ../synthetic-factory/target/synthetic-factory.jar dataset --out ../data/vis$s \
        --products tiles --seed $s --train-good 1 --test-good 1 --per-defect 40 --clean-views; done
    PYTHONPATH=src /usr/bin/python3 experiments/measures.py visibility    # the committed default model, ~1 min

Data: ../data/synth/tiles (training split and test set) and ../data/dev/tiles (development set), made by the
commands in the README's "Default model" section. Reconstructions are cached beside each checkpoint.
"""
from __future__ import annotations

import argparse
from pathlib import Path
from unittest.mock import patch

import numpy as np
import torch
import torch.nn.functional as F

from defect_cae import defects, losses, model
from defect_cae.calibrate import STD_FLOOR_FRACTION
from defect_cae.cli import _configs, build_parser
from defect_cae.data import load_test_set
from defect_cae.model import CAEConfig, ReflectPad, ScoringConfig, ScoringHead, gaussian_blur, gaussian_kernel1d
from defect_cae.pipeline import load_dataset, train_one
from defect_cae.train import load_checkpoint

SETS = ("val", "calib", "test", "dev")
HEAD = ScoringHead(ScoringConfig(), 128, 128, 1)


def train(args):
    if args.faint:
        # Fainter, thinner and larger synthetic defects in the denoising inputs than DefectSettings.training().
        defects.DefectSettings.training = classmethod(
            lambda cls: cls(contrast=(0.03, 0.5), scratch_width=(0.7, 3.0), size=(0.03, 0.2)))
    if args.ssim_reflect:
        # The SSIM term of the loss over the whole frame (reflect-padded, as the scoring head computes it) instead
        # of its 'valid' region, which leaves the outer window radius of pixels to the MSE term alone.
        plain = losses.ssim_map

        def padded(x, y, sigma=1.5, data_range=1.0):
            r = gaussian_kernel1d(sigma).numel() // 2
            return plain(F.pad(x, (r,) * 4, mode="reflect"), F.pad(y, (r,) * 4, mode="reflect"), sigma, data_range)
        losses.ssim_map = padded
    cli = build_parser().parse_args(["train", "--data", str(args.data), "--work-dir", str(args.out),
                                     "--epochs", str(args.epochs), "--latent", str(args.latent),
                                     "--widths", args.widths, "--skips", str(args.skips), "--denoise-prob", str(args.denoise_prob),
                                     "--seed", str(args.seed), "--max-shift", str(args.max_shift),
                                     "--train-crop", str(args.train_crop)])
    tcfg, kw = _configs(cli, torch.device("cpu"))
    ds = load_dataset(cli.data, 1, 128, 128, 0, with_test=False)  # split seed 0: the same good split every time
    train_one(ds, CAEConfig(channels=1, **kw), tcfg, cli.work_dir, torch.device("cpu"), print)


class Recons:
    """Images, reconstructions, labels, types and masks of the four sets, for one checkpoint (cached)."""

    def __init__(self, checkpoint: Path, data: Path, dev: Path):
        self.cae, _ = load_checkpoint(checkpoint)
        self.cae.eval()
        cache = checkpoint.with_name("measures-recons.npz")
        if not cache.exists():
            ds = load_dataset(data, 1, 128, 128, 0, with_test=True)
            dv = load_test_set(dev, 1, 128, 128)
            x = {"val": ds.val, "calib": ds.calib, "test": ds.test.images, "dev": dv.images}
            arrays = {k + "_x": v for k, v in x.items()}
            arrays.update({k + "_r": self.reconstruct(v) for k, v in x.items()})
            for k, t in (("test", ds.test), ("dev", dv)):
                arrays.update({k + "_lab": t.labels.astype(bool), k + "_typ": np.array(t.types), k + "_mask": t.masks})
            np.savez(cache, **arrays)
        z = np.load(cache)
        self.x = {k: z[k + "_x"] for k in SETS}
        self.r = {k: z[k + "_r"] for k in SETS}
        self.lab = {k: z[k + "_lab"] for k in ("test", "dev")}
        self.typ = {k: z[k + "_typ"] for k in ("test", "dev")}
        self.mask = {k: z[k + "_mask"] for k in ("test", "dev")}

    def reconstruct(self, x: np.ndarray, pad: int = 0) -> np.ndarray:
        out = []
        with torch.no_grad():
            for i in range(0, len(x), 32):
                xb = torch.from_numpy(np.ascontiguousarray(x[i:i + 32]))
                if pad:
                    r = self.cae(F.pad(xb, (pad,) * 4, mode="reflect"))[:, :, pad:-pad, pad:-pad]
                else:
                    r = self.cae(xb)
                out.append(r.numpy())
        return np.concatenate(out)


def _blur(e: torch.Tensor, sigma: float) -> torch.Tensor:
    k = gaussian_kernel1d(sigma)
    return gaussian_blur(e, k, ReflectPad(k.numel() // 2))


def ssim_maps(x: dict, r: dict, sigma: float = 1.0, scale: int = 1, error=HEAD.ssim_error) -> dict:
    """The default head's smoothed 1 - SSIM map; at scale > 1 on average-pooled images, upsampled back."""
    out = {}
    for k in x:
        xs, rs = torch.from_numpy(x[k]), torch.from_numpy(r[k])
        if scale > 1:
            xs, rs = F.avg_pool2d(xs, scale), F.avg_pool2d(rs, scale)
        e = torch.cat([_blur(error(xs[i:i + 64], rs[i:i + 64]), sigma) for i in range(0, len(xs), 64)])
        if scale > 1:
            e = F.interpolate(e, scale_factor=scale, mode="bilinear", align_corners=False)
        out[k] = e
    return out


def brightness_maps(x: dict, r: dict, sigma: float, squared: bool) -> dict:
    out = {}
    for k in x:
        d = torch.from_numpy(x[k]) - torch.from_numpy(r[k])
        e = torch.cat([_blur(d[i:i + 64] * d[i:i + 64] if squared else d[i:i + 64], sigma)
                       for i in range(0, len(d), 64)])
        out[k] = e if squared else e.abs()
    return out


def z_maps(maps: dict, reference: torch.Tensor, sigma: float | None = 1.0) -> dict:
    """Per-pixel z-score against good reference maps (mean and std blurred like calibrate.py does)."""
    mean, std = reference.mean(0, keepdim=True), reference.std(0, keepdim=True)
    if sigma:
        mean, std = _blur(mean, sigma), _blur(std, sigma)
    std = torch.clamp(std, min=float(std.median()) * STD_FLOOR_FRACTION)
    return {k: ((v - mean) / std).flatten(1).numpy() for k, v in maps.items()}


def line_kernels(length: int, directions: int = 8) -> torch.Tensor:
    """Averaging kernels along a straight segment of `length` pixels through the centre, one per direction."""
    c = (length - 1) / 2
    kernels = np.zeros((directions, 1, length, length), dtype=np.float32)
    for i in range(directions):
        a = np.pi * i / directions
        for t in np.linspace(-c, c, 4 * length):
            kernels[i, 0, int(round(c + t * np.sin(a))), int(round(c + t * np.cos(a)))] = 1
    return torch.from_numpy(kernels / kernels.sum(axis=(2, 3), keepdims=True))


def line_filtered(z: dict, length: int) -> dict:
    kernels, out = line_kernels(length), {}
    for name, v in z.items():
        t = F.pad(torch.from_numpy(v).reshape(-1, 1, 128, 128), (length // 2,) * 4, mode="reflect")
        out[name] = torch.cat([F.conv2d(t[i:i + 64], kernels).amax(1) for i in range(0, len(t), 64)]) \
            .flatten(1).numpy()
    return out


def _line_extremum(f: torch.Tensor, step: tuple[int, int], length: int, darker: bool) -> torch.Tensor:
    """Grey-scale erosion (darker) or dilation by a straight segment of `length` pixels along `step`."""
    c = length // 2
    padded, (h, w) = F.pad(f, (c,) * 4, mode="replicate"), f.shape[-2:]
    shifted = torch.stack([padded[..., c + i * step[0]:c + i * step[0] + h, c + i * step[1]:c + i * step[1] + w]
                           for i in range(-c, c + 1)])
    return shifted.amin(0) if darker else shifted.amax(0)


def despeckled(x: dict, length: int) -> dict:
    """Dark features too small to hold a segment of `length` pixels in any of 4 directions filled in (minimum over
    directions of grey-scale closings): the tiles' dark speckles go, dark lines and larger dark areas stay."""
    out = {}
    for k, v in x.items():
        f = torch.from_numpy(v)
        closings = [_line_extremum(_line_extremum(f, d, length, False), d, length, True)
                    for d in ((0, 1), (1, 0), (1, 1), (1, -1))]
        out[k] = torch.stack(closings).amin(0).numpy()
    return out


def top_k(z: dict, k: int = 8) -> dict:
    return {name: (-np.partition(-v, k - 1, axis=1)[:, :k]).mean(1) for name, v in z.items()}


def normalised(scores: dict) -> dict:
    """Scores in multiples of the threshold rule used throughout: the largest calibration score."""
    t = scores["calib"].max()
    return {k: v / t for k, v in scores.items()}


def report(name: str, scores: dict, rc: Recons):
    s = normalised(scores)
    line = f"{name:34s}"
    for k in ("dev", "test"):
        p, lab, typ = s[k] >= 1.0, rc.lab[k], rc.typ[k]
        tp, fp = int((p & lab).sum()), int((p & ~lab).sum())
        per = " ".join(f"{t[:5]} {np.mean(p[typ == t]):.2f}" for t in sorted(set(typ) - {"good"}))
        line += f" | {k}: P {tp / max(1, tp + fp):.3f} R {tp / lab.sum():.3f} FA {fp} ({per})"
    print(line, flush=True)


def tradeoff(scores: dict, rc: Recons, false_alarms: int) -> tuple[float, float, int, int]:
    """Recall over all defective dev and test images when the threshold lets `false_alarms` of all good images
    (calibration, dev, test) through: compares heads at equal false alarms, which the calibration maximum does not."""
    good = np.concatenate([scores["calib"], scores["dev"][~rc.lab["dev"]], scores["test"][~rc.lab["test"]]])
    bad = np.concatenate([scores["dev"][rc.lab["dev"]], scores["test"][rc.lab["test"]]])
    t = np.sort(good)[::-1][false_alarms]
    return float((bad > t).mean()), false_alarms / len(good), len(good), len(bad)


def print_tradeoff(scores: dict, rc: Recons) -> None:
    print("  recall over all defective dev and test images at " + ", ".join(
        f"{fa} FA: {tradeoff(scores, rc, fa)[0]:.3f}" for fa in (0, 2, 5, 8)), flush=True)


def heads(args):
    rc = Recons(args.checkpoints[0], args.data, args.dev)
    fine_maps = ssim_maps(rc.x, rc.r)
    fine = top_k(z_maps(fine_maps, fine_maps["val"]))
    report("baseline: SSIM, sigma 1, top-8", fine, rc)
    if args.only:
        print_tradeoff(fine, rc)
    if args.only == "baseline":
        return
    if args.only == "rings":
        rings(fine_maps, rc)
        return

    print("\n-- dark speckles removed (grey-scale closings by 3- or 5-pixel segments) before the SSIM map")
    z = z_maps(fine_maps, fine_maps["val"])
    for length in (3, 5):
        dx, dr = despeckled(rc.x, length), despeckled(rc.r, length)
        for name, r in (("image", rc.r), ("image and reconstruction", dr)):
            maps = ssim_maps(dx, r)
            zd = z_maps(maps, maps["val"])
            s = top_k(zd)
            report(f"{name} despeckled, {length} px", s, rc)
            print_tradeoff(s, rc)
            nf, nd = normalised(fine), normalised(s)
            comb = {k: np.maximum(nf[k], nd[k]) for k in nf}
            report("  max(baseline, that)", comb, rc)
            print_tradeoff(comb, rc)
            if length == 3 and r is dr:
                pixelwise = top_k({k: np.maximum(z[k], zd[k]) for k in z})
                report("  one map: pixelwise max of the z-maps", pixelwise, rc)
                print_tradeoff(pixelwise, rc)
    if args.only == "despeckle":
        return

    print("\n-- how many of the map's largest values make the score (k), and the map's blur")
    for sigma in (1.0, 1.5):
        for k in (1, 2, 4, 8, 16, 64, 256):
            s = top_k(z_maps(fine_maps, fine_maps["val"], sigma), k)
            report(f"blur sigma {sigma:g}, top-{k}", s, rc)
            print_tradeoff(s, rc)

    print("\n-- a low-frequency brightness map, alone and by maximum with the baseline")
    for sigma in (2.0, 4.0, 8.0):
        for squared in (False, True):
            m = brightness_maps(rc.x, rc.r, sigma, squared)
            b = top_k(z_maps(m, m["val"], None))
            report(f"|blur(x - r)|{'^2' if squared else ''} sigma {sigma:g}", b, rc)
            nf, nb = normalised(fine), normalised(b)
            report("  max(baseline, that)", {k: np.maximum(nf[k], nb[k]) for k in nf}, rc)

    print("\n-- the residual's sign: brighter or darker than the reconstruction, each z-scored, top-4")
    for sigma in (0.7, 1.0, 1.5):
        for sign, name in ((1, "brighter"), (-1, "darker")):
            d = {k: sign * (torch.from_numpy(rc.x[k]) - torch.from_numpy(rc.r[k])) for k in SETS}
            m = {k: torch.cat([_blur(torch.relu(v[i:i + 64]), sigma) for i in range(0, len(v), 64)])
                 for k, v in d.items()}
            sc = top_k(z_maps(m, m["val"]), 4)
            report(f"{name}, blur sigma {sigma:g}", sc, rc)
            nf, ns = normalised(fine), normalised(sc)
            comb = {k: np.maximum(nf[k], ns[k]) for k in nf}
            report("  max(baseline, that)", comb, rc)
            print_tradeoff(comb, rc)

    print("\n-- a second, coarser SSIM map")
    for scale in (2, 4):
        m = ssim_maps(rc.x, rc.r, scale=scale)
        c = top_k(z_maps(m, m["val"]))
        report(f"coarse map {128 // scale}x{128 // scale} alone", c, rc)
        nf, nc = normalised(fine), normalised(c)
        report("  max(baseline, that)", {k: np.maximum(nf[k], nc[k]) for k in nf}, rc)
        report("  mean(baseline, that)", {k: (nf[k] + nc[k]) / 2 for k in nf}, rc)

    print("\n-- oriented line filters on the z-map (mean along a segment, maximum over 8 directions), for scratches")
    z = z_maps(fine_maps, fine_maps["val"])
    for length in (7, 11, 15, 21):
        lines = line_filtered(z, length)
        nf, nl = normalised(fine), normalised(top_k(lines, 4))
        report(f"segments of {length} px, top-4", top_k(lines, 4), rc)
        report("  max(baseline, that)", {k: np.maximum(nf[k], nl[k]) for k in nf}, rc)

    print("\n-- per-pixel statistics from more good images (val + the test set's good images)")
    good_test = fine_maps["test"][torch.from_numpy(~rc.lab["test"])]
    report("normalised on 320 good images", top_k(z_maps(fine_maps, torch.cat([fine_maps["val"], good_test]))),
           rc)

    print("\n-- context padding at inference (reflect, reconstruction cropped back)")
    for pad in (8, 16):
        r = {k: rc.reconstruct(rc.x[k], pad) for k in SETS}
        m = ssim_maps(rc.x, r)
        report(f"input padded by {pad} px", top_k(z_maps(m, m["val"])), rc)

    print("\n-- threshold trade-off: all good images of calibration, dev and test sets against all defective ones")
    for fa in (0, 1, 2, 3, 5, 8):
        rec, far, n_good, n_bad = tradeoff(fine, rc, fa)
        precision = 0.1 * rec / (0.1 * rec + 0.9 * far)
        print(f"{fa} of {n_good} good images over the threshold ({100 * far:.1f} %): recall {rec:.3f} of "
              f"{n_bad}, precision at a 10 % defect rate {precision:.3f}")

    print("\n-- region position: centre of the pixels over the pixel threshold against the true defect's centre")
    z = z_maps(fine_maps, fine_maps["val"])
    # The pixel threshold rule of calibrate.py: largest 16th-largest value over the calibration images.
    pixel_threshold = np.partition(-z["calib"], 15, axis=1)[:, 15].min() * -1
    offsets = {}
    for i in np.flatnonzero(rc.lab["dev"]):
        over = z["dev"][i].reshape(128, 128) >= pixel_threshold
        truth = rc.mask["dev"][i].astype(bool)
        if over.sum() >= 4 and truth.any():
            (oy, ox), (ty, tx) = np.nonzero(over), np.nonzero(truth)
            offsets.setdefault(rc.typ["dev"][i], []).append((ox.mean() - tx.mean(), oy.mean() - ty.mean()))
    print(f"pixel threshold {pixel_threshold:.3f}; {sum(len(v) for v in offsets.values())} defective images")
    for t, v in sorted(offsets.items()):
        a = np.array(v)
        print(f"{t:14s} n={len(a):3d}  median offset dx {np.median(a[:, 0]):+.2f}, dy {np.median(a[:, 1]):+.2f} "
              "map pixels")

    if len(args.checkpoints) > 1:
        print("\n-- ensemble of CAEs (same good split)")
        models = [rc] + [Recons(c, args.data, args.dev) for c in args.checkpoints[1:]]
        zs = []
        for i, m in enumerate(models):
            maps = ssim_maps(m.x, m.r)
            zs.append(z_maps(maps, maps["val"]))
            report(f"model {i}", top_k(zs[-1]), rc)
        mean_r = {k: np.mean([m.r[k] for m in models], axis=0) for k in SETS}
        maps = ssim_maps(rc.x, mean_r)
        report("mean of the reconstructions", top_k(z_maps(maps, maps["val"])), rc)
        report("mean of the z-maps", top_k({k: np.mean([z[k] for z in zs], axis=0) for k in SETS}), rc)


def rings(maps: dict, rc: Recons) -> None:
    """The error normalised per ring (all pixels at one distance from the border pooled), not per pixel: the
    spread follows the distance to the border more than the position along it, and pooling estimates a ring's
    tail from 120 x 4 x (128 - 2d) values instead of one pixel's 120."""
    print("\n-- statistics per ring (distance to the border) instead of per pixel")
    ref = maps["val"][:, 0].numpy()
    yy, xx = np.mgrid[:128, :128]
    dist = np.minimum(np.minimum(yy, xx), np.minimum(127 - yy, 127 - xx))

    def per_ring(f) -> np.ndarray:
        out = np.zeros((128, 128), np.float32)
        for d in range(64):
            out[dist == d] = f(ref[:, dist == d])
        return out

    def scored(centre, scale) -> dict:
        return top_k({k: ((v[:, 0].numpy() - centre) / scale).reshape(len(v), -1) for k, v in maps.items()})
    median = per_ring(np.median)
    variants = [("ring mean / std", per_ring(np.mean), per_ring(np.std))]
    variants += [(f"ring median / (q{q:g} - median)", median, per_ring(lambda a: np.quantile(a, q)) - median)
                 for q in (0.99, 0.999, 0.9999)]
    tail = (per_ring(lambda a: np.quantile(a, 0.999)) - median) / 3.5
    variants.append(("pixel std, at least ring (q0.999 - median) / 3.5", ref.mean(0), np.maximum(ref.std(0), tail)))
    for name, centre, scale in variants:
        s = scored(centre, scale)
        report(name, s, rc)
        print_tradeoff(s, rc)


def ssim(args):
    """The SSIM window and stabilising constant, and matched filters on the residual instead of SSIM."""
    rc = Recons(args.checkpoints[0], args.data, args.dev)

    def ssim_error(window_sigma, c2):
        """The head's own SSIM map with another window and C2 (module constants, patched while in use)."""
        with patch.object(model, "SSIM_SIGMA", window_sigma):
            head = ScoringHead(ScoringConfig(), 128, 128, 1)

        def error(x, r):
            with patch.object(model, "SSIM_C2", c2):
                return head.ssim_error(x, r)
        return error

    def line(scores):
        at = "  ".join(f"{fa} FA: {tradeoff(scores, rc, fa)[0]:.3f}" for fa in (0, 5))
        print(f"{'':34s}   recall over all 480 defective at {at}", flush=True)

    def batched(f, x):
        return torch.cat([f(x[i:i + 64]) for i in range(0, len(x), 64)])

    print("-- SSIM window (Gaussian sigma; the default is 1.5) and C2 (default 0.03^2), blur 1, top-8")
    for window in (1.5, 1.0, 2.5):
        for c2 in (0.03, 0.05, 0.08):
            maps = ssim_maps(rc.x, rc.r, error=ssim_error(window, c2 ** 2))
            s = top_k(z_maps(maps, maps["val"]))
            report(f"window {window:g}, C2 {c2:g}^2", s, rc)
            line(s)
    print("-- smaller C2 at the default window (the contrast term then reacts to fainter texture)")
    for c2 in (0.01, 0.015, 0.02):
        maps = ssim_maps(rc.x, rc.r, error=ssim_error(1.5, c2 ** 2))
        s = top_k(z_maps(maps, maps["val"]))
        report(f"window 1.5, C2 {c2:g}^2", s, rc)
        line(s)

    print("\n-- the image (and the reconstruction) blurred before the default SSIM map, against fine texture")
    for sigma in (0.5, 0.8, 1.2):
        xb = {k: batched(lambda b: _blur(b, sigma), torch.from_numpy(v)).numpy() for k, v in rc.x.items()}
        rb = {k: batched(lambda b: _blur(b, sigma), torch.from_numpy(v)).numpy() for k, v in rc.r.items()}
        for name, r in (("image", rc.r), ("image and reconstruction", rb)):
            maps = ssim_maps(xb, r)
            s = top_k(z_maps(maps, maps["val"]))
            report(f"{name} blurred, sigma {sigma:g}", s, rc)
            line(s)

    print("\n-- the residual x - r over its noise level (sensor noise dominates it), blob and line filters")
    d = {k: torch.from_numpy(rc.x[k] - rc.r[k]) for k in SETS}
    noise = float(d["val"].std())
    print(f"residual std on good validation images: {noise:.4f}")
    for sigma in (1.0, 2.0, 3.0):
        maps = {k: batched(lambda b: _blur(b / noise, sigma), v).abs() for k, v in d.items()}
        s = top_k(z_maps(maps, maps["val"], None))
        report(f"|blur(residual, {sigma:g})|", s, rc)
        line(s)
    for length in (7, 11, 15, 21):
        kernels = line_kernels(length)
        maps = {k: batched(lambda b: F.conv2d(F.pad(b / noise, (length // 2,) * 4, mode="reflect"), kernels)
                           .abs().amax(1, keepdim=True), v) for k, v in d.items()}
        s = top_k(z_maps(maps, maps["val"], None), 4)
        report(f"segments of {length} px on the residual, top-4", s, rc)
        line(s)


def knn(args):
    """PatchCore-style: distance of each patch's encoder features to the nearest good patch."""
    rc = Recons(args.checkpoints[0], args.data, args.dev)
    layers = (3, 7)  # outputs of the first two encoder stages: 16 ch at 64x64 and 32 ch at 32x32

    def features(x: np.ndarray) -> torch.Tensor:
        out = []
        with torch.no_grad():
            for i in range(0, len(x), 32):
                h, fs = torch.from_numpy(x[i:i + 32]), []
                for j, module in enumerate(rc.cae.encoder):
                    h = module(h)
                    if j in layers:
                        fs.append(h)
                size = fs[-1].shape[-1]
                out.append(torch.cat([F.adaptive_avg_pool2d(F.avg_pool2d(f, 3, 1, 1), size) for f in fs], 1))
        return torch.cat(out)

    f = features(rc.x["val"])
    c = f.shape[1]
    bank = f.permute(0, 2, 3, 1).reshape(-1, c)
    bank = bank[torch.randperm(len(bank), generator=torch.Generator().manual_seed(0))[:args.bank]]
    bank_sq = (bank * bank).sum(1)
    print(f"features: {c} channels at {f.shape[-1]}x{f.shape[-1]}; bank of {len(bank)} good patches", flush=True)

    def distances(x: np.ndarray) -> torch.Tensor:
        q = features(x).permute(0, 2, 3, 1).reshape(len(x), -1, c)
        return torch.stack([((p * p).sum(1, keepdim=True) - 2 * p @ bank.T + bank_sq).min(1).values
                            .clamp(min=0).sqrt() for p in q])

    d = {k: distances(rc.x[k]) for k in ("calib", "dev", "test")}
    from sklearn.metrics import roc_auc_score
    for k in (1, 4):
        s = {name: v.topk(k, 1).values.mean(1).numpy() for name, v in d.items()}
        print(f"top-{k}: image AUROC dev {roc_auc_score(rc.lab['dev'], s['dev']):.3f}, "
              f"test {roc_auc_score(rc.lab['test'], s['test']):.3f}")
        report(f"  at the calibration maximum, top-{k}", s, rc)


def disc(args):
    """DRAEM-style: a small U-Net reads (image, reconstruction of the frozen CAE) and segments injected defects."""
    torch.manual_seed(0)
    rc = Recons(args.checkpoints[0], args.data, args.dev)
    train_images = load_dataset(args.data, 1, 128, 128, 0, with_test=False).train.astype(np.float32)
    injector = defects.DefectInjector(defects.DefectSettings(contrast=(0.03, 0.5), scratch_width=(0.7, 3.0),
                                                             size=(0.02, 0.2)), seed=1)

    def block(i, o):
        return torch.nn.Sequential(*[m for c in (i, o) for m in (
            torch.nn.Conv2d(c, o, 3, padding=1, padding_mode="reflect"), torch.nn.BatchNorm2d(o),
            torch.nn.ReLU(inplace=True))])

    class Seg(torch.nn.Module):
        def __init__(self, w=16):
            super().__init__()
            self.e1, self.e2, self.e3 = block(2, w), block(w, 2 * w), block(2 * w, 4 * w)
            self.d2, self.d1, self.out = block(6 * w, 2 * w), block(3 * w, w), torch.nn.Conv2d(w, 1, 1)

        def forward(self, x):
            a = self.e1(x)
            b = self.e2(F.max_pool2d(a, 2))
            c = self.e3(F.max_pool2d(b, 2))
            d = self.d2(torch.cat([F.interpolate(c, scale_factor=2), b], 1))
            return self.out(self.d1(torch.cat([F.interpolate(d, scale_factor=2), a], 1)))

    net, rng = Seg(), np.random.default_rng(0)
    opt = torch.optim.Adam(net.parameters(), 1e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, args.epochs)
    for epoch in range(args.epochs):
        net.train()
        total = 0.0
        for batch in np.array_split(rng.permutation(len(train_images)), len(train_images) // 16):
            pairs = [injector(train_images[j]) if rng.random() < 0.5
                     else (train_images[j], np.zeros((128, 128), bool)) for j in batch]
            x = torch.from_numpy(np.stack([p[0] for p in pairs]))
            m = torch.from_numpy(np.stack([p[1] for p in pairs])[:, None].astype(np.float32))
            with torch.no_grad():
                r = rc.cae(x)
            logit = net(torch.cat([x, r], 1))
            p = torch.sigmoid(logit)
            focal = ((1 - torch.where(m > 0, p, 1 - p)) ** 2
                     * F.binary_cross_entropy_with_logits(logit, m, reduction="none")).mean()
            opt.zero_grad()
            focal.backward()
            opt.step()
            total += float(focal)
        sched.step()
        print(f"epoch {epoch + 1}/{args.epochs}: focal loss {total:.4f}", flush=True)
    net.eval()
    with torch.no_grad():
        maps = {k: torch.cat([torch.sigmoid(net(torch.cat([torch.from_numpy(rc.x[k][i:i + 32]),
                                                            torch.from_numpy(rc.r[k][i:i + 32])], 1)))
                              for i in range(0, len(rc.x[k]), 32)]) for k in SETS}
    fine_maps = ssim_maps(rc.x, rc.r)
    fine = top_k(z_maps(fine_maps, fine_maps["val"]))
    report("baseline: SSIM, sigma 1, top-8", fine, rc)
    from sklearn.metrics import roc_auc_score
    for pool in (1, 5):
        seg = top_k({k: (F.avg_pool2d(v, pool, 1, pool // 2) if pool > 1 else v).flatten(1).numpy()
                     for k, v in maps.items()})
        print(f"segmentation, {pool}x{pool} mean, top-8: image AUROC dev {roc_auc_score(rc.lab['dev'], seg['dev']):.3f}"
              f", test {roc_auc_score(rc.lab['test'], seg['test']):.3f}")
        report("  at the calibration maximum", seg, rc)
        nf, ns = normalised(fine), normalised(seg)
        report("  max(baseline, that)", {k: np.maximum(nf[k], ns[k]) for k in nf}, rc)


class ErrorPredictor(torch.nn.Module):
    """Expected mean and spread of a good image's error at each pixel, from its reconstruction (which holds no
    defect) and the per-pixel statistics: the tile grid sits at another offset in each image, which the fixed
    per-pixel statistics cannot follow."""

    def __init__(self, width: int = 24):
        super().__init__()
        layers, c = [], 3
        for dilation in (1, 2, 4, 8, 1):
            layers += [torch.nn.Conv2d(c, width, 3, padding=dilation, dilation=dilation, padding_mode="reflect"),
                       torch.nn.LeakyReLU(0.2)]
            c = width
        layers.append(torch.nn.Conv2d(c, 2, 1))
        self.net = torch.nn.Sequential(*layers)

    def forward(self, r, mean, log_std):
        out = self.net(torch.cat([r, mean.expand_as(r), log_std.expand_as(r)], 1))
        return mean + out[:, :1], log_std + out[:, 1:]


def cond(args):
    """Error normalised by a learned, image-conditional expectation instead of fixed per-pixel statistics."""
    rc = Recons(args.checkpoints[0], args.data, args.dev)
    x, r = train_recons(rc, args.checkpoints[0], args.data)
    maps = ssim_maps(x, r)
    log = args.log
    tr = (lambda m: torch.log(m.clamp_min(0) + 1e-3)) if log else (lambda m: m)
    e = {k: tr(v) for k, v in maps.items()}
    mean = e["train"].mean(0, keepdim=True)
    log_std = torch.log(e["train"].std(0, keepdim=True))
    fixed = {k: ((v - mean) / log_std.exp()).flatten(1).numpy() for k, v in e.items()}
    report(f"fixed per-pixel statistics ({'log ' if log else ''}train)", top_k(fixed), rc)
    torch.manual_seed(0)
    net = ErrorPredictor(args.width)
    opt = torch.optim.Adam(net.parameters(), lr=2e-3)
    rt, et = torch.from_numpy(r["train"]), e["train"]
    for epoch in range(args.epochs):
        perm, total = torch.randperm(len(rt)), 0.0
        for i in range(0, len(rt), 16):
            idx = perm[i:i + 16]
            mu, ls = net(rt[idx], mean, log_std)
            loss = (ls + 0.5 * ((et[idx] - mu) / ls.exp()) ** 2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss) * len(idx)
        with torch.no_grad():
            mu, ls = net(torch.from_numpy(r["val"]), mean, log_std)
            val = float((ls + 0.5 * ((e["val"] - mu) / ls.exp()) ** 2).mean())
        print(f"epoch {epoch + 1}: train NLL {total / len(rt):.4f}, val NLL {val:.4f}", flush=True)
    z = {}
    with torch.no_grad():
        for k in SETS:
            rk = torch.from_numpy(r[k])
            parts = [net(rk[i:i + 64], mean, log_std) for i in range(0, len(rk), 64)]
            mu, ls = torch.cat([p[0] for p in parts]), torch.cat([p[1] for p in parts])
            z[k] = ((e[k] - mu) / ls.exp()).flatten(1).numpy()
    for name, zz in (("fixed", fixed), ("conditional", z)):
        for k in (4, 8, 16):
            sc = top_k({s: zz[s] for s in SETS}, k)
            report(f"{name}, top-{k}", sc, rc)
            print_tradeoff(sc, rc)


def train_recons(rc: Recons, checkpoint: Path, data: Path) -> tuple[dict, dict]:
    """Images and reconstructions of the four sets plus the training split (its reconstructions cached)."""
    cache = checkpoint.with_name("measures-train-recons.npz")
    if not cache.exists():
        train_x = load_dataset(data, 1, 128, 128, 0, with_test=False).train
        np.savez(cache, x=train_x, r=rc.reconstruct(train_x))
    t = np.load(cache)
    return dict(rc.x, train=t["x"]), dict(rc.r, train=t["r"])


def maha(args):
    """Mahalanobis distance of residual patches under their covariance on good training images, alone and given
    the reconstruction's patch (a linear-Gaussian model of what the CAE leaves behind)."""
    rc = Recons(args.checkpoints[0], args.data, args.dev)
    x, r = train_recons(rc, args.checkpoints[0], args.data)
    p = args.patch

    def patches(xs, rs, conditional):
        t = torch.from_numpy(np.concatenate([xs - rs, rs], 1) if conditional else xs - rs)
        return F.unfold(F.pad(t, (p // 2,) * 4, mode="reflect"), p)  # [N, C*p*p, H*W]

    def whitener(cov):
        return torch.linalg.cholesky(torch.linalg.inv(cov)).T

    for conditional in (False, True):
        f = patches(x["train"][:300], r["train"][:300], conditional)
        f = f.permute(0, 2, 1).reshape(-1, f.shape[1])[::7].double()  # every 7th pixel: enough for 49-98 dims
        mu = f.mean(0)
        cov = torch.cov((f - mu).T) + 1e-8 * torch.eye(f.shape[1], dtype=torch.float64)
        w_joint, w_r = whitener(cov), whitener(cov[p * p:, p * p:]) if conditional else None
        maps = {}
        for k in SETS:
            out = []
            for i in range(0, len(x[k]), 32):
                fk = patches(x[k][i:i + 32], r[k][i:i + 32], conditional).double() - mu.view(1, -1, 1)
                m = (torch.einsum("ij,njk->nik", w_joint, fk) ** 2).sum(1)
                if conditional:  # d given r: joint distance minus the reconstruction's own
                    m = m - (torch.einsum("ij,njk->nik", w_r, fk[:, p * p:]) ** 2).sum(1)
                out.append(_blur(m.clamp_min(0).sqrt().float().view(-1, 1, 128, 128), 1.0))
            maps[k] = torch.cat(out)
        s = top_k(z_maps(maps, maps["val"]))
        report(f"{'d given r' if conditional else 'residual'} patches {p}x{p}, top-8", s, rc)
        print_tradeoff(s, rc)


def ring_values(a: np.ndarray, k: int) -> np.ndarray:
    """Values of (N, H, W) maps on the ring k pixels in from the image border."""
    h, w = a.shape[-2:]
    return np.concatenate([a[:, k, k:w - k].ravel(), a[:, h - 1 - k, k:w - k].ravel(),
                           a[:, k:h - k, k].ravel(), a[:, k:h - k, w - 1 - k].ravel()])


def border(args):
    """How much worse the border is: the residual's RMS on good images by distance to the border (per checkpoint),
    and the exported model's per-pixel error spread there, relative to the image's median."""
    rings = range(10)
    for ck in args.checkpoints:
        rc = Recons(ck, args.data, args.dev)
        d = np.concatenate([rc.x[k] - rc.r[k] for k in ("val", "calib")])[:, 0]
        rms = [float(np.sqrt(np.mean(ring_values(d, k) ** 2))) for k in rings]
        inner = float(np.sqrt(np.mean(d[:, 20:-20, 20:-20] ** 2)))
        print(f"{ck}: residual RMS on good images, rings 0-9 from the border: "
              + " ".join(f"{v:.4f}" for v in rms) + f"; inside 20 px: {inner:.4f}")
        m = ssim_maps(rc.x, rc.r)
        z = z_maps(m, m["val"])
        scores = {k: np.asarray(v) for k, v in top_k(z).items()}
        for k in ("test", "dev"):
            good = ~rc.lab[k]
            zz = np.asarray(z[k])[good].reshape(int(good.sum()), -1)
            top = np.argsort(-scores[k][good])[:8]
            peaks = [divmod(int(zz[i].argmax()), 128) for i in top]
            dist = [min(y, x, 127 - y, 127 - x) for y, x in peaks]
            shown = " ".join(f"{v:.1f}" for v in scores[k][good][top])
            print(f"  {k}: the 8 highest-scoring good images (scores {shown}; calibration maximum "
                  f"{scores['calib'].max():.1f}) peak at {' '.join(map(str, dist))} px from the border")
    import onnx
    from onnx import numpy_helper
    init = {i.name: numpy_helper.to_array(i) for i in onnx.load(str(args.model)).graph.initializer}
    std = init["head.pixel_std"][0]
    ratio = [float(np.median(ring_values(std, k)) / np.median(std)) for k in rings]
    print(f"{args.model}: per-pixel error spread (head.pixel_std) by ring 0-9, times the median: "
          + " ".join(f"{v:.1f}" for v in ratio))


def visibility(args):
    """How visible the missed defects are: each defective test image against its defect-free view (the dataset
    written with --clean-views), at the model's resolution, and whether the exported model alerts on it."""
    from defect_cae.cli import _card_beside
    from defect_cae.data import read_image
    from defect_cae.evaluate import predict_onnx
    c = _card_beside(args.model)["input"]
    size = (c["channels"], c["height"], c["width"])
    peak, area, inset, hit, kind, name, residual = [], [], [], [], [], [], []
    for root in args.sets:
        test = load_test_set(root, *size)
        pred, engine = predict_onnx(args.model, test.images)
        good = test.labels == 0
        residual.append(((test.images[good] - pred.reconstructions[good]) * 255)[..., 20:-20, 20:-20].ravel())
        print(f"{root}: {int(good.sum())} good images, {int((pred.scores[good] >= 1).sum())} alerted ({engine})")
        for i in np.flatnonzero(~good):
            p = Path(test.paths[i])
            clean = read_image(root / "clean" / test.types[i] / p.name, *size)
            delta = np.abs(test.images[i] - clean).max(axis=0) * 255  # grey levels at the model's resolution
            core = np.argwhere(delta >= delta.max() / 2)
            h, w = delta.shape
            peak.append(float(delta.max()))
            area.append(int((delta >= 8).sum()))
            # how far the defect's core reaches into the frame: 0 = all of it on the outermost ring
            inset.append(int(max(min(y, x, h - 1 - y, w - 1 - x) for y, x in core)))
            hit.append(bool(pred.scores[i] >= 1))
            kind.append(test.types[i])
            name.append(f"{root.parent.name}/{test.types[i]}/{p.name}")
    peak, area, inset, hit = np.array(peak), np.array(area), np.array(inset), np.array(hit)
    print(f"{len(hit)} defective images, {int(hit.sum())} found (recall {hit.mean():.3f}); residual of good images "
          f"20 px or more inside: std {np.concatenate(residual).std():.1f} grey levels")

    def rows(title, edges, values):
        print(title)
        for lo, hi in zip(edges[:-1], edges[1:]):
            sel = (values >= lo) & (values < hi)
            if sel.any():
                print(f"  [{lo:g}, {hi:g}): {int(sel.sum()):4d} images, found {int(hit[sel].sum()):4d} "
                      f"(recall {hit[sel].mean():.3f})")
    rows("by the defect's largest change of a pixel (grey levels, 0-255, at the model's resolution):",
         [0, 8, 16, 24, 32, 48, 64, 256], peak)
    rows("by the defect's area (model pixels changed by 8 levels or more):", [0, 1, 4, 8, 16, 32, 64, 16384], area)
    rows("by how far the defect's core (pixels changed at least half its largest change) reaches into the frame "
         "(model pixels from the border):", [0, 4, 8, 16, 32, 65], inset)
    for t in (16, 24, 32):
        for b in (0, 8):
            sel = (peak >= t) & (inset >= b)
            print(f"  change >= {t} levels and core >= {b} px from the border: {int(sel.sum())} images "
                  f"({sel.mean():.1%} of all), recall {hit[sel].mean():.3f}; the others: recall {hit[~sel].mean():.3f}")
    print("missed:")
    for i in np.argsort(peak):
        if not hit[i]:
            print(f"  {name[i]:<28} change {peak[i]:5.1f} levels, area {area[i]:4d} px, "
                  f"core reaches {inset[i]:2d} px in")


def grid(args):
    """Each head of `run`'s grid on one checkpoint: the synthetic-validation figures it is chosen by, beside the
    test set's (which `run` never looks at), to see whether the choice carries over to the test set's defects."""
    from defect_cae.calibrate import default_min_region_area
    from defect_cae.pipeline import calibrate_and_score, head_grid, selection_value
    cae, _ = load_checkpoint(args.checkpoints[0])
    cfg = cae.config
    ds = load_dataset(args.data, cfg.channels, cfg.height, cfg.width, args.seed)
    area = default_min_region_area(cfg.height, cfg.width)
    print(f"{args.data}: {'error':>5} {'sigma':>5} {'per-image':>9} | {'val img':>7} {'val px':>7} {'value':>6} | "
          f"{'test img':>8} {'test px':>7} {'recall':>6} {'FA':>3}")
    for sc in head_grid(ScoringConfig(top_k=area)):
        _, _, v, t = calibrate_and_score(cae, ds, sc, 0.01, area, torch.device("cpu"))
        at = t["overall"]["image_at_threshold"]
        print(f"{'':{len(str(args.data)) + 1}} {sc.error:>5} {sc.smoothing_sigma:>5} {str(sc.per_image_norm):>9} | "
              f"{v['overall']['image_auroc']:7.4f} {v['overall']['pixel_auroc']:7.4f} "
              f"{selection_value(v):6.4f} | {t['overall']['image_auroc']:8.4f} "
              f"{t['overall'].get('pixel_auroc', float('nan')):7.4f} {at['recall']:6.3f} {at['fp']:3d}")


def whole_frame_faults(good: np.ndarray) -> dict[str, np.ndarray]:
    """Faults of the whole frame, each made from every given good image."""
    blurred = gaussian_blur(torch.from_numpy(good), gaussian_kernel1d(3.0), ReflectPad(9)).numpy()
    return {"black": np.zeros_like(good), "white": np.ones_like(good), "flat grey": np.full_like(good, 0.5),
            "noise": np.random.default_rng(0).random(good.shape, dtype=np.float32), "half as bright": good * 0.5,
            "1.5x as bright": np.clip(good * 1.5, 0, 1), "inverted": 1 - good, "blurred (sigma 3)": blurred}


def guard(args):
    """The frame guard: `run`'s default head (per-image normalisation, so with the guard) with and without it,
    beside the default model's head (no per-image normalisation), on the development set and on faults of the
    whole frame made from its good images; `--foreign` adds a folder of another product's images."""
    from defect_cae.calibrate import default_min_region_area
    from defect_cae.data import list_images, load_images
    from defect_cae.evaluate import compute_metrics, predict
    from defect_cae.model import GUARD_OFF
    from defect_cae.pipeline import calibrate_and_score
    cae, _ = load_checkpoint(args.checkpoints[0])
    cfg = cae.config
    ds = load_dataset(args.data, cfg.channels, cfg.height, cfg.width, 0)
    dev = load_test_set(args.dev, cfg.channels, cfg.height, cfg.width)
    good = dev.images[dev.labels == 0][:20]
    faults = whole_frame_faults(good)
    if args.foreign:
        faults["another product"] = load_images(list_images(args.foreign)[:20], cfg.channels, cfg.height, cfg.width)
    area = default_min_region_area(cfg.height, cfg.width)
    heads = [("per-image norm + guard", ScoringConfig(top_k=area), False),
             ("per-image norm, no guard", ScoringConfig(top_k=area), True),
             ("no per-image norm (default model)", ScoringConfig(smoothing_sigma=1, per_image_norm=False, top_k=8),
              False)]
    print(f"{'head':>34} | {'dev recall':>10} {'FA/' + str(int((dev.labels == 0).sum())):>6} | "
          + " ".join(f"{n:>15}" for n in faults))
    for name, sc, off in heads:
        det, _, _, _ = calibrate_and_score(cae, ds, sc, 0.01, area, torch.device("cpu"), with_test=False)
        if off:
            det.head.level_band.fill_(GUARD_OFF)
            det.head.spread_band.fill_(GUARD_OFF)
        at = compute_metrics(dev, predict(det, dev.images))["overall"]["image_at_threshold"]
        flagged = [f"{int((predict(det, x).scores >= 1).sum()):>2} of {len(x):<2} alert" for x in faults.values()]
        print(f"{name:>34} | {at['recall']:10.3f} {at['fp']:6d} | " + " ".join(f"{f:>15}" for f in flagged))


def input_range(args):
    """The card's input range (the job's camera-health check): how many test and development images, and how many
    whole-frame faults made from 20 good development images, lie outside it. No model runs: the range is on the
    preprocessed input."""
    import json
    from defect_cae.calibrate import input_statistics, out_of_input_range
    card = json.loads(args.card.read_text())
    r = card["thresholds"]["input_range"]
    c = card["input"]
    print(f"{args.card}: from {r['images']} good images, margin {r['margin']:g}: level centre "
          f"{r['level']['centre']:.4f} band {r['level']['band']:.4f}, spread centre {r['spread']['centre']:.4f} "
          f"band {r['spread']['band']:.4f}")
    sets = {"test": load_test_set(args.data, c["channels"], c["height"], c["width"]),
            "dev": load_test_set(args.dev, c["channels"], c["height"], c["width"])}
    for name, t in sets.items():
        out = out_of_input_range(t.images, r)
        good = t.labels == 0
        print(f"{name:>5}: out of range {int(out[good].sum())} of {int(good.sum())} good, "
              f"{int(out[~good].sum())} of {int((~good).sum())} defective")
        level, spread = input_statistics(t.images)
        for part, sel in (("good", good), ("defective", ~good)):
            print(f"       {part:>9}: level {level[sel].min():.4f}..{level[sel].max():.4f}, spread "
                  f"{spread[sel].min():.4f}..{spread[sel].max():.4f}")
    dev = sets["dev"]
    for name, x in whole_frame_faults(dev.images[dev.labels == 0][:20]).items():
        level, spread = input_statistics(x)
        print(f"{name:>18}: {int(out_of_input_range(x, r).sum()):>2} of {len(x)} out of range (level "
              f"{level.min():.3f}..{level.max():.3f}, spread {spread.min():.3f}..{spread.max():.3f})")


def gradient_similarity(x: torch.Tensor, r: torch.Tensor, c: float, scales: int) -> torch.Tensor:
    """1 - gradient magnitude similarity (Prewitt), averaged over `scales` dyadic scales (MSGMS, as in RIAD)."""
    kx = torch.tensor([[1.0, 0.0, -1.0]] * 3).reshape(1, 1, 3, 3) / 3

    def magnitude(t):
        t = F.pad(t, (1,) * 4, mode="replicate")
        return torch.sqrt(F.conv2d(t, kx) ** 2 + F.conv2d(t, kx.transpose(2, 3)) ** 2 + 1e-12)
    total = torch.zeros_like(x)
    for s in range(scales):
        xs, rs = (F.avg_pool2d(x, 2 ** s), F.avg_pool2d(r, 2 ** s)) if s else (x, r)
        gx, gr = magnitude(xs), magnitude(rs)
        e = 1 - (2 * gx * gr + c) / (gx ** 2 + gr ** 2 + c)
        total += F.interpolate(e, size=x.shape[-2:], mode="bilinear", align_corners=False) if s else e
    return total / scales


def gms(args):
    """Gradient magnitude similarity instead of SSIM, alone and by maximum with the default map."""
    rc = Recons(args.checkpoints[0], args.data, args.dev)
    fine_maps = ssim_maps(rc.x, rc.r)
    fine_z = z_maps(fine_maps, fine_maps["val"])
    report("baseline: SSIM, sigma 1, top-8", top_k(fine_z), rc)
    print_tradeoff(top_k(fine_z), rc)
    for c in (0.0026, 0.01):
        for scales in (1, 2, 4):
            for sigma in (1.0, 2.0):
                maps = {k: torch.cat([_blur(gradient_similarity(torch.from_numpy(v[i:i + 64]),
                                                                torch.from_numpy(rc.r[k][i:i + 64]), c, scales), sigma)
                                      for i in range(0, len(v), 64)]) for k, v in rc.x.items()}
                z = z_maps(maps, maps["val"])
                report(f"GMS c {c} scales {scales} sigma {sigma}", top_k(z), rc)
                print_tradeoff(top_k(z), rc)
                both = top_k({k: np.maximum(fine_z[k], z[k]) for k in z})
                report("  by maximum with the default", both, rc)
                print_tradeoff(both, rc)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, default=Path("../data/synth/tiles"))
    p.add_argument("--dev", type=Path, default=Path("../data/dev/tiles"))
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--context-pad", type=int, default=0,
                   help="the CAE reads its input reflect-padded by this many pixels and its output is cropped back, "
                        "in training and scoring alike (give it to both)")
    sub = p.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="the default recipe (40 epochs, latent 8), optionally with fainter defects, "
                                        "another bottleneck or skip connections")
    t.add_argument("--out", type=Path, required=True)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--faint", action="store_true")
    t.add_argument("--epochs", type=int, default=40)
    t.add_argument("--latent", type=int, default=8, help="bottleneck channels")
    t.add_argument("--widths", default="16,32,64,64", help="encoder stage widths")
    t.add_argument("--skips", type=int, default=0, help="U-Net skip connections at the finest N resolutions")
    t.add_argument("--denoise-prob", type=float, default=0.5, help="share of inputs given synthetic defects")
    t.add_argument("--max-shift", type=int, default=4, help="shift augmentation (reflect-padded), pixels")
    t.add_argument("--train-crop", type=int, default=0, help="train on random crops of this side (0 = whole)")
    t.add_argument("--ssim-reflect", action="store_true", help="SSIM loss over the whole frame (reflect padding)")
    h = sub.add_parser("heads", help="alternatives to the default head; a second checkpoint adds an ensemble")
    h.add_argument("checkpoints", type=Path, nargs="+")
    h.add_argument("--only", choices=["baseline", "despeckle", "rings"])
    k = sub.add_parser("knn", help="nearest-neighbour distance on the CAE's encoder features")
    k.add_argument("checkpoints", type=Path, nargs=1)
    k.add_argument("--bank", type=int, default=20000)
    s = sub.add_parser("ssim", help="SSIM window and constant; matched filters on the residual")
    s.add_argument("checkpoints", type=Path, nargs=1)
    d = sub.add_parser("disc", help="a discriminative segmentation net on (image, reconstruction), DRAEM-style")
    d.add_argument("checkpoints", type=Path, nargs=1)
    d.add_argument("--epochs", type=int, default=12)
    c = sub.add_parser("cond", help="error normalised by a learned expectation conditioned on the reconstruction")
    c.add_argument("checkpoints", type=Path, nargs=1)
    c.add_argument("--epochs", type=int, default=10)
    c.add_argument("--width", type=int, default=24)
    c.add_argument("--log", action="store_true", help="model log(error) instead of the error")
    m = sub.add_parser("maha", help="Mahalanobis distance of residual patches (alone and given the reconstruction)")
    m.add_argument("checkpoints", type=Path, nargs=1)
    m.add_argument("--patch", type=int, default=7)
    b = sub.add_parser("border", help="residual and error spread by distance to the image border")
    b.add_argument("checkpoints", type=Path, nargs="+")
    b.add_argument("--model", type=Path, default=Path("../models/default/cae.onnx"))
    v = sub.add_parser("visibility", help="recall by how much each defect changes the image, and where")
    v.add_argument("sets", type=Path, nargs="*", default=[Path("../data/vis42/tiles"), Path("../data/vis7/tiles")])
    v.add_argument("--model", type=Path, default=Path("../models/default/cae.onnx"))
    g = sub.add_parser("grid", help="run's head grid on one checkpoint: synthetic-validation and test figures")
    g.add_argument("checkpoints", type=Path, nargs=1)
    g.add_argument("--seed", type=int, default=0, help="the training's --seed (its good split)")
    q = sub.add_parser("gms", help="gradient magnitude similarity (MSGMS) instead of SSIM")
    q.add_argument("checkpoints", type=Path, nargs=1)
    f = sub.add_parser("guard", help="the frame guard: development set and whole-frame faults, with and without")
    f.add_argument("checkpoints", type=Path, nargs=1)
    f.add_argument("--foreign", type=Path, help="a folder of another product's images")
    r = sub.add_parser("input-range", help="the card's input range: test, development and whole-frame faults")
    r.add_argument("--card", type=Path, default=Path("../models/default/cae.card.json"))
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    if args.context_pad:
        pad, plain = args.context_pad, model.CAE.forward

        def padded(self, x):
            return plain(self, F.pad(x, (pad,) * 4, mode="reflect"))[:, :, pad:-pad, pad:-pad]
        model.CAE.forward = padded
    {"train": train, "heads": heads, "ssim": ssim, "knn": knn, "disc": disc, "cond": cond, "maha": maha,
     "border": border, "visibility": visibility, "grid": grid, "gms": gms, "guard": guard,
     "input-range": input_range}[args.command](args)


if __name__ == "__main__":
    main()
