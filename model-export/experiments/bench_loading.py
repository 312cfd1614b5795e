"""How long loading a folder of training images takes, against decoding its files alone.

    java -jar ../synthetic-factory/target/synthetic-factory.jar dataset --out /tmp/big1024 --products pcb \
        --size 1024 --seed 3 --train-good 150 --test-good 1 --per-defect 1
    PYTHONPATH=src /usr/bin/python3 experiments/bench_loading.py /tmp/big1024/pcb/train/good --threads 2

Prints seconds for: PNG decoding alone on one thread, and `load_images` (decode + the card's preprocessing) on
1 and on --threads threads, side by side in one run.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch

from defect_cae.data import guess_channels, list_images, load_images
from defect_cae.preprocess import decode_8bit


def seconds(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("folder", type=Path, help="a folder of images, e.g. a category's train/good")
    p.add_argument("--size", type=int, default=128)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args()
    paths = list_images(args.folder)
    channels = guess_channels(args.folder.parent.parent)
    decode = seconds(lambda: [decode_8bit(f) for f in paths])
    torch.set_num_threads(1)
    one = seconds(lambda: load_images(paths, channels, args.size, args.size))
    torch.set_num_threads(args.threads)
    many = seconds(lambda: load_images(paths, channels, args.size, args.size))
    print(f"{len(paths)} images -> {channels}x{args.size}x{args.size}: decoding alone {decode:.1f} s (1 thread); "
          f"load_images {one:.1f} s on 1 thread ({one / decode:.2f}x decoding), {many:.1f} s on {args.threads} "
          f"({decode / many:.2f}x faster than decoding alone)")


if __name__ == "__main__":
    main()
