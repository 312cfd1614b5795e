"""Command-line Kafka settings shared by the example clients: the brokers, a settings file, and -X settings."""
from __future__ import annotations

import argparse
from pathlib import Path


def key_value(setting: str) -> tuple[str, str]:
    key, sep, value = setting.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {setting!r}")
    return key, value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--bootstrap-servers", required=True)
    parser.add_argument("--client-config", type=Path, metavar="FILE",
                        help="librdkafka settings, one KEY=VALUE per line (# comments): the place for SASL/TLS "
                             "secrets, which on the command line would show in the process list")
    parser.add_argument("-X", dest="settings", action="append", default=[], type=key_value, metavar="KEY=VALUE",
                        help="librdkafka setting, repeatable (e.g. -X compression.type=zstd); applied after "
                             "--client-config")


def config(args: argparse.Namespace, defaults: dict) -> dict:
    """librdkafka configuration: the given defaults, then the brokers, then every -X setting (last one wins)."""
    out = dict(defaults)
    out["bootstrap.servers"] = args.bootstrap_servers
    if args.client_config is not None:
        for number, line in enumerate(args.client_config.read_text().splitlines(), 1):
            line = line.strip()
            if line and not line.startswith("#"):
                try:
                    out.update([key_value(line)])
                except argparse.ArgumentTypeError as e:
                    raise SystemExit(f"{args.client_config}:{number}: {e}") from None
    out.update(dict(args.settings))
    return out
