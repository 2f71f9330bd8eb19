"""Who runs a trial, and when a running trial counts as abandoned.

Each running trial has an owner (``host:pid:token``) and a heartbeat. A trial whose
owner process is gone (same host), whose heartbeat is older than ``stale_after``
(other hosts), or that was released on purpose (Ctrl-C) is free for another worker.
"""

from __future__ import annotations

import os
import socket
import time
import uuid

from tunesmith.records import FrozenTrial

__all__ = ["RELEASED", "is_abandoned", "new_owner"]

_HOST = socket.gethostname()
RELEASED = "released"  # owner of a trial given up on purpose (Ctrl-C): free to re-run


def new_owner() -> str:
    """A fresh owner name for a study object of this process."""
    return f"{_HOST}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def is_abandoned(trial: FrozenTrial, *, stale_after: float, beats: bool) -> bool:
    """Whether another worker may take this running trial over.

    ``beats`` says whether the storage keeps heartbeats (not in memory: there only a
    release frees a trial).

    >>> from tunesmith.records import TrialState
    >>> is_abandoned(FrozenTrial(number=0, state=TrialState.RUNNING, owner=RELEASED),
    ...              stale_after=60, beats=False)
    True
    """
    owner = trial.owner or ""
    if owner == RELEASED:
        return True
    host, _, rest = owner.partition(":")
    pid = rest.partition(":")[0]
    if host == _HOST and pid.isdigit() and not _pid_alive(int(pid)):
        return True
    if trial.heartbeat_at is None or not beats:
        return False
    age = time.time() - trial.heartbeat_at.timestamp()
    return age > stale_after


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
