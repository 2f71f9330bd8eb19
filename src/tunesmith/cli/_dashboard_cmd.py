"""``tunesmith dashboard``: a live web dashboard of the studies in a storage.

::

    tunesmith dashboard --storage sqlite:///runs.db [--host 127.0.0.1] [--port 8080]
    tunesmith dashboard STUDY.toml        the study file's storage

The storage is opened as the inspection commands open it
(:func:`~tunesmith.cli._storage.open_for_inspection`: SQLite read-only, only a
tunesmith database), and the server binds the loopback address unless ``--host`` says
otherwise. Only the standard library is imported here at import time: ``tunesmith
--version`` must not pay for Starlette.
"""

from __future__ import annotations

import argparse
import socket
import sys
from pathlib import Path
from typing import Any

__all__ = ["add_dashboard_parser", "cmd_dashboard"]

_EXTRA = 'pip install "tunesmith[dashboard]"'


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a port number, got {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be between 0 and 65535 (0: any free port), "
                                         f"got {value}")
    return value


def add_dashboard_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    """Register ``dashboard`` on the ``tunesmith`` command's subparsers."""
    text = "a live web dashboard of the stored studies (read only)"
    cmd = sub.add_parser(
        "dashboard", parents=[common], help=text,
        description="Serve a web dashboard of every study in a storage: plots, the verdict, "
                    "the trials, live while studies run. It only reads (SQLite read-only) "
                    "and listens on 127.0.0.1 unless --host says otherwise.")
    cmd.add_argument("study", nargs="?", metavar="STUDY.toml",
                     help="a study file, standing for its storage")
    cmd.add_argument("--host", default="127.0.0.1",
                     help="address to listen on (default 127.0.0.1: this machine only; "
                          "0.0.0.0 shows the studies to your network)")
    cmd.add_argument("--port", type=_port, default=8080,
                     help="port to listen on (default 8080; 0 picks a free one)")
    cmd.set_defaults(handler=cmd_dashboard)


def cmd_dashboard(args: argparse.Namespace, out: Any, argv: list[str]) -> int:
    """Serve the dashboard until Ctrl-C; a bad storage or a taken port is one line."""
    from tunesmith.cli import _inspect_storage
    from tunesmith.cli._config import ConfigError
    from tunesmith.cli._storage import open_for_inspection
    from tunesmith.cli._text import clean, redact

    study_file = None
    if args.study is not None:
        study_file = Path(args.study)
        if study_file.suffix != ".toml":
            raise ConfigError("", "not a study file (STUDY.toml); give the "
                                  "storage with --storage URL")
    url = _inspect_storage(args, study_file)
    try:
        from tunesmith.dashboard import serve
    except ImportError as exc:
        raise ConfigError("", f"the dashboard needs Starlette, uvicorn and plotly ({exc}); "
                              f"run: {_EXTRA}") from None

    def ready(address: str) -> None:
        # The address is what the person came for: printed even with --quiet.
        print(f"tunesmith dashboard of {clean(redact(url), one_line=True)} at {address} "
              "(Ctrl-C to stop)", file=sys.stdout, flush=True)

    with open_for_inspection(url) as storage:
        try:
            serve(storage, host=args.host, port=args.port, on_ready=ready)
        except socket.gaierror as exc:
            raise ConfigError("--host", f"cannot listen on {args.host!r}: {exc.strerror}; "
                                        "give an address of this machine, such as 127.0.0.1"
                              ) from None
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise ConfigError("--port", f"cannot listen on {args.host}:{args.port}: "
                                        f"{reason}; choose another --port (0: any free one)"
                              ) from None
    return 0
