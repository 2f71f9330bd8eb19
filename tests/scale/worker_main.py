"""One worker process of the scale tests: ``run_worker`` on a grid study, as a user runs it.

Arguments: URL NAME FOLDER ROLE SIZE STALE_AFTER HEARTBEAT MODE AT. The grid is
``{"i": range(SIZE)}``, the value of point i is i * i. Every start and end of an
objective is one appended line of FOLDER/log (``start i pid``, ``end i pid``), so the
tests count evaluations independently of storage. MODE changes what point AT does:

* ``hang``: it waits until FOLDER/release exists (a long trial to kill or to watch);
* ``gil``: it holds the GIL for about 1.5 x STALE_AFTER seconds in one C call; the
  points before it sleep for one heartbeat interval (the GIL free).

The worker creates FOLDER/ready-ROLE once the study is open, waits for FOLDER/go-ROLE,
creates FOLDER/working-ROLE and prints its owner name and pid as JSON when the study is
done.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import tunesmith

url, name, folder_text, role, size, stale, beat, mode, at = sys.argv[1:10]
folder = Path(folder_text)


def log(event: str, point: int) -> None:
    fd = os.open(folder / "log", os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        os.write(fd, f"{event} {point} {os.getpid()}\n".encode())
    finally:
        os.close(fd)


def hold_the_gil(seconds: float) -> None:
    """One builtin call that never lets go of the GIL (sum over a range runs in C)."""
    started = time.perf_counter()
    sum(range(2_000_000))
    rate = 2_000_000 / max(time.perf_counter() - started, 1e-6)
    sum(range(int(rate * seconds)))


def objective(trial: tunesmith.Trial) -> float:
    point = trial.params["i"]
    log("start", point)
    if point == int(at) and mode == "hang":
        (folder / f"hung-{point}").write_text(str(os.getpid()))
        while not (folder / "release").exists():
            time.sleep(0.05)
    elif point == int(at) and mode == "gil":
        (folder / f"hung-{point}").write_text(str(os.getpid()))
        hold_the_gil(1.5 * float(stale))
    elif point < int(at) and mode == "gil":
        time.sleep(float(beat))
    else:
        time.sleep(0.005)
    log("end", point)
    return float(point * point)


study = tunesmith.Study(space={"i": list(range(int(size)))}, sampler="grid", storage=url,
                        name=name, load_if_exists=True, stale_after=float(stale),
                        heartbeat_interval=float(beat))
(folder / f"ready-{role}").touch()
while not (folder / f"go-{role}").exists():
    time.sleep(0.01)
(folder / f"working-{role}").touch()
ran = tunesmith.run_worker(study, objective, poll=0.2)
print(json.dumps({"owner": study.owner, "pid": os.getpid(), "ran": ran}))
study.close()
