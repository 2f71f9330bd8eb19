"""Studies for the dashboard's tests and benchmark, and a writer process.

* :func:`build_big`: a SQLite study of ``n`` trials (100,000 in the browser test),
  bulk-inserted with SQLAlchemy Core in one transaction through the storage's own
  schema and JSON encoding: seconds, where ``n`` ask/tell calls would take minutes.
* :func:`build_small`: a study written through the public Storage interface, with every
  state, folds, intermediate values, a failure message and hostile strings.
* ``python studies.py write URL STUDY N``: a writer process that adds ``N`` trials to a
  study (one transaction to create and one to finish each, as a study does) and prints
  ``{"n", "seconds", "per_trial_ms", "errors"}`` as JSON.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa

from tunesmith.records import Direction, FoldRecord, TrialState
from tunesmith.space import Categorical, Float, Int
from tunesmith.storage import _sql_json as codec
from tunesmith.storage import _sql_schema as schema
from tunesmith.storage._sql import SQLStorage

#: Strings that must reach the page as text: HTML, a script, an ANSI escape, rich markup.
HOSTILE = {
    "html": "<b>bold</b><img src=x onerror=alert(1)>",
    "script": "<script>window.__pwned = 1</script>",
    "ansi": "\x1b[31mred\x1b[0m",
    "markup": "[/markup][bold]x[/bold]",
}
BIG_DIMS = {"x": Float(-5.0, 5.0), "y": Float(0.001, 100.0, log=True),
            "kernel": Categorical(["rbf", "linear", "poly"]), "depth": Int(1, 12)}
_KERNEL_COST = {"rbf": 0.0, "linear": 0.5, "poly": 1.0}
_EPOCH = datetime(2026, 12, 1, tzinfo=timezone.utc)


def build_big(path: Path, n: int, *, name: str = "big", seed: int = 0) -> int:
    """A study of ``n`` trials in the SQLite file ``path``; returns its id.

    95% complete, 3% failed (with a message), 2% pruned (5 intermediate values each);
    minimise ``x**2 + log10(y)**2 + kernel cost``. Complete trials have 3 folds (their
    mean is the value) when they are among the best 2% or every tenth trial: the
    verdict and the fold spread read the best ones, and 300,000 fold rows would triple
    the build. Rows go in as tuples through the driver's executemany (statements
    compiled from the storage's own tables, values encoded as the storage encodes
    them), in one transaction.
    """
    url = f"sqlite:///{path}"
    with SQLStorage(url) as storage:  # the tables, the version, WAL mode
        study_id = storage.create_study(name, direction=Direction.MINIMIZE,
                                        attrs={"sampler": "RandomSampler(seed=0)"})
    rng = np.random.default_rng(seed)
    x = rng.uniform(-5, 5, n)
    y = 10 ** rng.uniform(-3, 2, n)
    kernels = rng.choice(list(_KERNEL_COST), n)
    depth = rng.integers(1, 13, n)
    states = rng.choice(["complete", "failed", "pruned"], n, p=[0.95, 0.03, 0.02])
    values = x ** 2 + np.log10(y) ** 2 + np.array([_KERNEL_COST[k] for k in kernels])
    good = np.quantile(values, 0.02)
    dims_json = codec.dumps(codec.encode_dimensions(BIG_DIMS))
    stamp = [(_EPOCH + timedelta(seconds=i)).isoformat(timespec="microseconds")
             for i in range(n)]
    end = [(_EPOCH + timedelta(seconds=i + 0.5)).isoformat(timespec="microseconds")
           for i in range(n)]
    trials, folds, steps = [], [], []
    for i, (xi, yi, kernel, di, state, value) in enumerate(zip(
            x.tolist(), y.tolist(), kernels.tolist(), depth.tolist(), states.tolist(),
            values.tolist(), strict=True)):
        params = codec.dumps({"x": xi, "y": yi, "kernel": kernel, "depth": di})
        trials.append((
            i + 1, study_id, i, None, state, value if state == "complete" else None, None,
            params, dims_json, "{}", "ValueError: diverged" if state == "failed" else None,
            "bench:1:bulk", stamp[i], end[i], stamp[i], None, i + 1,
        ))
        if state == "complete" and (value <= good or i % 10 == 0):
            folds.extend((i + 1, k, f'{{"score":{value + shift!r}}}', None, 0.01, 0.001,
                          None, None) for k, shift in enumerate((-0.01, 0.0, 0.01)))
        elif state == "pruned":
            steps.extend((i + 1, s, value + 5 - s) for s in range(5))
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            for table, rows in ((schema.trials_table, trials), (schema.folds_table, folds),
                                (schema.trial_values_table, steps)):
                if rows:
                    sql = str(table.insert().compile(dialect=engine.dialect))
                    conn.exec_driver_sql(sql, rows)
            conn.execute(sa.update(schema.studies_table)
                         .where(schema.studies_table.c.study_id == study_id)
                         .values(seq=n))
    finally:
        engine.dispose()
    return study_id


def build_small(url: str, *, name: str = "small") -> tuple[int, dict[str, Any]]:
    """A study of 12 trials through the public Storage calls; returns its id and what
    the tests expect (the hostile strings, the trial numbers by role)."""
    dims = {"alpha": Float(1e-4, 1.0, log=True), "kind": Categorical(list(HOSTILE.values()))}
    with SQLStorage(url) as storage:
        sid = storage.create_study(name, direction=Direction.MAXIMIZE,
                                   attrs={"note": HOSTILE["script"], "planned": 12})
        for k in range(12):
            kind = list(HOSTILE.values())[k % 4]
            t = storage.create_trial(sid, owner="host:1:abc",
                                     params={"alpha": 10.0 ** -(k % 4), "kind": kind},
                                     dimensions=dims)
            assert t is not None
            if k in (3, 7):
                for step in range(4):
                    storage.report(t.trial_id, step, 0.1 * step)
                storage.finish_trial(t.trial_id, TrialState.PRUNED)
            elif k == 5:
                storage.finish_trial(t.trial_id, TrialState.FAILED, message=HOSTILE["ansi"]
                                     + " " + HOSTILE["html"] + "\nTraceback line 2")
            elif k == 11:
                continue  # left running
            else:
                scores = [0.5 + 0.03 * k + d for d in (-0.02, 0.0, 0.02)]
                storage.finish_trial(
                    t.trial_id, TrialState.COMPLETE, value=float(np.mean(scores)),
                    folds=[FoldRecord(j, {"score": s}, fit_time=0.1 * (j + 1), score_time=0.01)
                           for j, s in enumerate(scores)])
    return sid, {"pruned": [3, 7], "failed": [5], "running": [11], "best": 10}


def write(url: str, study: str, n: int) -> dict[str, Any]:
    """Add ``n`` complete trials to ``study``, as fast as the storage lets it."""
    errors = 0
    with SQLStorage(url) as storage:
        sid = storage.study_id(study)
        dims = {"x": Float(-5.0, 5.0)}
        start = time.perf_counter()
        for k in range(n):
            try:
                t = storage.create_trial(sid, owner="writer:1:w", params={"x": k / n},
                                         dimensions=dims)
                assert t is not None
                storage.finish_trial(t.trial_id, TrialState.COMPLETE, value=(k / n) ** 2)
            except Exception as exc:  # counted and shown: the test asserts none
                errors += 1
                print(f"writer error: {exc!r}", file=sys.stderr)
        seconds = time.perf_counter() - start
    return {"n": n, "seconds": seconds, "per_trial_ms": 1000 * seconds / n, "errors": errors}


def wait_until(predicate: Any, timeout: float, what: str) -> None:
    """Poll ``predicate`` until true; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"{what}: not within {timeout} s"
        time.sleep(0.1)


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "write":
        print(json.dumps(write(sys.argv[2], sys.argv[3], int(sys.argv[4]))), flush=True)
    elif len(sys.argv) == 4 and sys.argv[1] == "big":
        print(build_big(Path(sys.argv[2]), int(sys.argv[3])))
    else:
        sys.exit("usage: studies.py write URL STUDY N | big PATH N")
