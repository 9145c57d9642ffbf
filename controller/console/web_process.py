"""The console's web server in its own process, started by `traction console` only.

It gets the listening socket the control process bound (so that the address printed is
already the one served), the path of the control process's channel and its key (in the
environment, read and removed at once), and the request token (empty: loopback, none).
It ends when told (SIGTERM from the control process), or by itself when the channel stops
answering: a console whose table is gone must not look alive.
"""

from __future__ import annotations

import argparse
import os
import socket
import threading
from collections.abc import Sequence
from pathlib import Path

import structlog
import uvicorn

from controller.console.remote import ChannelBroken, RemoteBackend
from controller.console.web import make_app
from controller.core import logs

log = structlog.get_logger(__name__)

KEY_ENV = "TRACTION_CONSOLE_CHANNEL_KEY"
WEB_TOKEN_ENV = "TRACTION_CONSOLE_WEB_TOKEN"
GRACEFUL_S = 2  # uvicorn's wait for open connections when told to end
PING_S = 1.0  # how often the channel is checked when no page asks anything


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--channel", type=Path, required=True)
    ap.add_argument("--fd", type=int, required=True, help="the listening socket, inherited")
    ap.add_argument("--log-level", default="warning")
    ap.add_argument("--log-json", action="store_true")
    ap.add_argument("--tls-cert", default=None)
    ap.add_argument("--tls-key", default=None)
    args = ap.parse_args(argv)
    logs.configure(args.log_level, json=args.log_json)
    key = bytes.fromhex(os.environ.pop(KEY_ENV, ""))
    token = os.environ.pop(WEB_TOKEN_ENV, "") or None
    backend = RemoteBackend(args.channel, key)
    sock = socket.socket(fileno=args.fd)
    server = uvicorn.Server(
        uvicorn.Config(
            make_app(backend, token=token),
            log_level="warning",
            timeout_graceful_shutdown=GRACEFUL_S,
            lifespan="on",
            ssl_certfile=args.tls_cert,
            ssl_keyfile=args.tls_key,
        )
    )

    def watch() -> None:
        while not server.should_exit:
            try:
                backend.ping()
            except ChannelBroken:
                log.error("the control process stopped answering: the console ends")
                server.should_exit = True
                return
            threading.Event().wait(PING_S)

    threading.Thread(target=watch, name="channel-watch", daemon=True).start()
    server.run(sockets=[sock])
    return 1 if backend.broken else 0


if __name__ == "__main__":
    raise SystemExit(main())
