#!/usr/bin/env python3
"""Reads the job's alerts (or scores, or dead letters) as a standard, non-Java Kafka client would.

confluent-kafka (librdkafka; Debian: python3-confluent-kafka). With the default exactly-once sink, alerts are
written in Kafka transactions: read them with isolation.level=read_committed (the default here), or you will see
alerts of aborted transactions too. With the at-least-once sink, --dedupe drops repeated alert ids, which is
how a consumer handles the duplicates a restart can bring (the alert id is deterministic, docs/alerts.md).

    /usr/bin/python3 examples/python/read_topic.py --bootstrap-servers localhost:9092 --topic alerts --follow
    /usr/bin/python3 examples/python/read_topic.py --bootstrap-servers localhost:9092 --topic dead-letter \\
        --headers --idle-exit 5

Prints one JSON line per record: partition, offset, key, headers (with --headers) and the value (parsed if it
is JSON, else its length in bytes).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
import uuid

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaException, TopicPartition

import client_settings  # beside this script


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    client_settings.add_arguments(p)
    p.add_argument("--topic", default="alerts")
    p.add_argument("--isolation", choices=["read_committed", "read_uncommitted"], default="read_committed")
    p.add_argument("--headers", action="store_true", help="print the record headers too")
    p.add_argument("--dedupe", action="store_true",
                   help="drop records whose alert id (header alert-id) was seen already")
    p.add_argument("--follow", action="store_true", help="keep reading until Ctrl-C")
    p.add_argument("--idle-exit", type=float, default=5.0,
                   help="without --follow: stop after this many seconds without a new record (default 5)")
    p.add_argument("--min-records", type=int, default=0,
                   help="without --follow: do not stop for idleness before this many records (see --timeout)")
    p.add_argument("--timeout", type=float, default=120.0, help="without --follow: stop after this long anyway")
    return p.parse_args(argv)


def describe(msg, with_headers: bool) -> dict:
    value = msg.value()
    try:
        shown = json.loads(value) if value else None
    except (UnicodeDecodeError, json.JSONDecodeError):
        shown = {"bytes": len(value)}
    out = {"partition": msg.partition(), "offset": msg.offset(),
           "key": msg.key().decode("utf-8", "replace") if msg.key() is not None else None}
    if with_headers:
        out["headers"] = {k: (v.decode("utf-8", "replace") if v is not None else None)
                          for k, v in (msg.headers() or [])}
    out["value"] = shown
    return out


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    consumer = Consumer(client_settings.config(args, {"group.id": f"read-topic-{uuid.uuid4()}",
                                                      "enable.auto.commit": False, "isolation.level": args.isolation}))
    metadata = consumer.list_topics(args.topic, timeout=30).topics[args.topic]
    if metadata.error is not None:
        sys.exit(f"topic {args.topic}: {metadata.error}")
    consumer.assign([TopicPartition(args.topic, p, OFFSET_BEGINNING) for p in metadata.partitions])

    seen: set[str] = set()
    count = 0
    start = last = time.monotonic()
    try:
        while True:
            msg = consumer.poll(0.2)
            now = time.monotonic()
            if msg is None:
                if not args.follow and (now - start > args.timeout
                                        or (count >= args.min_records and now - last > args.idle_exit)):
                    break
                continue
            if msg.error():
                raise KafkaException(msg.error())
            last = now
            alert_id = dict(msg.headers() or []).get("alert-id")
            if args.dedupe and alert_id is not None:
                if alert_id in seen:
                    continue
                seen.add(alert_id)
            count += 1
            print(json.dumps(describe(msg, args.headers)), flush=True)
    except KeyboardInterrupt:
        pass
    finally:
        consumer.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
