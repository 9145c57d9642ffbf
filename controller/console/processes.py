"""Starting the console's web process beside a running service (controller/console/remote.py
says why two processes): the channel in a private directory with a fresh key, the web
process given the listening socket, and both taken down in order on the way out.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from controller.console.backend import LocalBackend
from controller.console.remote import ServiceHost
from controller.console.service import ConsoleService
from controller.console.web_process import KEY_ENV, WEB_TOKEN_ENV

KEY_BYTES = 32
WEB_END_S = 10.0  # the web process's own graceful end (2 s) with room


@contextmanager
def web_process(
    service: ConsoleService,
    sock: socket.socket,
    *,
    token: str | None,
    tls: tuple[Path, Path] | None = None,
    log_level: str = "warning",
    log_json: bool = False,
) -> Iterator[subprocess.Popen[bytes]]:
    """The web process serving `sock` for `service` (started by the caller, and closed by
    the caller before this context ends, so that pages still show the treatment's end)."""
    with tempfile.TemporaryDirectory(prefix="traction-console-") as private:  # mode 0700
        key = secrets.token_bytes(KEY_BYTES)
        host = ServiceHost(LocalBackend(service), Path(private) / "channel", key)
        host.start()
        web = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "controller.console.web_process",
                *("--channel", str(host.path), "--fd", str(sock.fileno())),
                *("--log-level", log_level),
                *(("--log-json",) if log_json else ()),
                *(("--tls-cert", str(tls[0]), "--tls-key", str(tls[1])) if tls else ()),
            ],
            pass_fds=[sock.fileno()],
            env={**os.environ, KEY_ENV: key.hex(), WEB_TOKEN_ENV: token or ""},
            start_new_session=True,  # a terminal's Ctrl-C reaches the control process only
        )
        try:
            yield web
        finally:
            web.terminate()
            try:
                web.wait(timeout=WEB_END_S)
            except subprocess.TimeoutExpired:
                web.kill()
                web.wait()
            host.close()
