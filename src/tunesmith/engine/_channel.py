"""The line between a worker process's trial and the study: reports and prune decisions.

A trial run in a worker process has no study and no storage (any storage works,
memory included). With a pruner, its reports must reach the other trials' pruners as
they happen, and ``trial.should_prune()`` needs an answer from the whole study's
history. So the study's process listens on a local socket
(:mod:`multiprocessing.connection`: 127.0.0.1, a random port, a random key that only
the tasks carry), and a worker's trial opens one connection for its run:

* ``report`` messages are sent without waiting; the study's process writes each to
  storage (one writer per study object, whatever the backend);
* ``should_prune`` sends the trial's reported values and waits for the decision;
* ``close`` waits until every report before it is stored, so the trial's verdict
  never overtakes its last reports.

Messages are plain tuples of numbers, pickled by :mod:`multiprocessing.connection`
between processes that share the key; nothing from outside is accepted.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Client, Connection, Listener
from typing import Any

__all__ = ["ChannelServer", "PruneChannel", "PruneClient"]

logger = logging.getLogger("tunesmith.engine")

#: What answers a worker: ``report(trial_id, step, value)`` and
#: ``judge(trial_id, number, {step: value}) -> bool``.
Report = Callable[[int, int, float], None]
Judge = Callable[[int, int, dict[int, float]], bool]


@dataclass(frozen=True)
class PruneChannel:
    """Where a worker's trial reaches the study: picklable, sent with each task."""

    address: tuple[str, int]
    authkey: bytes = field(repr=False)

    def connect(self) -> PruneClient:
        return PruneClient(Client(self.address, authkey=self.authkey))


class PruneClient:
    """A worker trial's end of the channel (one connection per trial run)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def report(self, trial_id: int, step: int, value: float) -> None:
        self._conn.send(("report", int(trial_id), int(step), float(value)))

    def should_prune(self, trial_id: int, number: int, values: dict[int, float]) -> bool:
        self._conn.send(("prune", int(trial_id), int(number),
                         {int(s): float(v) for s, v in values.items()}))
        return bool(self._answer())

    def close(self) -> None:
        """Wait until the study has stored every report, then hang up."""
        try:
            self._conn.send(("done",))
            self._answer()
        finally:
            self._conn.close()

    def _answer(self) -> Any:
        kind, payload = self._conn.recv()
        if kind == "error":
            raise RuntimeError(f"the study could not take this trial's report: {payload}")
        return payload


class ChannelServer:
    """The study's end: accepts workers' connections, one thread each, until
    :meth:`stop`.

    >>> seen = []
    >>> server = ChannelServer(lambda *a: seen.append(a), lambda i, n, v: max(v) > 2)
    >>> client = server.channel.connect()
    >>> client.report(7, 1, 0.5)
    >>> client.should_prune(7, 0, {1: 0.5, 3: 0.4})
    True
    >>> client.close(); server.stop()
    >>> seen
    [(7, 1, 0.5)]
    """

    def __init__(self, report: Report, judge: Judge) -> None:
        self._report = report
        self._judge = judge
        authkey = os.urandom(32)
        self._listener = Listener(("127.0.0.1", 0), authkey=authkey)
        address = self._listener.address  # a TCP address: (host, port)
        self.channel = PruneChannel((str(address[0]), int(address[1])), authkey)
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._accept, name="tunesmith-prune-channel",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop accepting; connections already open finish their trial."""
        if self._stopped.is_set():
            return
        self._stopped.set()
        with contextlib.suppress(OSError):  # wake accept() up with a connection of our own
            Client(self.channel.address, authkey=self.channel.authkey).close()
        self._thread.join(timeout=5)
        self._listener.close()

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                conn = self._listener.accept()
            except Exception:  # a wrong key or a dropped connection: ignore that caller
                if self._stopped.is_set():
                    return
                logger.debug("refused a prune channel connection", exc_info=True)
                continue
            if self._stopped.is_set():
                conn.close()
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True,
                             name="tunesmith-prune-trial").start()

    def _serve(self, conn: Connection) -> None:
        problem: str | None = None  # a failed report, told at the next question
        with conn:
            while True:
                try:
                    message = conn.recv()
                except (EOFError, OSError):
                    return  # the worker died or hung up: its trial is the engine's
                kind = message[0]
                try:
                    if kind == "report":
                        self._report(*message[1:])
                        continue
                    if problem is not None:
                        conn.send(("error", problem))
                        problem = None
                    elif kind == "prune":
                        conn.send(("ok", bool(self._judge(*message[1:]))))
                    else:  # "done"
                        conn.send(("ok", True))
                        return
                except Exception as exc:
                    text = f"{type(exc).__name__}: {exc}"
                    if kind == "report":
                        problem = problem or text
                    else:
                        conn.send(("error", text))
