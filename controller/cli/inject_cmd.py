"""`traction inject`: change a running `traction sim` through its control interface."""

from __future__ import annotations

import argparse
import json
import sys

from controller.cli.args import host_port, key_values
from sim.control_client import request
from sim.server import DEFAULT_CONTROL_PORT, LOOPBACK

EXIT_REFUSED = 2
EXIT_UNREACHABLE = 1


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("inject", help="inject a fault or scenario into a running simulator")
    p.add_argument("name", nargs="?", help="injection name (see --list)")
    p.add_argument("params", nargs="*", metavar="KEY=VALUE", help="injection parameters")
    p.add_argument(
        "--control", type=host_port, default=(LOOPBACK, DEFAULT_CONTROL_PORT), metavar="HOST:PORT"
    )
    p.add_argument("--list", action="store_true", help="list the injections")
    p.add_argument("--state", action="store_true", help="print the simulated board's state")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.list:
        message: dict[str, object] = {"op": "list"}
    elif args.state:
        message = {"op": "state"}
    elif args.name:
        try:
            params = key_values(args.params)
        except argparse.ArgumentTypeError as exc:
            sys.stderr.write(f"traction inject: {exc}\n")
            return EXIT_REFUSED
        message = {"op": "inject", "name": args.name, "params": params}
    else:
        sys.stderr.write("traction inject: name an injection, or use --list or --state\n")
        return EXIT_REFUSED
    try:
        reply = request(args.control, message)
    except (OSError, ValueError) as exc:
        host, port = args.control
        sys.stderr.write(
            f"traction inject: no simulator control interface at {host}:{port} ({exc})\n"
        )
        return EXIT_UNREACHABLE
    if not reply.get("ok"):
        sys.stderr.write(f"traction inject: refused: {reply.get('error')}\n")
        return EXIT_REFUSED
    if args.list:
        items = reply.get("injections")
        for item in items if isinstance(items, list) else []:
            names = ", ".join(item["params"]) or "-"
            sys.stdout.write(f"{item['name']:<18} {names:<26} {item['help']}\n")
    elif args.state:
        sys.stdout.write(json.dumps(reply.get("state"), indent=2) + "\n")
    else:
        sys.stdout.write(f"injected {args.name}\n")
    return 0
