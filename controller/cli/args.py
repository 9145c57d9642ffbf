"""Argument types shared by the commands; each refuses bad input with a message naming it."""

from __future__ import annotations

import argparse

from controller.app.site_config import SiteConfig, site_config


def host_port(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not host:
        raise argparse.ArgumentTypeError(f"{text!r}: expected HOST:PORT, e.g. 127.0.0.1:5020")
    try:
        number = int(port)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r}: port must be a number") from exc
    if not 0 <= number <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r}: port outside 0-65535")
    return host.strip("[]"), number


def key_values(items: list[str]) -> dict[str, object]:
    """`key=value` words -> a dict; numbers become numbers, the rest stays text."""
    out: dict[str, object] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise argparse.ArgumentTypeError(f"{item!r}: expected KEY=VALUE")
        out[key] = _number(value)
    return out


def _number(value: str) -> object:
    for cast in (int, float):
        try:
            return cast(value)
        except ValueError:
            continue
    return value


def site_from(args: argparse.Namespace) -> SiteConfig:
    """The site configuration with a command's --device, --limits and --records over it."""
    return site_config(
        cli={
            "device": args.device,
            "limits": str(args.limits) if args.limits else None,
            "records": str(args.records) if args.records else None,
            "emg": getattr(args, "emg", None),
        }
    )


EMG_HELP = (
    "muscle signal URL: lsl://?type=EMG&name=NAME (a Lab Streaming Layer amplifier), "
    "sim://?muscles=relaxed|guarding|spasm-prone (the simulated patient), none "
    "(default: site configuration)"
)
