"""Who runs a trial, and when a running trial counts as abandoned.

Each running trial has an owner and a heartbeat. An owner name is
``host:pid:token:scope``: ``token`` is random per name, and ``scope`` says which kernel
boot and which PID namespace ``pid`` belongs to. A trial is free for another worker when
it was released on purpose (Ctrl-C), when its heartbeat is older than ``stale_after``, or
when its owner process is provably gone: only an owner of *our* scope (same boot, same
PID namespace) can be checked that way. A hostname proves nothing: two containers, or
two machines left with the default hostname, share one while their PIDs mean different
processes, so a PID seen from elsewhere is never looked up here.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import socket
import time
import uuid

from tunesmith.records import FrozenTrial, TrialState
from tunesmith.storage import Storage

logger = logging.getLogger(__name__)

__all__ = [
    "RELEASED", "is_abandoned", "new_owner", "owner_name", "owner_scope", "take_over_abandoned",
]

RELEASED = "released"  # owner of a trial given up on purpose (Ctrl-C): free to re-run


@functools.cache
def _scope_for(pid: int) -> str | None:
    # Cached per pid: a forked child (another pid) reads its own namespace again.
    try:
        with open("/proc/sys/kernel/random/boot_id", encoding="ascii") as f:
            boot = f.read().strip()
        namespace = os.readlink("/proc/self/ns/pid")  # "pid:[4026531836]"
    except OSError:
        return None  # no /proc (macOS, Windows): liveness by heartbeat only
    return hashlib.sha256(f"{boot}/{namespace}".encode()).hexdigest()[:16]


def owner_scope() -> str | None:
    """This process's boot and PID namespace as a short digest; None where unknown.

    >>> owner_scope() == owner_scope()
    True
    """
    return _scope_for(os.getpid())


def owner_name(pid: int) -> str:
    """An owner name for process ``pid`` of this boot and PID namespace, with a new token.

    >>> name = owner_name(os.getpid())
    >>> name.split(":")[1] == str(os.getpid()), name != owner_name(os.getpid())
    (True, True)
    """
    return f"{socket.gethostname()}:{pid}:{uuid.uuid4().hex[:12]}:{owner_scope() or '-'}"


def new_owner() -> str:
    """A fresh owner name for a study object of this process."""
    return owner_name(os.getpid())


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
    pid = _local_pid(owner)
    if pid is not None and not _pid_alive(pid):
        return True
    if trial.heartbeat_at is None or not beats:
        return False
    age = time.time() - trial.heartbeat_at.timestamp()
    return age > stale_after


def _local_pid(owner: str) -> int | None:
    """The owner's PID when it names a process of our boot and PID namespace, else None.

    Older owner names (``host:pid:token``, no scope) are never checked by PID: the
    heartbeat decides for them.
    """
    parts = owner.rsplit(":", 3)
    if len(parts) != 4:
        return None
    _host, pid, _token, scope = parts
    ours = owner_scope()
    if ours is None or scope != ours or not pid.isdigit():
        return None
    return int(pid)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def take_over_abandoned(storage: Storage, study_id: int, owner: str, *,
                        stale_after: float) -> FrozenTrial | None:
    """The first running trial of the study that another owner abandoned, now ``owner``'s
    (a compare-and-set: of two workers looking at once, one gets it); None if none."""
    for old in storage.trials(study_id, states=[TrialState.RUNNING]):
        if old.owner == owner or not is_abandoned(old, stale_after=stale_after,
                                                  beats=storage.is_persistent):
            continue
        taken = storage.take_over_trial(old.trial_id, old_owner=old.owner or "",
                                        new_owner=owner)
        if taken is not None:
            logger.info("re-running trial %d, abandoned by %s", taken.number, old.owner)
            return taken
    return None
