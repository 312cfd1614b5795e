"""The convolutional autoencoder and its scoring head (pure nn.Modules plus config dataclasses).

`Detector` = CAE + `ScoringHead` is exactly the module that is exported to ONNX, and evaluation runs the same
module, so the error map and score the Java job sees are the ones that were evaluated.
"""
from __future__ import annotations

import contextlib
import math
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn


@contextlib.contextmanager
def exact_float32():
    """Convolutions and matrix products in full float32 on a GPU. PyTorch lets cuDNN use TF32 (10 mantissa bits)
    on Ampere and later by default, fine for training but not for the normalisation statistics, thresholds and
    metrics, which must be those of the float32 model the job runs (the SSIM map already loses about three
    digits to cancellation in float32). Usable as a decorator."""
    settings = precision_settings()
    saved = [getattr(owner, name) for owner, name, _, _ in settings]
    for owner, name, full, _ in settings:
        setattr(owner, name, full)
    try:
        yield
    finally:
        for (owner, name, _, _), value in zip(settings, saved):
            setattr(owner, name, value)


def precision_settings() -> list[tuple[object, str, object, object]]:
    """(owner, attribute, full-float32 value, TF32 value) of cuDNN's convolutions and CUDA's matrix products.
    PyTorch 2.9 replaced the allow_tf32 flags by fp32_precision ("ieee" = full float32) and warns on the old ones,
    or raises once a process has used the new API; older versions have only the flags."""
    conv = getattr(torch.backends.cudnn, "conv", None)
    if conv is not None and hasattr(conv, "fp32_precision"):
        return [(conv, "fp32_precision", "ieee", "tf32"),
                (torch.backends.cuda.matmul, "fp32_precision", "ieee", "tf32")]
    return [(torch.backends.cudnn, "allow_tf32", False, True), (torch.backends.cuda.matmul, "allow_tf32", False, True)]


def tf32_allowed() -> bool:
    return any(getattr(owner, name) != full for owner, name, full, _ in precision_settings())


@dataclass
class CAEConfig:
    channels: int = 1
    height: int = 128
    width: int = 128
    # Encoder stage widths: each stage halves H and W while the channel count grows.
    widths: tuple[int, ...] = (16, 32, 64, 64)
    # Bottleneck capacity: channels of the latent map at 1/2**len(widths) resolution.
    latent_channels: int = 8
    # Reflect padding keeps the border statistics of the input (zero padding makes border pixels stand out).
    padding_mode: str = "reflect"
    # Skip connections (U-Net style) at the finest `skips` resolutions: 1 = the input itself at full resolution,
    # 2 = also the first encoder stage, ... They let the decoder copy fine texture a bottleneck cannot carry,
    # and defects with it: only the denoising training works against that, and on the synthetic tiles it is not
    # enough (model-export/README.md, "Other measures").
    skips: int = 0

    def __post_init__(self):
        self.widths = tuple(int(w) for w in self.widths)
        factor = 2 ** len(self.widths)
        if self.height % factor or self.width % factor:
            raise ValueError(f"height and width must be multiples of {factor} for {len(self.widths)} stages")
        if self.channels not in (1, 3):
            raise ValueError("channels must be 1 or 3")
        if not 0 <= self.skips <= len(self.widths):
            raise ValueError(f"skips must be 0..{len(self.widths)} for {len(self.widths)} stages")

    @property
    def latent_size(self) -> int:
        factor = 2 ** len(self.widths)
        return self.latent_channels * (self.height // factor) * (self.width // factor)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["widths"] = list(self.widths)
        return d


class _ReflectPadOnnx(torch.autograd.Function):
    """Export-only: emits one ONNX `Pad(mode="reflect")` with constant pads, so every shape stays static.

    Eager mode never uses it (no backward is defined); `ReflectPad` switches to it only while exporting.
    """

    @staticmethod
    def forward(ctx, x: torch.Tensor, pad: int) -> torch.Tensor:
        return F.pad(x, (pad, pad, pad, pad), mode="reflect")

    @staticmethod
    def symbolic(g, x, pad: int):
        pads = g.op("Constant", value_t=torch.tensor([0, 0, pad, pad, 0, 0, pad, pad], dtype=torch.long))
        return g.op("Pad", x, pads, mode_s="reflect")


class ReflectPad(nn.Module):
    """Reflect padding by `pad` pixels on both spatial axes (numpy/torch 'reflect': the edge is not repeated).

    Works on any input size, so a CAE trained on crops runs on whole frames. The ONNX export writes a single
    `Pad(mode="reflect")` node: torch 1.13 exports F.pad(mode="reflect") as a dozen shape-computing nodes that
    lose the static output shape, and the former export as two Gathers per pad took 64 % of ONNX Runtime's CPU
    time for the whole model (docs/performance.md).
    """

    def __init__(self, pad: int):
        super().__init__()
        self.pad = pad

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if torch.onnx.is_in_onnx_export():
            return _ReflectPadOnnx.apply(x, self.pad)
        if self.pad >= min(x.shape[-2:]):
            raise ValueError(f"reflect padding {self.pad} needs spatial axes longer than {self.pad}, "
                             f"got {tuple(x.shape[-2:])}")
        return F.pad(x, (self.pad, self.pad, self.pad, self.pad), mode="reflect")


def _conv3x3(cin: int, cout: int, stride: int, padding_mode: str, bias: bool) -> list[nn.Module]:
    if padding_mode == "reflect":
        return [ReflectPad(1), nn.Conv2d(cin, cout, 3, stride, 0, bias=bias)]
    return [nn.Conv2d(cin, cout, 3, stride, 1, bias=bias, padding_mode=padding_mode)]


def _conv_block(cin: int, cout: int, stride: int, padding_mode: str) -> list[nn.Module]:
    return _conv3x3(cin, cout, stride, padding_mode, False) + [nn.BatchNorm2d(cout),
                                                                    nn.LeakyReLU(0.2, inplace=True)]


class CAE(nn.Module):
    """Strided-conv encoder -> 1x1 bottleneck -> nearest-upsample + conv decoder -> sigmoid (optional skips)."""

    def __init__(self, config: CAEConfig):
        super().__init__()
        self.config = config
        pm = config.padding_mode
        enc: list[nn.Module] = []
        c = config.channels
        for w in config.widths:
            enc += _conv_block(c, w, 2, pm)
            c = w
        # One more conv at the lowest resolution widens the receptive field before squeezing.
        enc += _conv_block(c, c, 1, pm)
        self.encoder = nn.Sequential(*enc)
        self.bottleneck = nn.Sequential(
            nn.Conv2d(c, config.latent_channels, 1, bias=False), nn.BatchNorm2d(config.latent_channels),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(config.latent_channels, c, 1, bias=False), nn.BatchNorm2d(c), nn.LeakyReLU(0.2, inplace=True),
        )
        outs = list(config.widths[::-1][1:]) + [config.widths[0]]
        # Channels each decoder stage receives from its skip (stage i works at the resolution of encoder stage
        # n-2-i's output; the last stage at the input's).
        skip_c = [0] * len(outs)
        for level in range(config.skips):
            skip_c[len(outs) - 1 - level] = config.channels if level == 0 else config.widths[level - 1]
        if config.skips == 0:
            dec: list[nn.Module] = []
            for w in outs:
                # Nearest upsampling then a convolution: no checkerboard artefacts (unlike strided transposed convs).
                dec += [nn.Upsample(scale_factor=2, mode="nearest")] + _conv_block(c, w, 1, pm)
                c = w
            dec += _conv3x3(c, config.channels, 1, pm, True) + [nn.Sigmoid()]
            self.decoder = nn.Sequential(*dec)
        else:
            self.up = nn.Upsample(scale_factor=2, mode="nearest")
            self.stages = nn.ModuleList()
            for w, extra in zip(outs, skip_c):
                self.stages.append(nn.Sequential(*_conv_block(c + extra, w, 1, pm)))
                c = w
            self.head = nn.Sequential(*_conv3x3(c, config.channels, 1, pm, True), nn.Sigmoid())
            self.skip_c = skip_c

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.config.skips == 0:
            return self.decoder(self.bottleneck(self.encoder(x)))
        # Encoder outputs at each stage (every stage = conv block of 4 modules with reflect padding, 3 without).
        feats, h = [x], x
        per = len(self.encoder) // (len(self.config.widths) + 1)
        for i in range(len(self.config.widths)):
            h = self.encoder[i * per:(i + 1) * per](h)
            feats.append(h)
        h = self.encoder[len(self.config.widths) * per:](h)
        h = self.bottleneck(h)
        n = len(self.stages)
        for i, stage in enumerate(self.stages):
            h = self.up(h)
            if self.skip_c[i]:
                h = torch.cat([h, feats[n - 1 - i]], dim=1)
            h = stage(h)
        return self.head(h)


@dataclass
class ScoringConfig:
    # Per-pixel error: "ssim" = 1 - SSIM(image, reconstruction) (local means, contrasts and structure in an
    # 11x11 Gaussian window, sigma 1.5), or "sq" = squared difference; both averaged over channels.
    error: str = "ssim"
    # Gaussian smoothing of the error before anything else (same in evaluation and the graph).
    smoothing_sigma: float = 1.0
    # z-score with per-pixel mean/std of good held-out images (constants baked into the graph).
    per_pixel_norm: bool = True
    # Subtract each map's own median and divide by its own robust spread (1.4826 * MAD, floored).
    per_image_norm: bool = True
    # Image score = mean of the top-k values of the normalised map (k = min_region_area by default).
    top_k: int = 16

    def to_dict(self) -> dict:
        return asdict(self)


def gaussian_kernel1d(sigma: float) -> torch.Tensor:
    radius = max(1, int(math.ceil(3 * sigma)))
    t = torch.arange(-radius, radius + 1, dtype=torch.float64)
    k = torch.exp(-0.5 * (t / sigma) ** 2)
    return (k / k.sum()).float()


def gaussian_blur(x: torch.Tensor, kernel: torch.Tensor, pad: ReflectPad) -> torch.Tensor:
    """Separable Gaussian blur of [N, 1, H, W] with reflect padding (pad = ReflectPad of the kernel radius)."""
    x = pad(x)
    x = F.conv2d(x, kernel.view(1, 1, 1, -1))
    return F.conv2d(x, kernel.view(1, 1, -1, 1))


def lower_median(flat: torch.Tensor) -> torch.Tensor:
    """Lower median along dim 1 of [N, M] via TopK (torch.median has no ONNX opset-17 export)."""
    m = flat.shape[1]
    k = (m - 1) // 2 + 1
    return torch.topk(flat, k, dim=1, largest=False, sorted=True)[0][:, k - 1:k]


# Frame-guard buffers (ScoringHead) and their values before calibration: bands this wide keep it off.
GUARD_OFF = 1e30
GUARD_DEFAULTS = {"level_center": 0.0, "level_band": GUARD_OFF, "spread_center": 0.0, "spread_band": GUARD_OFF}

SSIM_SIGMA = 1.5
SSIM_C1 = 0.01 ** 2
SSIM_C2 = 0.03 ** 2


class ScoringHead(nn.Module):
    """(image, reconstruction) -> (error_map [N,1,H,W], score [N]), both in multiples of calibrated thresholds.

    Stages (each returned by `stages()` for calibration):
      err    = mean over channels of 1 - SSIM(image, recon)   (error "ssim", reflect-padded: same size)
               or of (image - reconstruction)^2               (error "sq")
      smooth = gaussian_blur(err)
      z      = (smooth - pixel_mean) / pixel_std                       if per_pixel_norm
      norm   = (z - median(z)) / max(1.4826 * MAD(z), mad_floor)       if per_image_norm
      raw_score = mean of the top-k values of norm
      error_map = norm / pixel_threshold ; score = raw_score / image_threshold
    With per_image_norm, the median and spread it divides out would hide a fault of the whole frame (a covered
    or dark lens, lights off, another product): the frame guard puts them back, score = max(score, guard) with
      guard  = max(|median(z) - level_center| / level_band,
                   |log(1.4826 * MAD(z) + 1e-12) - spread_center| / spread_band)
    (bands from good images, wide: a guard against gross faults, not a detector of defects; a band of GUARD_OFF
    turns it off, as in detectors calibrated before it existed).
    """

    def __init__(self, config: ScoringConfig, height: int, width: int, channels: int = 1):
        super().__init__()
        if config.error not in ("ssim", "sq"):
            raise ValueError(f"unknown error {config.error!r} (ssim, sq)")
        self.config = config
        self.channels = channels
        self.register_buffer("kernel", gaussian_kernel1d(config.smoothing_sigma))
        self.blur_pad = ReflectPad(self.kernel.numel() // 2)
        k = gaussian_kernel1d(SSIM_SIGMA)
        # Depthwise weights for the 5 stacked maps (x, y, x*x, y*y, x*y) of every channel, as concrete buffers
        # (an expand() here has no static shape for the ONNX exporter).
        self.register_buffer("ssim_kh", k.view(1, 1, 1, -1).repeat(5 * channels, 1, 1, 1), persistent=False)
        self.register_buffer("ssim_kv", k.view(1, 1, -1, 1).repeat(5 * channels, 1, 1, 1), persistent=False)
        self.ssim_pad = ReflectPad(k.numel() // 2)
        self.register_buffer("pixel_mean", torch.zeros(1, 1, height, width))
        self.register_buffer("pixel_std", torch.ones(1, 1, height, width))
        self.register_buffer("mad_floor", torch.tensor(1e-6))
        self.register_buffer("pixel_threshold", torch.tensor(1.0))
        self.register_buffer("image_threshold", torch.tensor(1.0))
        for name, value in GUARD_DEFAULTS.items():
            self.register_buffer(name, torch.tensor(value))

    def ssim_error(self, image: torch.Tensor, recon: torch.Tensor) -> torch.Tensor:
        """Mean over channels of 1 - SSIM, same size as the input (reflect padding).

        Written with the difference d = image - recon so that float32 keeps its precision (the textbook form
        subtracts nearly equal second moments; on flat regions that cancellation costs three digits, and ONNX
        Runtime and PyTorch would then disagree visibly). Identical in exact arithmetic:
          luminance = 1 - mean(d)^2 / (mx^2 + my^2 + C1)
          contrast-structure = 1 - var(d) / (var(x) + var(y) + C2)       since 2 cov = var(x) + var(y) - var(d)
        """
        c = image.shape[1]
        d = image - recon
        stack = self.ssim_pad(torch.cat([image, recon, d, image * image + recon * recon, d * d], dim=1))
        stack = F.conv2d(stack, self.ssim_kh, groups=5 * self.channels)
        stack = F.conv2d(stack, self.ssim_kv, groups=5 * self.channels)
        mx, my, md, sq_sum, dd = torch.split(stack, c, dim=1)
        m2 = mx * mx + my * my
        luminance = 1.0 - md * md / (m2 + SSIM_C1)
        contrast_structure = 1.0 - (dd - md * md) / (sq_sum - m2 + SSIM_C2)
        return (1.0 - luminance * contrast_structure).mean(dim=1, keepdim=True)

    def stages(self, image: torch.Tensor, recon: torch.Tensor) -> dict[str, torch.Tensor]:
        if self.config.error == "ssim":
            err = self.ssim_error(image, recon)
        else:
            err = ((image - recon) ** 2).mean(dim=1, keepdim=True)
        smooth = gaussian_blur(err, self.kernel, self.blur_pad)
        z = (smooth - self.pixel_mean) / self.pixel_std if self.config.per_pixel_norm else smooth
        norm = z
        out = {}
        if self.config.per_image_norm:
            flat = torch.flatten(z, 1)
            med = lower_median(flat)
            mad = lower_median(torch.abs(flat - med))
            scale = torch.maximum(mad * 1.4826, self.mad_floor)
            norm = (z - med.view(-1, 1, 1, 1)) / scale.view(-1, 1, 1, 1)
            level, spread = med[:, 0], torch.log(mad[:, 0] * 1.4826 + 1e-12)
            guard = torch.maximum(torch.abs(level - self.level_center) / self.level_band,
                                  torch.abs(spread - self.spread_center) / self.spread_band)
            out = {"level": level, "spread": spread, "guard": guard}
        top = torch.topk(torch.flatten(norm, 1), self.config.top_k, dim=1, largest=True, sorted=True)[0]
        return {"err": err, "smooth": smooth, "z": z, "norm": norm, "topk": top, "raw_score": top.mean(dim=1),
                **out}

    def forward(self, image: torch.Tensor, recon: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        s = self.stages(image, recon)
        score = s["raw_score"] / self.image_threshold
        if self.config.per_image_norm:
            score = torch.maximum(score, s["guard"])
        return s["norm"] / self.pixel_threshold, score


class Detector(nn.Module):
    """The exported graph: image -> (error_map, score, reconstruction)."""

    def __init__(self, cae: CAE, head: ScoringHead):
        super().__init__()
        self.cae = cae
        self.head = head

    def forward(self, image: torch.Tensor):
        recon = self.cae(image)
        error_map, score = self.head(image, recon)
        return error_map, score, recon


def build_detector(cae_config: CAEConfig, scoring: ScoringConfig | None = None) -> Detector:
    scoring = scoring or ScoringConfig()
    return Detector(CAE(cae_config), ScoringHead(scoring, cae_config.height, cae_config.width, cae_config.channels))
