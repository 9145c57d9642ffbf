"""`traction`: the operator's, developer's and QA's entry point."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from controller import logs
from controller.cli import demo_cmd, inject_cmd, ports_cmd, sim_cmd


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="traction", description=__doc__)
    p.add_argument("--log-level", choices=logs.LEVELS, default="warning")
    p.add_argument("--log-json", action="store_true", help="JSON log lines on stderr")
    sub = p.add_subparsers(dest="command", required=True)
    for module in (demo_cmd, sim_cmd, inject_cmd, ports_cmd):
        module.add_parser(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logs.configure(args.log_level, json=args.log_json)
    code: int = args.run(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
