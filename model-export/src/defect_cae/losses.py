"""Reconstruction losses: MSE, SSIM and their weighted mix."""
from __future__ import annotations

import torch
import torch.nn.functional as F

from .model import gaussian_kernel1d


def ssim_map(x: torch.Tensor, y: torch.Tensor, sigma: float = 1.5, data_range: float = 1.0) -> torch.Tensor:
    """Per-pixel SSIM (Wang et al. 2004; Gaussian window sigma 1.5), 'valid' region only, per channel."""
    k = gaussian_kernel1d(sigma).to(x)
    c = x.shape[1]
    kh = k.view(1, 1, 1, -1).repeat(c, 1, 1, 1)
    kv = k.view(1, 1, -1, 1).repeat(c, 1, 1, 1)

    def blur(t):
        return F.conv2d(F.conv2d(t, kh, groups=c), kv, groups=c)

    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    mx, my = blur(x), blur(y)
    vx = blur(x * x) - mx * mx
    vy = blur(y * y) - my * my
    cxy = blur(x * y) - mx * my
    return ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))


def ssim(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return ssim_map(x, y).mean()


def reconstruction_loss(recon: torch.Tensor, target: torch.Tensor, kind: str = "mix",
                        ssim_weight: float = 0.5) -> torch.Tensor:
    """kind: "mse", "ssim" (1 - SSIM) or "mix" = (1 - w) * MSE + w * (1 - SSIM)."""
    if kind == "mse":
        return F.mse_loss(recon, target)
    if kind == "ssim":
        return 1.0 - ssim(recon, target)
    if kind == "mix":
        return (1.0 - ssim_weight) * F.mse_loss(recon, target) + ssim_weight * (1.0 - ssim(recon, target))
    raise ValueError(f"unknown loss {kind!r} (mse, ssim, mix)")
