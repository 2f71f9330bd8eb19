"""A daemon thread that marks a process's running trials alive in storage.

Another worker takes over a trial whose heartbeat is older than its ``stale_after``
(on another host, where it cannot see whether the process lives); beats every
``interval`` seconds keep this process's trials from looking abandoned.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Set
from typing import Any

__all__ = ["Heartbeat"]

logger = logging.getLogger("tunesmith.study")


class Heartbeat:
    """Beats for the trial ids in ``held`` (read at each beat) until :meth:`stop`.

    >>> from tunesmith.storage import MemoryStorage
    >>> beat = Heartbeat(MemoryStorage(), set(), interval=60.0)
    >>> beat.stop()
    """

    def __init__(self, storage: Any, held: Set[int], interval: float) -> None:
        self._storage = storage
        self._held = held
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tunesmith-heartbeat",
                                        daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            held = list(self._held)
            if held:
                try:
                    self._storage.heartbeat(held)
                except Exception:  # a missed beat is retried; never kill the study
                    logger.debug("heartbeat failed", exc_info=True)

    def stop(self) -> None:
        self._stop.set()
