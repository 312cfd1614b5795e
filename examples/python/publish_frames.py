#!/usr/bin/env python3
"""Publishes image files as camera frames, following docs/wire-format.md and nothing else.

An example of a producer written with a standard, non-Java Kafka client (confluent-kafka, i.e. librdkafka; on
Debian: apt-get install python3-confluent-kafka). The project's tests run it against the real job
(ForeignClientITCase), so it stays true to the contract.

    /usr/bin/python3 examples/python/publish_frames.py --bootstrap-servers localhost:9092 --camera cam-1 \\
        line1/*.png
    # raw 8-bit samples instead of the encoded file (needs Pillow to decode it here):
    /usr/bin/python3 examples/python/publish_frames.py --bootstrap-servers localhost:9092 --camera cam-1 --raw a.png

Prints one JSON line per delivered frame: file, frame id, partition and offset.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from confluent_kafka import KafkaException, Producer

import client_settings  # beside this script

CONTENT_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("files", nargs="+", type=Path, help="PNG or JPEG files, published in this order")
    client_settings.add_arguments(p)
    p.add_argument("--topic", default="frames")
    p.add_argument("--camera", required=True, help="camera id: the record key")
    p.add_argument("--line", help="production line id (optional header)")
    p.add_argument("--frame-id-prefix", default="",
                   help="frame id = prefix + file name without extension; must be unique per camera")
    p.add_argument("--raw", action="store_true",
                   help="send decoded 8-bit samples as image/x-raw-gray8 or image/x-raw-rgb8 with width, height, "
                        "channels headers")
    p.add_argument("--interval-ms", type=int, default=0, help="pause between frames (a camera's frame period)")
    return p.parse_args(argv)


def problem(path: Path, raw: bool) -> str | None:
    """Why this file cannot be published, found before anything is sent (None: it can)."""
    if not path.is_file():
        return f"{path}: no such file"
    if not raw:
        return None if path.suffix.lower() in CONTENT_TYPES else \
            f"{path}: unknown extension; use .png, .jpg or .jpeg, or --raw"
    from PIL import Image  # only needed for --raw
    try:
        with Image.open(path) as im:  # reads the header: the format and the sample type
            if im.mode.startswith("I") or im.mode == "F":
                return (f"{path}: samples are not 8-bit (PIL mode {im.mode}); publish the PNG file itself (the job "
                        "keeps the high byte of 16-bit samples)")
    except OSError as e:  # PIL's UnidentifiedImageError included
        return f"{path}: cannot be decoded ({e})"
    return None


def raw_frame(path: Path) -> tuple[bytes, dict[str, str]]:
    from PIL import Image
    with Image.open(path) as im:
        im = im.convert("L") if im.mode in ("L", "1") else im.convert("RGB")
        channels = 1 if im.mode == "L" else 3
        headers = {"content-type": "image/x-raw-gray8" if channels == 1 else "image/x-raw-rgb8",
                   "width": str(im.width), "height": str(im.height), "channels": str(channels)}
        return im.tobytes(), headers


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    problems = [m for m in (problem(f, args.raw) for f in args.files) if m]
    if problems:  # before anything is sent: a half-published batch is harder to reason about than none
        sys.exit("\n".join(problems) + "\nnothing was sent")
    # Frames of one camera stay in order: idempotence keeps retries from reordering or duplicating them.
    producer = Producer(client_settings.config(args, {"enable.idempotence": True,
                                                      "message.max.bytes": 16 * 1024 * 1024 + 65536}))
    failures: list[str] = []

    def delivered(err, msg, file=None, frame_id=None):
        if err is not None:
            failures.append(f"{file}: {err}")
        else:
            print(json.dumps({"file": str(file), "frame_id": frame_id, "partition": msg.partition(),
                              "offset": msg.offset()}), flush=True)

    for i, path in enumerate(args.files):
        if args.raw:
            value, headers = raw_frame(path)
        else:
            value, headers = path.read_bytes(), {"content-type": CONTENT_TYPES[path.suffix.lower()]}
        frame_id = args.frame_id_prefix + path.stem
        headers = {"frame-id": frame_id, "capture-time": str(time.time_ns() // 1_000_000), **headers}
        if args.line:
            headers["line"] = args.line
        producer.produce(args.topic, key=args.camera.encode(), value=value,
                         headers=[(k, v.encode()) for k, v in headers.items()],
                         on_delivery=lambda err, msg, f=path, fid=frame_id: delivered(err, msg, f, fid))
        producer.poll(0)
        if args.interval_ms and i + 1 < len(args.files):
            time.sleep(args.interval_ms / 1000)
    remaining = producer.flush(30)
    if remaining:
        failures.append(f"{remaining} frames not delivered within 30 s")
    for failure in failures:
        print(failure, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KafkaException as e:
        sys.exit(f"kafka: {e}")
    except OSError as e:  # an unreadable file, or one --raw cannot decode (PIL's UnidentifiedImageError)
        sys.exit(f"error: {e}")
