"""What the dashboard reads from a study database, in short read transactions.

Every method is one read transaction of a few statements with bound parameters, run
through the SQL storage's own retrying runner (a deferred ``BEGIN``: on SQLite, in WAL
mode, a reader never blocks a writer nor takes a write lock). Aggregates (trials by
state, the best value, last activity, live workers) are computed in SQL; the trials
table is sorted, filtered and paged in SQL; a study's outline (number, state and value
of each trial, for the plots' sampling) is followed through the change sequence
(``seq``), so that a live page re-reads only what changed.

This module is the dashboard's one coupling to the SQL storage's inside (its tables,
its transaction runner and its row decoding); everything else goes through the public
:class:`~tunesmith.storage.Storage` interface.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tunesmith.exceptions import StudyNotFoundError
from tunesmith.records import Direction, FrozenTrial, TrialState
from tunesmith.storage import Storage
from tunesmith.storage import _sql_schema as schema
from tunesmith.storage._sql import SQLStorage
from tunesmith.storage._sql_rows import TrialRows
from tunesmith.study._owners import is_abandoned

__all__ = [
    "SORT_KEYS", "STALE_AFTER_S", "Outline", "Page", "PageQuery", "Source", "StudyRow", "Worker",
    "study_status",
]

#: The study file's planned number of trials, as ``tunesmith run`` stores it
#: (``tunesmith.cli._resume.PLANNED_ATTR``; the CLI sits above this layer).
PLANNED_ATTR = "cli_planned"

#: What ``tunesmith run`` stores when a search ends: its scoring, the verdict's lines and
#: the default model's fold scores (``tunesmith.cli._resume.RESULT_ATTR``).
RESULT_ATTR = "cli_result"

#: What the trials table can be sorted by.
SORT_KEYS = ("number", "value", "state", "started", "finished", "duration")

_RUNNING = TrialState.RUNNING.value
_COMPLETE = TrialState.COMPLETE.value
_STATES = {state.value: state for state in TrialState}


#: Seconds without a heartbeat after which another host's trial counts as abandoned
#: (``Study``'s default ``stale_after``).
STALE_AFTER_S = 120.0


@dataclass(frozen=True)
class Worker:
    """An owner of running trials: how many it holds, its latest heartbeat, and whether
    it is alive by the engine's own rule (a worker would not take its trials over)."""

    owner: str
    running: int
    heartbeat_at: datetime | None
    alive: bool

    @classmethod
    def from_row(cls, owner: str | None, running: int, beat: datetime | None) -> Worker:
        probe = FrozenTrial(number=0, state=TrialState.RUNNING, owner=owner, heartbeat_at=beat)
        alive = not is_abandoned(probe, stale_after=STALE_AFTER_S, beats=True)
        return cls(str(owner or ""), int(running), beat, alive)


@dataclass(frozen=True)
class StudyRow:
    """One study in brief: what the studies page shows, all computed in SQL."""

    study_id: int
    name: str
    direction: Direction
    created_at: datetime | None
    seq: int
    counts: dict[str, int]
    best_value: float | None
    last_activity: datetime | None
    workers: tuple[Worker, ...]
    planned: int | None

    @property
    def n_trials(self) -> int:
        return sum(self.counts.values())

    @property
    def status(self) -> str:
        """``running`` (a live worker), ``interrupted`` (running trials nobody holds,
        or fewer trials than planned) or ``finished``."""
        return study_status(self.counts, self.workers, self.planned)


def study_status(counts: dict[str, int], workers: Iterable[Worker], planned: int | None
                 ) -> str:
    """A study's state as the studies page shows it.

    >>> study_status({"complete": 3}, (), planned=10)
    'interrupted'
    """
    if any(worker.alive for worker in workers):
        return "running"
    if counts.get(_RUNNING) or (planned is not None and sum(counts.values()) < planned):
        return "interrupted"
    return "finished"


@dataclass
class Outline:
    """A study's trials in brief (number -> state, number -> value), kept current
    through the change sequence: :meth:`Source.follow` reads only trials whose
    ``seq`` is above :attr:`seq`."""

    study_id: int
    seq: int = -1
    states: dict[int, str] = field(default_factory=dict)
    values: dict[int, float | None] = field(default_factory=dict)


@dataclass(frozen=True)
class PageQuery:
    """One page of a study's trials table: sort, filters, offset and size.

    ``text`` matches a substring of the parameters' JSON or of the failure message
    (case-insensitive on SQLite and PostgreSQL alike); ``states`` keeps only those
    states; ``value_min`` / ``value_max`` bound the value (trials without a finite
    value are then left out).
    """

    sort: str = "number"
    descending: bool = False
    states: tuple[str, ...] = ()
    text: str = ""
    value_min: float | None = None
    value_max: float | None = None
    offset: int = 0
    limit: int = 50

    def __post_init__(self) -> None:
        if self.sort not in SORT_KEYS:
            raise ValueError(f"sort must be one of {', '.join(SORT_KEYS)}; got {self.sort!r}")
        for state in self.states:
            if state not in _STATES:
                raise ValueError(f"unknown trial state {state!r}; use one of "
                                 f"{', '.join(_STATES)}")
        if not 1 <= self.limit <= 500:
            raise ValueError(f"limit must be between 1 and 500, got {self.limit}")
        if self.offset < 0:
            raise ValueError(f"offset must be >= 0, got {self.offset}")
        for bound in (self.value_min, self.value_max):
            if bound is not None and not math.isfinite(bound):
                raise ValueError(f"a value bound must be a finite number, got {bound}")


@dataclass(frozen=True)
class Page:
    """The rows of one table page, and how many trials match the filters in all."""

    total: int
    rows: list[dict[str, Any]]


class Source:
    """The dashboard's reads of one SQL storage (SQLite or PostgreSQL).

    >>> Source(__import__("tunesmith").storage.MemoryStorage())
    Traceback (most recent call last):
    ...
    TypeError: the dashboard reads a study database (SQLite or PostgreSQL), not MemoryStorage
    """

    def __init__(self, storage: Storage) -> None:
        if not isinstance(storage, SQLStorage):
            raise TypeError("the dashboard reads a study database (SQLite or PostgreSQL), "
                            f"not {type(storage).__name__}")
        self.storage = storage
        self._decode = TrialRows()
        s, t = schema.studies_table, schema.trials_table
        sid = sa.bindparam("p_sid", type_=sa.Integer)
        complete = t.c.state == _COMPLETE
        self._studies = sa.select(
            s.c.study_id, s.c.name, s.c.direction, s.c.created_at, s.c.seq
        ).order_by(s.c.study_id)
        # Trials by study and state, with the best values and the latest times: one
        # pass over the trials whatever their number.
        by_state = sa.select(
            t.c.study_id, t.c.state, sa.func.count(),
            sa.func.min(sa.case((complete, t.c.value))),
            sa.func.max(sa.case((complete, t.c.value))),
            sa.func.max(t.c.started_at), sa.func.max(t.c.finished_at),
        ).group_by(t.c.study_id, t.c.state)
        # Owners of running trials (the (study, state) index finds them).
        owners = sa.select(
            t.c.study_id, t.c.owner, sa.func.count(), sa.func.max(t.c.heartbeat_at)
        ).where(t.c.state == _RUNNING).group_by(t.c.study_id, t.c.owner)
        a = schema.study_attrs_table
        planned = sa.select(a.c.study_id, a.c.value_json).where(a.c.key == PLANNED_ATTR)
        # Every study, or one (the same statements, narrowed by the study's id).
        self._all = (self._studies, by_state, owners, planned)
        self._one = (self._studies.where(s.c.study_id == sid), by_state.where(t.c.study_id == sid),
                     owners.where(t.c.study_id == sid), planned.where(a.c.study_id == sid))
        self._study_owners = owners.where(t.c.study_id == sid)
        self._seq = sa.select(s.c.seq).where(s.c.study_id == sid)
        # What changed since a number: the outer join gives one row of NULLs when
        # nothing did, and none when there is no such study (as the storage does).
        since = sa.bindparam("p_since", type_=sa.BigInteger)
        self._changed = (
            sa.select(s.c.seq, t.c.number, t.c.state, t.c.value, t.c.value_special)
            .select_from(s.outerjoin(t, sa.and_(t.c.study_id == s.c.study_id, t.c.seq > since)))
            .where(s.c.study_id == sid)
        )
        self._trial_id = sa.select(t.c.trial_id).where(
            t.c.study_id == sid, t.c.number == sa.bindparam("p_number", type_=sa.Integer)
        )
        numbers: Any = sa.bindparam("p_numbers", expanding=True)
        self._sample_rows = sa.select(t).where(t.c.study_id == sid, t.c.number.in_(numbers))
        f = schema.folds_table
        self._sample_folds = (
            sa.select(f.c.trial_id, f.c.fold, f.c.test_scores_json, f.c.train_scores_json,
                      f.c.fit_time, f.c.score_time, f.c.fit_error, f.c.score_error)
            .join(t, t.c.trial_id == f.c.trial_id)
            .where(t.c.study_id == sid, t.c.number.in_(numbers))
            .order_by(f.c.trial_id, f.c.fold)
        )

    def _read(self, work: Any) -> Any:
        # One short read transaction, retried while the database is busy.
        return self.storage.read(work)

    # -- studies -----------------------------------------------------------------------

    def studies(self) -> list[StudyRow]:
        """Every study with its trials by state, best value, activity and live owners."""
        return self._study_rows(self._all, {})

    def study(self, study_id: int) -> StudyRow:
        """One study in brief; StudyNotFoundError if there is none."""
        rows = self._study_rows(self._one, {"p_sid": study_id})
        if not rows:
            raise StudyNotFoundError(f"no study with id {study_id}")
        return rows[0]

    def _study_rows(self, statements: tuple[Any, ...], params: dict[str, Any]
                    ) -> list[StudyRow]:
        def work(conn: Connection) -> list[StudyRow]:
            studies, groups, owners, planned = (conn.execute(q, params).all()
                                                for q in statements)
            return _study_rows(studies, groups, owners, planned)

        rows: list[StudyRow] = self._read(work)
        return rows

    def workers(self, study_id: int) -> tuple[Worker, ...]:
        """The owners of a study's running trials, alive or not."""
        rows = self._read(lambda conn: conn.execute(
            self._study_owners, {"p_sid": study_id}).all())
        return tuple(sorted((Worker.from_row(owner, n, beat) for _sid, owner, n, beat in rows),
                            key=lambda w: w.owner))

    def planned(self, study_id: int) -> int | None:
        """The number of trials the study file planned (``tunesmith run``), if any."""
        value = self.storage.study_attrs(study_id).get(PLANNED_ATTR)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    def default_scores(self, study_id: int) -> tuple[list[float] | None, str | None]:
        """The default model's fold scores (NaN for a failed fold) and the scoring's
        name, as ``tunesmith run`` stored them when its search ended; (None, None) for
        a study that has none."""
        result = self.storage.study_attrs(study_id).get(RESULT_ATTR)
        if not isinstance(result, dict):
            return None, None
        scores = result.get("default_scores")
        scoring = result.get("scoring")
        if not isinstance(scores, list) or not scores or not all(
                s is None or (isinstance(s, int | float) and not isinstance(s, bool))
                for s in scores):
            scores = None
        else:
            scores = [math.nan if s is None else float(s) for s in scores]
        return scores, scoring if isinstance(scoring, str) else None

    def seqs(self) -> dict[int, int]:
        """Each study's change sequence number (cheap: one row per study)."""
        s = schema.studies_table
        rows = self._read(lambda conn: conn.execute(sa.select(s.c.study_id, s.c.seq)).all())
        return {int(sid): int(seq) for sid, seq in rows}

    # -- a study's trials ----------------------------------------------------------------

    def follow(self, outline: Outline) -> bool:
        """Bring ``outline`` up to date; True if anything changed."""
        params = {"p_sid": outline.study_id, "p_since": outline.seq}
        rows = self._read(lambda conn: conn.execute(self._changed, params).all())
        if not rows:
            raise StudyNotFoundError(f"no study with id {outline.study_id}")
        seq = int(rows[0][0])
        changed = seq != outline.seq
        outline.seq = seq
        for _seq, number, state, value, special in rows:
            if number is None:  # the outer join's row of NULLs: nothing changed
                continue
            outline.states[int(number)] = state
            outline.values[int(number)] = value if special is None else float(special)
        return changed

    def trials_by_number(self, study_id: int, numbers: Iterable[int], *, folds: bool = True
                         ) -> list[FrozenTrial]:
        """Those trials of a study (with their folds unless ``folds=False``, without
        intermediate values), in number order."""
        params = {"p_sid": study_id, "p_numbers": sorted({int(n) for n in numbers})}
        if not params["p_numbers"]:
            return []

        def work(conn: Connection) -> tuple[Sequence[Any], Sequence[Any]]:
            rows = conn.execute(self._sample_rows, params).all()
            return rows, (conn.execute(self._sample_folds, params).all() if folds else [])

        rows, fold_rows = self._read(work)
        rows = sorted(rows, key=lambda row: row.number)
        return self._decode.trials(rows, (), fold_rows)

    def trial(self, study_id: int, number: int) -> FrozenTrial:
        """Trial ``number`` of a study, whole; KeyError if there is none."""
        found = self._read(lambda conn: conn.execute(
            self._trial_id, {"p_sid": study_id, "p_number": number}).first())
        if found is None:
            raise KeyError(f"study {study_id} has no trial {number}")
        return self.storage.trial(int(found[0]))

    def page(self, study_id: int, query: PageQuery) -> Page:
        """One page of the trials table, sorted, filtered and paged in SQL."""
        t, v = schema.trials_table, schema.trial_values_table
        where = [t.c.study_id == study_id]
        if query.states:
            where.append(t.c.state.in_(query.states))
        if query.text:
            pattern = "%" + _like_escaped(query.text.lower()) + "%"
            where.append(sa.or_(
                sa.func.lower(t.c.params_json).like(pattern, escape="\\"),
                sa.func.lower(sa.func.coalesce(t.c.message, "")).like(pattern, escape="\\"),
            ))
        if query.value_min is not None:
            where.append(t.c.value >= query.value_min)
        if query.value_max is not None:
            where.append(t.c.value <= query.value_max)
        columns = (t.c.trial_id, t.c.number, t.c.state, t.c.value, t.c.value_special,
                   t.c.params_json, t.c.message, t.c.started_at, t.c.finished_at, t.c.owner,
                   t.c.heartbeat_at, t.c.budget, t.c.candidate)
        sort = self._sort_column(query.sort)
        key = sort.desc() if query.descending else sort.asc()
        # Trials without the sort key (no value, still running) always come last.
        rows_q = (sa.select(*columns).where(*where)
                  .order_by(sa.case((sort.is_(None), 1), else_=0), key, t.c.number)
                  .limit(query.limit).offset(query.offset))
        count_q = sa.select(sa.func.count()).select_from(t).where(*where)

        def work(conn: Connection) -> tuple[int, Sequence[Any], Sequence[Any]]:
            total = int(conn.execute(count_q).scalar_one())
            rows = conn.execute(rows_q).all()
            ids = [row.trial_id for row in rows]
            if not ids:
                if conn.execute(self._seq, {"p_sid": study_id}).first() is None:
                    raise StudyNotFoundError(f"no study with id {study_id}")
                return total, rows, []
            last = (sa.select(v.c.trial_id, sa.func.max(v.c.step).label("step"),
                              sa.func.count().label("n"))
                    .where(v.c.trial_id.in_(ids)).group_by(v.c.trial_id).subquery())
            steps = conn.execute(
                sa.select(v.c.trial_id, v.c.step, v.c.value, last.c.n)
                .join(last, sa.and_(v.c.trial_id == last.c.trial_id, v.c.step == last.c.step))
            ).all()
            return total, rows, steps

        total, rows, steps = self._read(work)
        last_step = {trial_id: (step, value, n) for trial_id, step, value, n in steps}
        return Page(total, [_table_row(row, last_step.get(row.trial_id)) for row in rows])

    def _sort_column(self, sort: str) -> Any:
        t = schema.trials_table
        if sort == "duration":
            if self.storage.dialect == "sqlite":
                # Julian days carry ~40 us of rounding at today's dates: milliseconds.
                return sa.func.round((sa.func.julianday(t.c.finished_at)
                                      - sa.func.julianday(t.c.started_at)) * 86400.0, 3)
            return sa.extract("epoch", t.c.finished_at - t.c.started_at)
        return {"number": t.c.number, "value": t.c.value, "state": t.c.state,
                "started": t.c.started_at, "finished": t.c.finished_at}[sort]


def _like_escaped(text: str) -> str:
    """``text`` as a literal inside a LIKE pattern (escape character ``\\``)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _table_row(row: Any, last: tuple[int, float | None, int] | None) -> dict[str, Any]:
    from tunesmith.storage._sql_json import decode_params

    value = row.value if row.value_special is None else float(row.value_special)
    duration = None
    if row.started_at is not None and row.finished_at is not None:
        duration = (row.finished_at - row.started_at).total_seconds()
    return {
        "number": row.number,
        "state": row.state,
        "value": value,
        "params": decode_params(row.params_json),
        "message": row.message,
        "started_at": row.started_at,
        "finished_at": row.finished_at,
        "duration": duration,
        "owner": row.owner,
        "heartbeat_at": row.heartbeat_at,
        "budget": row.budget,
        "candidate": row.candidate,
        "steps": None if last is None else {
            "n": last[2], "last_step": last[0],
            "last_value": float("nan") if last[1] is None else last[1],
        },
    }


def _study_rows(studies: Sequence[Any], groups: Sequence[Any], owners: Sequence[Any],
                planned: Sequence[Any]) -> list[StudyRow]:
    counts: dict[int, dict[str, int]] = {}
    best: dict[int, tuple[float | None, float | None]] = {}
    activity: dict[int, datetime | None] = {}
    for sid, state, n, low, high, started, finished in groups:
        counts.setdefault(sid, {})[state] = int(n)
        if state == _COMPLETE:
            best[sid] = (low, high)
        for moment in (started, finished):
            if moment is not None and (activity.get(sid) is None or moment > activity[sid]):
                activity[sid] = moment
    workers: dict[int, list[Worker]] = {}
    for sid, owner, n, beat in owners:
        workers.setdefault(sid, []).append(Worker.from_row(owner, n, beat))
        if beat is not None and (activity.get(sid) is None or beat > activity[sid]):
            activity[sid] = beat
    plans: dict[int, int | None] = {}
    for sid, text in planned:
        value = json.loads(text)
        plans[sid] = value if isinstance(value, int) and not isinstance(value, bool) else None
    out = []
    for sid, name, direction, created_at, seq in studies:
        direction = Direction(direction)
        low, high = best.get(sid, (None, None))
        value = low if direction is Direction.MINIMIZE else high
        out.append(StudyRow(
            study_id=int(sid), name=name, direction=direction, created_at=created_at,
            seq=int(seq), counts=counts.get(sid, {}),
            best_value=None if value is None else float(value),
            last_activity=activity.get(sid, created_at),
            workers=tuple(sorted(workers.get(sid, ()), key=lambda w: w.owner)),
            planned=plans.get(sid),
        ))
    return out
