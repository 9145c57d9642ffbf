"""`traction console`: the technician's touch-screen console, served on this machine.

Opens the table (site configuration by default; `sim://` runs the simulated table in real
time, in this process), then serves the console on 127.0.0.1:8080 (`--listen HOST:PORT`)
until a signal. A listener on any other address than loopback needs TLS (--tls-cert,
--tls-key: served by uvicorn), a table with accounts (everyone signs in; docs/people.md),
and a token on every request that acts or reads records: TRACTION_CONSOLE_TOKEN, else a
random one, printed in the address. TLS may be used on loopback too. SIGINT, SIGTERM and
SIGHUP end it: a treatment in progress is asked for the board's release at once, and the
process ends within the session's ending bound (58 s with the default limits;
docs/console.md). Exit codes: 0 ended, 2 invalid input, 3 a treatment
did not end within its bound (release NOT confirmed: the alarm says what to do), 4 the web
server's process ended by itself (any treatment was stopped first).

Two processes: this one keeps the table's link, the session and the service; the web server
runs in its own (controller/console/web_process.py) and reaches the service through a
private channel (controller/console/remote.py), so that serving pages never holds the
control thread's interpreter lock.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import ipaddress
import os
import secrets
import signal
import socket
import sys
import threading
from collections.abc import Callable, Mapping
from pathlib import Path

from controller.app.composition import Served, open_realtime_link
from controller.app.simulated_table import ready_simulated_table
from controller.app.site_config import SiteConfigError
from controller.cli.args import EMG_HELP, host_port, site_from
from controller.console.processes import web_process
from controller.console.service import ConsoleService
from controller.maintenance.procedures import ProcedureError
from controller.maintenance.simulated_technician import SimulatedTechnician
from controller.muscles.source import MuscleSourceError
from controller.records.accounts import accounts_exist
from controller.records.store import RecordsError, SessionStore
from firmware_bridge.errors import LinkError, TargetError
from safety.faults import SafetyFault
from safety.limits import LimitsError, load_limits
from sim.control_client import request

DEFAULT_LISTEN = ("127.0.0.1", 8080)
EXIT_INVALID = 2
EXIT_NOT_ENDED = 3
BACKLOG = 64
WATCH_S = 0.2  # how often the web process is checked while waiting for a signal
EXIT_WEB_ENDED = 4
TOKEN_ENV = "TRACTION_CONSOLE_TOKEN"


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("console", help="serve the technician's console (a web page)")
    p.add_argument("--device", default=None, help="device URL (default: site configuration)")
    p.add_argument(
        "--listen",
        type=host_port,
        default=DEFAULT_LISTEN,
        metavar="HOST:PORT",
        help="address to serve on (default 127.0.0.1:8080; port 0 picks a free one)",
    )
    p.add_argument("--limits", type=Path, default=None, help="safety limits file")
    p.add_argument("--records", type=Path, default=None, help="records store (SQLite file)")
    p.add_argument("--emg", default=None, help=EMG_HELP)
    p.add_argument("--tls-cert", type=Path, default=None, help="TLS certificate (PEM)")
    p.add_argument("--tls-key", type=Path, default=None, help="its private key (PEM)")
    p.set_defaults(run=run)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def run(args: argparse.Namespace) -> int:
    err = sys.stderr.write
    try:
        site = site_from(args)
        limits = load_limits(site.limits)
    except (SiteConfigError, LimitsError) as exc:
        err(f"traction console: refused: {exc}\n")
        return EXIT_INVALID
    host, port = args.listen
    token = None if is_loopback(host) else (os.environ.get(TOKEN_ENV) or secrets.token_urlsafe(24))
    why = off_loopback_refusal(host, args.tls_cert, args.tls_key, site.records)
    if why:
        err(f"traction console: refused: {why}\n")
        return EXIT_INVALID
    try:
        sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as exc:
        err(f"traction console: cannot listen on {host}:{port}: {exc}\n")
        return EXIT_INVALID
    with contextlib.ExitStack() as stack:
        stack.callback(sock.close)
        try:
            served = stack.enter_context(open_realtime_link(site.device, muscles=site.emg))
        except (TargetError, MuscleSourceError) as exc:
            err(f"traction console: refused: {exc}\n")
            return EXIT_INVALID
        hands = None
        if served.sim is not None:
            site = site.for_simulator()
        if served.sim is not None and served.sim.control is not None:
            control = served.sim.control
            hands = SimulatedTechnician(lambda name, params: _inject(control, name, params))
            try:  # the simulated service engineer: the table's calibration, if it is due
                ready_simulated_table(
                    site.records,
                    site.device,
                    limits.device_max_force_n,
                    sys.stdout.write,
                    daily=False,
                )
            except (RecordsError, ProcedureError, LinkError) as exc:
                err(f"traction console: the simulated calibration failed: {exc}\n")
        service = ConsoleService(
            served.link,
            site,
            limits,
            limits_source=str(site.limits or "built-in default limits"),
            hands=hands,
            muscles=served.muscles,
        )
        sock.listen(BACKLOG)
        web_ended = _serve(
            service,
            sock,
            token,
            args,
            functools.partial(
                _announce, served, site.records, sock, token, "https" if args.tls_cert else "http"
            ),
        )
    if web_ended is not None:
        err(f"traction console: the web server ended by itself ({web_ended}): console stopped\n")
    if service.closed_ok is False:
        sys.stdout.write(
            f"\a*** ALARM: the treatment did not end within its bound; release NOT "
            f"confirmed: {SafetyFault.RELEASE_TIMEOUT.what_to_do} ***\n"
        )
        return EXIT_NOT_ENDED
    return EXIT_WEB_ENDED if web_ended is not None else 0


def off_loopback_refusal(
    host: str, cert: Path | None, key: Path | None, records: Path
) -> str | None:
    """Why the console may not listen on `host` as asked (None: it may)."""
    if (cert is None) != (key is None):
        return "TLS needs both --tls-cert and --tls-key"
    for path in (cert, key):
        if path is not None and not path.is_file():
            return f"{path}: no such file"
    if is_loopback(host):
        return None
    if cert is None:
        return (
            f"{host} is not loopback: the console off this machine needs TLS "
            "(--tls-cert, --tls-key)"
        )
    try:
        store = SessionStore(records, recover=False)
    except RecordsError as exc:
        return str(exc)
    try:
        if not accounts_exist(store):
            return (
                f"{host} is not loopback: the console off this machine needs everyone to sign "
                "in; create the first administrator (traction users add NAME --role administrator)"
            )
    finally:
        store.close()
    return None


def _serve(
    service: ConsoleService,
    sock: socket.socket,
    token: str | None,
    args: argparse.Namespace,
    announce: Callable[[], None],
) -> str | None:
    """The control process's part: the service, its channel, the web process, until a
    signal (or the web process's end). Returns why the web process ended by itself, if so.

    On the way out the service is closed first (a treatment's release asked for at once,
    within the session's ending bound) while the pages still show it, then the web process
    is told to end, then the channel closes."""
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda *_: stop.set())
    service.start()
    web_ended: str | None = None
    tls = (args.tls_cert, args.tls_key) if args.tls_cert is not None else None
    with web_process(
        service, sock, token=token, tls=tls, log_level=args.log_level, log_json=args.log_json
    ) as web:
        try:
            announce()
            while not stop.wait(WATCH_S):
                code = web.poll()
                if code is not None:
                    web_ended = f"exit code {code}"
                    break
        finally:
            service.close()
    return web_ended


def _inject(control: tuple[str, int], name: str, params: Mapping[str, object]) -> None:
    reply = request(control, {"op": "inject", "name": name, "params": dict(params)})
    if not reply.get("ok"):
        raise LinkError(f"simulator refused {name}: {reply.get('error')}")


def _announce(
    served: Served, records: Path, sock: socket.socket, token: str | None, scheme: str
) -> None:
    """The lines a person (or a test) needs: where the table is, and the console's address."""
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    out = sys.stdout.write
    out(f"table: {served.link.url}" + (" (simulated, real time)" if served.sim else "") + "\n")
    if served.sim is not None and served.sim.control is not None:
        c = served.sim.control
        out(f"simulator control: traction inject --control {c[0]}:{c[1]} NAME\n")
    out(f"records: {records}\n")
    out(f"console: {scheme}://{shown}:{port}/" + (f"?token={token}" if token else "") + "\n")
    sys.stdout.flush()
