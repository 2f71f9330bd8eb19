"""Heartbeats that mark a process's running trials alive in storage, whatever it is doing.

Another worker takes over a trial whose heartbeat is older than its ``stale_after`` (on
another host, or in another PID namespace, where it cannot see whether the process
lives). A heartbeat thread would need the GIL, and an objective that runs in this process
may hold it for minutes (a long C call that never releases it), so its trial would look
abandoned and be run twice. The beats therefore come from a small helper process, one per
process that holds trials, started on the first beat: it opens the storage itself (a
``SQLStorage`` travels as its URL) and beats every ``interval`` for the trials it was
told about. The study tells it which trials it holds as they change, from the thread that
asks and tells (the only one that changes them, so it is never blocked when it needs to
say so). The helper stops as soon as this process dies: its pipe closes, and it also
watches its parent's PID. A thread in this process beats as well, which covers the
helper's start and a storage that cannot travel to another process.
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import itertools
import json
import logging
import os
import pickle
import queue
import subprocess
import sys
import threading
import time
import weakref
from collections.abc import Iterable, Set
from typing import Any

__all__ = ["Heartbeat", "HeldTrials"]

logger = logging.getLogger("tunesmith.study")


class HeldTrials(set[int]):
    """The running trials a study object holds; tells its heartbeat when they change.

    >>> held = HeldTrials()
    >>> held.add(3); sorted(held)
    [3]
    """

    _listener: Heartbeat | None = None

    def add(self, item: int) -> None:
        super().add(item)
        self._changed()

    def discard(self, item: int) -> None:
        super().discard(item)
        self._changed()

    def remove(self, item: int) -> None:
        super().remove(item)
        self._changed()

    def clear(self) -> None:
        super().clear()
        self._changed()

    def _changed(self) -> None:
        if self._listener is not None:
            self._listener.held_changed(self)


class Heartbeat:
    """Beats for the trial ids in ``held`` every ``interval`` seconds until :meth:`stop`.

    A daemon thread reads ``held`` and beats; with a :class:`HeldTrials` and a storage
    that can be sent to another process (a database URL), the helper process beats too,
    and goes on when this process holds the GIL.

    >>> from tunesmith.storage import MemoryStorage
    >>> beat = Heartbeat(MemoryStorage(), set(), interval=60.0)
    >>> beat.stop()
    """

    def __init__(self, storage: Any, held: Set[int], interval: float) -> None:
        self._storage = storage
        self._held = held
        self._interval = interval
        self._stop = threading.Event()
        self._key: int | None = None
        self._thread: threading.Thread | None = None
        blob = _portable(storage) if isinstance(held, HeldTrials) else None
        if blob is not None and isinstance(held, HeldTrials):
            self._key = _HELPER.open(blob, interval, list(held))
            if self._key is not None:
                held._listener = self
                weakref.finalize(self, _HELPER.close, self._key)
        # The thread beats too: it covers the helper's start (an import that a busy
        # machine makes slow) and any storage that cannot travel.
        self._thread = threading.Thread(target=self._run, name="tunesmith-heartbeat",
                                        daemon=True)
        self._thread.start()

    @property
    def in_helper(self) -> bool:
        """Whether the helper process beats too (else only the thread)."""
        return self._key is not None

    def held_changed(self, held: Iterable[int]) -> None:
        if self._key is not None:
            _HELPER.held(self._key, list(held))

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
        if self._key is not None:
            if isinstance(self._held, HeldTrials):
                self._held._listener = None
            _HELPER.close(self._key)
            self._key = None


def _portable(storage: Any) -> str | None:
    """The storage as text the helper can open, or None when it cannot travel."""
    try:
        return base64.b64encode(pickle.dumps(storage)).decode("ascii")
    except Exception:  # an in-memory database, a storage holding live objects
        return None


class _Helper:
    """This process's heartbeat helper: what it was told, and the pipe to it.

    Everything it was told is kept here, so a helper that died (or a fork of this
    process, which must not write into its parent's pipe) gets a new one told again.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._pid = 0  # the process that started the helper
        self._keys = itertools.count(1)
        self._state: dict[int, dict[str, Any]] = {}

    def open(self, blob: str, interval: float, ids: list[int]) -> int | None:
        with self._lock:
            key = next(self._keys)
            self._state[key] = {"op": "open", "key": key, "storage": blob,
                                "interval": interval, "ids": ids}
            if self._send(self._state[key]):
                return key
            del self._state[key]
            return None

    def held(self, key: int, ids: list[int]) -> None:
        with self._lock:
            if key in self._state:
                self._state[key]["ids"] = ids
                self._send({"op": "held", "key": key, "ids": ids})

    def close(self, key: int) -> None:
        with self._lock:
            if self._state.pop(key, None) is not None:
                self._send({"op": "close", "key": key})

    def _send(self, message: dict[str, Any]) -> bool:
        line = (json.dumps(message) + "\n").encode("ascii")
        for _ in range(2):  # a dead helper is replaced once, and told everything again
            proc = self._ensure()
            if proc is None or proc.stdin is None:
                return False
            try:
                proc.stdin.write(line)
                proc.stdin.flush()
                return True
            except OSError:
                self._proc = None
                if message["op"] == "open" or message["key"] in self._state:
                    continue
                return True  # a close to a dead helper: nothing left to stop
        return False

    def _ensure(self) -> subprocess.Popen[bytes] | None:
        if self._proc is not None and self._pid == os.getpid() and self._proc.poll() is None:
            return self._proc
        src = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH")) if p)
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-c", "from tunesmith._heartbeat import _helper_main; "
                                       "_helper_main()"],
                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                env=env, close_fds=True)
        except OSError:
            logger.debug("no heartbeat helper; beats from a thread", exc_info=True)
            return None
        if not self._pid:
            atexit.register(self.stop)
        self._pid = os.getpid()
        assert self._proc.stdin is not None
        for state in self._state.values():  # what the last helper was told
            self._proc.stdin.write((json.dumps(state) + "\n").encode("ascii"))
        return self._proc

    def stop(self) -> None:
        """At exit: close the pipe (the helper stops at once) and reap the helper."""
        proc, self._proc = self._proc, None
        if proc is None or self._pid != os.getpid():
            return
        try:
            if proc.stdin is not None:
                proc.stdin.close()
            proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            proc.kill()
            proc.wait()


_HELPER = _Helper()


def _helper_main() -> None:
    """The helper process: beat for what the parent holds until the parent is gone."""
    parent = os.getppid()
    inbox: queue.Queue[dict[str, Any] | None] = queue.Queue()

    def read() -> None:
        for line in sys.stdin.buffer:
            inbox.put(json.loads(line))
        inbox.put(None)  # the pipe closed: the parent exited or died

    threading.Thread(target=read, daemon=True).start()
    keys: dict[int, dict[str, Any]] = {}
    opened: dict[str, list[Any]] = {}  # storage text -> [storage, users]
    try:
        while os.getppid() == parent:
            now = time.monotonic()
            due = min((k["due"] for k in keys.values()), default=now + 1.0)
            try:
                message = inbox.get(timeout=max(0.0, min(due - now, 1.0)))
            except queue.Empty:
                message = {}
            if message is None:
                return
            _apply(message, keys, opened)
            now = time.monotonic()
            for entry in keys.values():
                if entry["due"] <= now:
                    entry["due"] = now + entry["interval"]
                    if entry["ids"]:
                        with contextlib.suppress(Exception):  # retried at the next beat
                            entry["storage"].heartbeat(entry["ids"])
    finally:
        for storage, _ in opened.values():
            storage.close()


def _apply(message: dict[str, Any], keys: dict[int, dict[str, Any]],
           opened: dict[str, list[Any]]) -> None:
    op = message.get("op")
    if op == "open" and message["key"] not in keys:  # a replay may repeat an open
        blob = message["storage"]
        if blob not in opened:
            opened[blob] = [pickle.loads(base64.b64decode(blob)), 0]  # from our parent
        opened[blob][1] += 1
        keys[message["key"]] = {"blob": blob, "storage": opened[blob][0],
                                "interval": float(message["interval"]),
                                "ids": list(message["ids"]),
                                "due": time.monotonic() + float(message["interval"])}
    elif op == "held" and message["key"] in keys:
        keys[message["key"]]["ids"] = list(message["ids"])
    elif op == "close" and message["key"] in keys:
        blob = keys.pop(message["key"])["blob"]
        opened[blob][1] -= 1
        if not opened[blob][1]:
            opened.pop(blob)[0].close()
