"""Training loop: defect-denoising CAE training with early stopping and checkpoints."""
from __future__ import annotations

import json
import math
import multiprocessing
import random
import re
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from torch.utils.data import DataLoader

from .data import AugmentConfig, DenoisingDataset, EpochSampler
from .defects import DefectInjector, DefectSettings
from .errors import DeviceError, ModelError, OptionError
from .losses import reconstruction_loss
from .model import CAE, CAEConfig


@dataclass
class TrainConfig:
    epochs: int = 150
    batch_size: int = 16
    lr: float = 2e-3
    loss: str = "mix"  # mse | ssim | mix
    ssim_weight: float = 0.5
    patience: int = 20  # epochs without a validation improvement before stopping
    min_rel_improvement: float = 0.002
    max_minutes: float = 0.0  # 0 = no time limit
    seed: int = 0
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    # DataLoader worker processes making the batches (augmentation, synthetic defects); 0 = the training process.
    # The batches are the same for any count (DenoisingDataset), so a run may resume with another.
    workers: int = 0
    # The good-image split the model was trained on: its fractions and which files fell where
    # (GoodSplit.fingerprint, set by pipeline.train_one). Resuming or calibrating on another split is refused.
    val_fraction: float = 0.15
    calib_fraction: float = 0.15
    split: str = ""

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        d = dict(d)
        d["augment"] = AugmentConfig(**d.get("augment", {}))
        return cls(**d)


@dataclass
class TrainResult:
    model: CAE
    history: list
    best_epoch: int
    best_val_loss: float
    mean_image_val_loss: float
    wall_seconds: float
    stopped: str
    checkpoint: Path | None


def resolve_device(name: str = "auto") -> torch.device:
    """auto = the first GPU if PyTorch sees one, else the CPU. A device this PyTorch cannot use fails here, at
    start, not in the first training step."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise DeviceError(f"--device {name}: not a device name; use auto, cpu, cuda or cuda:N") from None
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise DeviceError(f"--device {name}: this PyTorch {torch.__version__} sees no CUDA GPU (a CPU-only "
                              "build, or no driver); use --device cpu, or auto to take a GPU when there is one")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise DeviceError(f"--device {name}: there are {torch.cuda.device_count()} CUDA GPUs (cuda:0.."
                              f"cuda:{torch.cuda.device_count() - 1})")
    elif device.type != "cpu":
        raise DeviceError(f"--device {name}: only cpu and cuda are supported")
    return device


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _fixed_validation_batch(val: np.ndarray, cfg: TrainConfig) -> tuple[torch.Tensor, torch.Tensor]:
    """Validation inputs for the training objective: the same defect process as training, frozen by a seed."""
    inputs = val.copy()
    if cfg.augment.denoise:
        inj = DefectInjector(DefectSettings.training(), seed=cfg.seed + 1000)
        rng = np.random.default_rng(cfg.seed + 1001)
        for i in range(len(val)):
            if rng.random() < cfg.augment.denoise_prob:
                inputs[i], _ = inj(val[i], donor=val[(i + 1) % len(val)])
    return torch.from_numpy(inputs), torch.from_numpy(val.copy())


@torch.no_grad()
def evaluate_loss(model: CAE, inputs: torch.Tensor, targets: torch.Tensor, cfg: TrainConfig,
                  device: torch.device, batch_size: int = 32) -> float:
    model.eval()
    total, n = 0.0, 0
    for i in range(0, len(inputs), batch_size):
        x, y = inputs[i:i + batch_size].to(device), targets[i:i + batch_size].to(device)
        total += float(reconstruction_loss(model(x), y, cfg.loss, cfg.ssim_weight)) * len(x)
        n += len(x)
    return total / max(1, n)


def mean_image_loss(train_images: np.ndarray, val_images: np.ndarray, cfg: TrainConfig) -> float:
    """Collapse check (ARCHITECTURE pitfall): the loss of predicting the mean training image for every clean
    validation image. A model no better than that has learnt nothing."""
    target = torch.from_numpy(val_images.copy())
    mean_img = torch.from_numpy(train_images.mean(axis=0, keepdims=True)).expand_as(target).contiguous()
    return float(reconstruction_loss(mean_img, target, cfg.loss, cfg.ssim_weight))


# Settings that may change between an interrupted run and its resumption: a time budget, not the training itself.
RESUMABLE_CHANGES = ("max_minutes", "workers")


def resume_state(out_dir: Path, cae_config: CAEConfig, cfg: TrainConfig) -> dict | None:
    """last.pt's training state in out_dir, None if there is no last.pt; settings that differ from the run's are a
    ModelError (resuming them would mix two trainings)."""
    last = Path(out_dir) / "last.pt"
    if not last.exists():
        return None
    ckpt = read_checkpoint(last, ("train_config", "resume"), "it was written by an older model-export without the "
                           "optimiser state; delete it or use another --work-dir to train from the start")
    ours, theirs = cfg.to_dict(), dict(ckpt["train_config"])
    for key in RESUMABLE_CHANGES:
        theirs[key] = ours[key]
    changed = sorted(k for k in set(ours) | set(theirs) if ours.get(k) != theirs.get(k))
    changed += sorted(f"model {k}" for k, v in cae_config.to_dict().items() if ckpt["cae_config"].get(k) != v)
    if changed:
        hint = (" (split: the good images of --data, or --val-fraction / --calib-fraction, are not those it was "
                "trained with, so other images would be held out)" if "split" in changed else "")
        raise ModelError(f"{last} was trained with other settings ({', '.join(changed)}){hint}: give the same "
                         "options and data to resume it, or another --work-dir to train from the start")
    return ckpt


def save_checkpoint(path: Path, model: CAE, cfg: TrainConfig, epoch: int, val_loss: float, history: list,
                    resume: dict | None = None) -> None:
    ckpt = {"cae_config": model.config.to_dict(), "train_config": cfg.to_dict(), "state_dict": model.state_dict(),
            "epoch": epoch, "val_loss": val_loss, "history": history}
    if resume is not None:
        ckpt["resume"] = resume
    partial = Path(path).with_name(Path(path).name + ".partial")
    torch.save(ckpt, partial)
    partial.replace(path)  # a run killed while saving keeps its previous checkpoint


# Checkpoints hold tensors, numbers, strings and containers only, so they load with weights_only=True, which
# torch 2.6 made the default and 2.4-2.5 warn about when it is not given. torch 1.13's weights-only unpickler
# refuses plain floats, so older versions load as before.
LOAD_KWARGS = {"weights_only": True} if tuple(int(v) for v in re.findall(r"\d+", torch.__version__)[:2]) >= (2, 4) \
    else {}


def read_checkpoint(path: Path, needs: tuple[str, ...], hint: str, map_location="cpu") -> dict:
    """torch.load of a file model-export wrote; anything else is a ModelError naming the file and the fix."""
    try:
        ckpt = torch.load(path, map_location=map_location, **LOAD_KWARGS)
    except FileNotFoundError:
        raise FileNotFoundError(f"{path} does not exist: {hint}") from None
    except Exception as e:  # pickle/zip errors of a file that is not a checkpoint at all
        raise ModelError(f"{path} cannot be read as a model-export checkpoint ({type(e).__name__}: {e})") from None
    missing = [k for k in needs if not isinstance(ckpt, dict) or k not in ckpt]
    if missing:
        raise ModelError(f"{path} has no {', '.join(missing)}: {hint}")
    return ckpt


def load_checkpoint(path: Path, map_location="cpu") -> tuple[CAE, dict]:
    ckpt = read_checkpoint(path, ("cae_config", "state_dict"), "give best.pt or last.pt, written by `train`",
                           map_location)
    if "scoring_config" in ckpt:  # calibrate's output: the CAE inside a detector, without the training's record
        raise ModelError(f"{path} is a detector (written by `calibrate` or `run`), not a training checkpoint: give "
                         "the best.pt it was calibrated from to calibrate again (runs/<name>/latent<n>/best.pt "
                         "after `run`, <work-dir>/best.pt after `train`)")
    model = CAE(CAEConfig(**ckpt["cae_config"]))
    model.load_state_dict(ckpt["state_dict"])
    return model.eval(), ckpt


class _RandomStreams:
    """Every random stream an epoch draws from, so a resumed run continues exactly as an uninterrupted one (the
    samples' own draws follow from the epoch: DenoisingDataset). States are tensors: a checkpoint must load with
    torch.load(weights_only=True)."""

    def __init__(self, loader_generator: torch.Generator):
        self.loader_generator = loader_generator

    def state(self) -> dict:
        return {"loader": self.loader_generator.get_state(), "torch": torch.get_rng_state()}

    def restore(self, state: dict) -> None:
        self.loader_generator.set_state(state["loader"])
        torch.set_rng_state(state["torch"])


def time_limit_warning(last_epoch: int, cfg: TrainConfig, lr_now: float, best_epoch: int) -> str:
    """Says what a run cut short by --max-minutes hands on: the cosine schedule spans --epochs, so it stopped with
    the learning rate still high, and a loss on a plateau may not have dropped yet (a model that finds nothing)."""
    still = "; the validation loss was still falling (the best epoch is the last)" if best_epoch == last_epoch else ""
    return (f"WARNING: --max-minutes stopped training after epoch {last_epoch} of {cfg.epochs}, the learning rate "
            f"still at {lr_now:.2e} of {cfg.lr:.2e} (its schedule spans --epochs){still}: the model may be "
            "undertrained. Go on with the same command and --resume (with a new --max-minutes), or set --epochs to "
            "what fits the time")


def worker_start_method() -> str:
    """How DataLoader workers start: not by fork. Forking a process whose torch and OpenMP threads are running
    can deadlock the child (Python 3.12+ warns about it; 3.14 no longer forks by default). A worker's samples
    depend only on their (epoch, index) keys, so the start method changes no batch."""
    return "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"


def train(cae_config: CAEConfig, train_images: np.ndarray, val_images: np.ndarray, cfg: TrainConfig,
          out_dir: Path | None = None, device: torch.device | None = None,
          log: Callable[[str], None] = print, resume: bool = False) -> TrainResult:
    """Trains, writing last.pt (with the optimiser, schedule and random streams) after every epoch and best.pt
    at every improvement. resume=True continues from out_dir/last.pt where the run was interrupted (or stopped by
    its time limit), returns a finished run as it is, and trains from the start when there is no last.pt."""
    device = device or resolve_device()
    seed_everything(cfg.seed)
    model = CAE(cae_config).to(device)
    dataset = DenoisingDataset(train_images, cfg.augment, seed=cfg.seed)
    gen = torch.Generator().manual_seed(cfg.seed)
    sampler = EpochSampler(len(dataset), gen)
    loader = DataLoader(dataset, batch_size=min(cfg.batch_size, len(dataset)), sampler=sampler,
                        drop_last=len(dataset) > cfg.batch_size, num_workers=cfg.workers,
                        persistent_workers=cfg.workers > 0, pin_memory=device.type == "cuda",
                        multiprocessing_context=worker_start_method() if cfg.workers > 0 else None,
                        # Its own generator for the workers' base seeds (drawn once per iterator, so per epoch or
                        # once, by worker count): the shuffle's stream stays the same for any count.
                        generator=torch.Generator().manual_seed(cfg.seed))
    streams = _RandomStreams(gen)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(1, cfg.epochs), eta_min=cfg.lr * 0.05)
    val_in, val_target = _fixed_validation_batch(val_images, cfg)
    mean_loss = mean_image_loss(train_images, val_images, cfg)
    n_params = sum(p.numel() for p in model.parameters())

    history, best, best_epoch, best_state, since_best, first_epoch = [], math.inf, 0, None, 0, 1
    stopped = None
    if out_dir:
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
    ckpt = resume_state(out_dir, cae_config, cfg) if resume and out_dir else None
    if resume and out_dir and ckpt is None:
        log(f"nothing to resume in {out_dir} (no last.pt): training from the start")
    if ckpt is not None:
        state = ckpt["resume"]
        model.load_state_dict(ckpt["state_dict"])
        opt.load_state_dict(state["optimizer"])
        sched.load_state_dict(state["scheduler"])
        streams.restore(state["random"])
        history, best, best_epoch, since_best = ckpt["history"], state["best_val"], state["best_epoch"], \
            state["since_best"]
        if best_epoch:
            best_state = load_checkpoint(out_dir / "best.pt", map_location=device)[0].state_dict()
        first_epoch = ckpt["epoch"] + 1
        if state["stopped"] and not state["stopped"].startswith("time limit"):
            stopped = state["stopped"]
            log(f"{out_dir / 'last.pt'} is a finished run ({stopped}, {len(history)} epochs): nothing to resume")
        else:
            log(f"resuming {out_dir / 'last.pt'} after epoch {ckpt['epoch']} of {cfg.epochs} (best so far: epoch "
                f"{best_epoch}, val {best:.5f})")
    if stopped is None:
        log(f"training on {device}: {len(train_images)} train / {len(val_images)} val images, {n_params} "
            f"parameters, latent {cae_config.latent_channels} ch ({cae_config.latent_size} values), loss {cfg.loss}, "
            f"denoise {cfg.augment.denoise}; mean-image val loss {mean_loss:.5f}")

    start = time.time()
    for epoch in range(first_epoch, cfg.epochs + 1) if stopped is None else ():
        t0 = time.time()
        model.train()
        run_loss, seen = 0.0, 0
        sampler.epoch = epoch
        for noisy, clean in loader:
            noisy, clean = noisy.to(device, non_blocking=True), clean.to(device, non_blocking=True)
            loss = reconstruction_loss(model(noisy), clean, cfg.loss, cfg.ssim_weight)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            run_loss += float(loss) * len(noisy)
            seen += len(noisy)
        sched.step()
        val = evaluate_loss(model, val_in, val_target, cfg, device)
        improved = val < best * (1 - cfg.min_rel_improvement)
        if improved:
            best, best_epoch, since_best = val, epoch, 0
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        else:
            since_best += 1
        dt = time.time() - t0
        history.append({"epoch": epoch, "loss": run_loss / max(1, seen), "val_loss": val, "seconds": dt})
        log(f"epoch {epoch:4d}/{cfg.epochs}  loss {run_loss / max(1, seen):.5f}  val {val:.5f}"
            f"{' *' if improved else '  '}  lr {opt.param_groups[0]['lr']:.2e}  {dt:5.1f}s"
            f"  (total {time.time() - start:6.0f}s)")
        if since_best >= cfg.patience:
            stopped = f"early stop: no improvement for {cfg.patience} epochs"
        elif cfg.max_minutes and time.time() - start > cfg.max_minutes * 60:
            stopped = f"time limit {cfg.max_minutes} min"
        elif epoch == cfg.epochs:
            stopped = "max epochs"
        if out_dir:  # best.pt first: last.pt never names a best epoch that best.pt does not hold yet
            if improved:
                save_checkpoint(out_dir / "best.pt", model, cfg, epoch, val, history)
            save_checkpoint(out_dir / "last.pt", model, cfg, epoch, val, history, resume={
                "optimizer": opt.state_dict(), "scheduler": sched.state_dict(), "random": streams.state(),
                "best_val": best, "best_epoch": best_epoch, "since_best": since_best, "stopped": stopped})
        if stopped:
            break
    stopped = stopped or "max epochs"
    if not math.isfinite(best):  # no epoch gave a finite validation loss: there is no best.pt to hand on
        raise OptionError(f"training diverged: the validation loss was not finite at any epoch (last "
                          f"{history[-1]['val_loss'] if history else 'none'}), so no checkpoint was kept; lower --lr "
                          "(or check --ssim-weight and the images)")
    wall = float(sum(h["seconds"] for h in history))  # over every session of a resumed run
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    log(f"{stopped}; best epoch {best_epoch} val {best:.5f} (mean-image {mean_loss:.5f}); {wall:.0f}s")
    if stopped.startswith("time limit") and history and history[-1]["epoch"] < cfg.epochs:
        log(time_limit_warning(history[-1]["epoch"], cfg, opt.param_groups[0]["lr"], best_epoch))
    if best >= mean_loss:
        log("WARNING: the validation loss is not below that of the mean training image: the reconstructions may "
            "not follow their input (look at report/examples.png). Images that barely differ (a fixed camera, "
            "aligned parts) make the mean a strong baseline and this is then harmless; otherwise train longer "
            "(--epochs, --patience) or give the bottleneck more room (--latent)")
    if out_dir:
        from .export import json_safe
        (out_dir / "history.json").write_text(json.dumps(json_safe(history), indent=1, allow_nan=False))
    return TrainResult(model, history, best_epoch, best, mean_loss, wall, stopped,
                       out_dir / "best.pt" if out_dir else None)
