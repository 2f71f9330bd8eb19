"""Serving the dashboard: a socket bound first (so a taken port is a clear error and
port 0 picks a free one), then uvicorn on it until Ctrl-C."""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Callable

from tunesmith.dashboard._app import create_app
from tunesmith.dashboard._plots import warm_up
from tunesmith.storage import Storage

__all__ = ["address_of", "allowed_hosts", "bind", "serve"]

_WILDCARDS = ("", "0.0.0.0", "::")


def allowed_hosts(host: str) -> list[str] | None:
    """The Host headers a server bound to ``host`` answers: a loopback address answers
    its own names only (a web page elsewhere cannot read it through DNS rebinding);
    any other address answers every name (None).

    >>> allowed_hosts("127.0.0.1")
    ['127.0.0.1', 'localhost']
    >>> allowed_hosts("localhost")
    ['127.0.0.1', 'localhost']
    >>> allowed_hosts("0.0.0.0") is None
    True
    """
    if host in _WILDCARDS or host.startswith("[") or ":" in host:
        return None
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    return sorted({host, "localhost", "127.0.0.1"}) if loopback else None


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on (host, port); OSError (with the reason) if it cannot."""
    if not 0 <= port <= 65535:
        raise ValueError(f"port must be between 0 and 65535, got {port}")
    infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM,
                               flags=socket.AI_PASSIVE)
    family, kind, proto, _name, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except BaseException:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def address_of(sock: socket.socket) -> str:
    """The URL a browser opens for a bound socket."""
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    if host in _WILDCARDS:
        shown = "127.0.0.1" if host == "0.0.0.0" else "[::1]"
    return f"http://{shown}:{port}/"


def serve(storage: Storage, *, host: str = "127.0.0.1", port: int = 8080,
          on_ready: Callable[[str], None] | None = None) -> None:
    """Serve the dashboard of ``storage`` on ``host:port`` until interrupted.

    ``on_ready`` receives the address once the socket listens (port 0: a free port).
    Binds the loopback address unless told otherwise: what the dashboard shows is
    whatever the database holds, for anyone who can reach the port.
    """
    import uvicorn
    from threadpoolctl import threadpool_limits

    # One BLAS thread: the plots' arrays are small, and OpenBLAS's threads spinning on a
    # busy machine turned a contour's milliseconds of interpolation into seconds (and
    # took cores from the study's own workers).
    threadpool_limits(limits=1)
    sock = bind(host, port)
    try:
        app = create_app(storage, allowed_hosts=allowed_hosts(host))
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
        server = uvicorn.Server(config)
        threading.Thread(target=warm_up, name="tunesmith-dashboard-warm-up", daemon=True).start()
        if on_ready is not None:
            on_ready(address_of(sock))
        server.run(sockets=[sock])
    finally:
        sock.close()
