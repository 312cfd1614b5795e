"""How fast training batches are made (augmentation + synthetic defects), in the training process and with
DataLoader worker processes (`--workers`), side by side in one run. No model is trained: this is the rate a GPU
would be fed at.

    PYTHONPATH=src /usr/bin/python3 experiments/bench_batches.py --size 128 --workers 2
    PYTHONPATH=src /usr/bin/python3 experiments/bench_batches.py --size 256 --channels 3 --workers 2

Random images stand in for training images: the cost does not depend on their content.
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from torch.utils.data import DataLoader

from defect_cae.data import AugmentConfig, DenoisingDataset, EpochSampler


def samples_per_second(ds: DenoisingDataset, workers: int, batch_size: int, epochs: int) -> float:
    sampler = EpochSampler(len(ds), torch.Generator().manual_seed(0))
    loader = DataLoader(ds, batch_size=batch_size, sampler=sampler, num_workers=workers,
                        persistent_workers=workers > 0)
    sampler.epoch = 0
    for _ in loader:  # workers started and warm
        pass
    start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        sampler.epoch = epoch
        for _ in loader:
            pass
    return epochs * len(ds) / (time.perf_counter() - start)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--size", type=int, default=128)
    p.add_argument("--channels", type=int, default=1, choices=[1, 3])
    p.add_argument("--images", type=int, default=256)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--workers", type=int, default=2)
    args = p.parse_args()
    torch.set_num_threads(1)
    images = np.random.default_rng(0).random((args.images, args.channels, args.size, args.size), dtype=np.float32)
    ds = DenoisingDataset(images, AugmentConfig())
    one = samples_per_second(ds, 0, args.batch_size, args.epochs)
    many = samples_per_second(ds, args.workers, args.batch_size, args.epochs)
    print(f"{args.channels}x{args.size}x{args.size}: {one:.0f} samples/s in the training process, {many:.0f} with "
          f"{args.workers} worker processes ({many / one:.2f}x)")


if __name__ == "__main__":
    main()
