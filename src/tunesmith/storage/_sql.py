"""Studies in SQLite or PostgreSQL, on SQLAlchemy Core.

How it stays fast and safe with several workers on one database:

* every public call is one short transaction, and a trial costs one to create and
  one to finish;
* SQLite runs in WAL mode, so readers (a dashboard, ``tunesmith studies``) never
  block writers nor take write locks; writes start with ``BEGIN IMMEDIATE``, so a
  read-then-write transaction never deadlocks on a lock upgrade, and "database is
  locked" is retried with backoff after the busy timeout;
* every write that changes a trial bumps its study's change sequence (a row lock on
  the study, which also serialises trial numbering on PostgreSQL), so a reader asks
  for what changed since it last looked (``changed_trials``) instead of everything;
* one bounded connection pool per storage, closed by ``close()``.

Beside it: ``_sql_engine`` (opening, transactions with retries), ``_sql_schema``
(tables, statements, version), ``_sql_migrate``, ``_sql_rows`` (rows to records) and
``_sql_json`` (values to JSON text and back).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

from sqlalchemy import exc
from sqlalchemy.engine import Connection, Row

from tunesmith.exceptions import BudgetReached, StudyNotFoundError
from tunesmith.records import Direction, FoldRecord, FrozenTrial, TrialState
from tunesmith.space import Dimension
from tunesmith.storage import _sql_json as codec
from tunesmith.storage import _sql_migrate as migrations
from tunesmith.storage import _sql_schema as schema
from tunesmith.storage._base import (
    Storage,
    StudySummary,
    check_budget,
    check_folds,
    check_max_trials,
)
from tunesmith.storage._sql_engine import Transactions, make_engine, parse_url
from tunesmith.storage._sql_rows import TrialRows, merged_json, row_number, study_summary
from tunesmith.storage._sql_schema import RUNNING

if TYPE_CHECKING:
    from typing import Unpack  # type-checking only: no import at run time on 3.10

    #: A result row of any width and column types (SQLAlchemy 2.1's Row is generic in
    #: each column's type; ``Row[Any]`` would be a row of one column).
    AnyRow: TypeAlias = Row[Unpack[tuple[Any, ...]]]

__all__ = ["SQLStorage"]

T = TypeVar("T")

# No budget: a bound no study reaches, so one statement serves both cases.
_NO_MAX = 2**62


def _now() -> datetime:
    return datetime.now(timezone.utc)


class SQLStorage(Storage):
    """A storage in a SQLite file or a PostgreSQL database, shared by any number of
    processes and hosts.

    ``url`` is a SQLAlchemy URL: ``sqlite:///study.db`` (a file, created on first
    use), ``sqlite://`` (in memory, for tests) or
    ``postgresql+psycopg://user:password@host/db`` (needs
    ``pip install "tunesmith[postgres]"``). ``engine_kwargs`` go to
    :func:`sqlalchemy.create_engine` and override the defaults here (a pool of at
    most 6 connections).

    >>> from tunesmith.records import Direction, TrialState
    >>> with SQLStorage("sqlite://") as storage:
    ...     sid = storage.create_study("demo", direction=Direction.MINIMIZE)
    ...     trial = storage.create_trial(sid, owner="me", params={"lr": 0.1})
    ...     _ = storage.finish_trial(trial.trial_id, TrialState.COMPLETE, value=0.25)
    ...     [(t.number, t.params, t.value) for t in storage.trials(sid)]
    [(0, {'lr': 0.1}, 0.25)]
    """

    def __init__(self, url: str, *, engine_kwargs: Mapping[str, Any] | None = None) -> None:
        self._url_text = url
        self._engine_kwargs = dict(engine_kwargs or {})
        parsed = parse_url(url)
        self._where = parsed.render_as_string(hide_password=True)
        self._in_memory = parsed.get_backend_name() == "sqlite" and parsed.database in (
            None, "", ":memory:"
        )
        self._engine = make_engine(parsed, self._engine_kwargs, in_memory=self._in_memory)
        self._tx = Transactions(self._engine, in_memory=self._in_memory, owner=repr(self))
        self._sql = schema.Statements(self._engine.dialect.name)
        self._rows = TrialRows()
        try:
            #: The migration steps this storage ran when it opened the database (usually none).
            self.migrated: list[migrations.Step] = migrations.open_schema(self._tx.run,
                                                                          self._where)
        except BaseException:
            self._engine.dispose()
            raise

    def __repr__(self) -> str:
        return f"SQLStorage({self._where!r})"

    # Sending a storage to a worker process sends its URL; the worker opens its own pool.
    def __getstate__(self) -> dict[str, Any]:
        if self._in_memory:
            raise TypeError(
                "an in-memory SQLite storage ('sqlite://') cannot be shared with another "
                "process; use a file, e.g. 'sqlite:///study.db'"
            )
        return {"url": self._url_text, "engine_kwargs": self._engine_kwargs}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["url"], engine_kwargs=state["engine_kwargs"])  # type: ignore[misc]

    # -- plumbing --------------------------------------------------------------------

    def _require_study(self, conn: Connection, study_id: int) -> None:
        if conn.execute(self._sql.study_row, {"p_sid": study_id}).first() is None:
            raise StudyNotFoundError(f"no study with id {study_id}")

    def _require_trial(self, conn: Connection, trial_id: int) -> None:
        if conn.execute(self._sql.trial_exists, {"p_tid": trial_id}).first() is None:
            raise KeyError(f"no trial with id {trial_id}")

    # -- studies -----------------------------------------------------------------------

    def create_study(
        self,
        name: str,
        *,
        direction: Direction,
        attrs: Mapping[str, Any] | None = None,
        load_if_exists: bool = False,
    ) -> int:
        if not isinstance(name, str) or not name:
            raise ValueError(f"a study name must be a non-empty str, got {name!r}")
        direction = Direction.parse(direction)
        rows = [
            {"study_id": None, "key": key, "value_json": codec.dumps(value)}
            for key, value in codec.encode_attrs(attrs or {}, f"study {name!r}").items()
        ]

        def insert(conn: Connection) -> int:
            study_id: int = conn.execute(
                self._sql.insert_study,
                {"name": name, "direction": direction.value, "created_at": _now()},
            ).scalar_one()
            if rows:
                conn.execute(self._sql.insert_attrs, [{**r, "study_id": study_id} for r in rows])
            return int(study_id)

        if load_if_exists:
            found = self._tx.read(self._sql.study_by_name, p_name=name)
            if found:
                return int(found[0][0])
        try:
            return self._tx.run(insert, write=True)
        except exc.IntegrityError:
            found = self._tx.read(self._sql.study_by_name, p_name=name)
            if not found:  # not a name clash after all
                raise
            if load_if_exists:  # a concurrent worker created it first
                return int(found[0][0])
            raise ValueError(
                f"a study named {name!r} already exists in {self._where}; pass "
                "load_if_exists=True to continue it, or choose another name"
            ) from None

    def study_id(self, name: str) -> int:
        found = self._tx.read(self._sql.study_by_name, p_name=name)
        if not found:
            raise StudyNotFoundError(f"no study named {name!r} in {self._where}")
        return int(found[0][0])

    def _study_row(self, study_id: int) -> AnyRow:
        found = self._tx.read(self._sql.study_row, p_sid=study_id)
        if not found:
            raise StudyNotFoundError(f"no study with id {study_id}")
        return found[0]

    def study_name(self, study_id: int) -> str:
        return str(self._study_row(study_id).name)

    def study_direction(self, study_id: int) -> Direction:
        return Direction(self._study_row(study_id).direction)

    def study_attrs(self, study_id: int) -> dict[str, Any]:
        rows = self._tx.read(self._sql.study_attrs, p_sid=study_id)
        if not rows:
            raise StudyNotFoundError(f"no study with id {study_id}")
        return {r.key: codec.decode_json_value(r.value_json) for r in rows if r.key is not None}

    def set_study_attr(self, study_id: int, key: str, value: Any) -> None:
        encoded = codec.encode_attrs({key: value}, f"study {study_id}")
        params = {"p_sid": study_id, "p_key": str(key), "p_json": codec.dumps(encoded[str(key)])}

        def work(conn: Connection) -> None:
            self._require_study(conn, study_id)
            conn.execute(self._sql.set_attr, params)

        self._tx.run(work, write=True)

    def list_studies(self) -> list[StudySummary]:
        return [study_summary(row) for row in self._tx.read(self._sql.list_studies)]

    def delete_study(self, study_id: int) -> None:
        def work(conn: Connection) -> int:
            for statement in self._sql.delete_study:
                deleted = conn.execute(statement, {"p_sid": study_id}).rowcount
            return deleted  # rows of the last statement: the study itself

        if not self._tx.run(work, write=True):
            raise StudyNotFoundError(f"no study with id {study_id}")

    # -- trials ------------------------------------------------------------------------

    def create_trial(
        self,
        study_id: int,
        *,
        owner: str,
        candidate: int | None = None,
        params: Mapping[str, Any] | None = None,
        dimensions: Mapping[str, Dimension] | None = None,
        budget: float | None = None,
        max_trials: int | None = None,
    ) -> FrozenTrial | None:
        budget = check_budget(budget)
        check_max_trials(max_trials)
        params_json = codec.dumps(codec.encode_params(params or {}))
        now = _now()
        candidate = None if candidate is None else int(candidate)
        values = {
            "p_sid": study_id,
            "p_candidate": candidate,
            "p_params": params_json,
            "p_dims": codec.dumps(codec.encode_dimensions(dimensions or {})),
            "p_owner": owner,
            "p_now": now,
            "p_budget": budget,
            "p_max": _NO_MAX if max_trials is None else max_trials,
        }
        insert = self._sql.create_trial if candidate is None else self._sql.claim_trial

        def work(conn: Connection) -> AnyRow | None:
            seq = conn.execute(self._sql.bump, values).scalar()
            if seq is None:
                raise StudyNotFoundError(f"no study with id {study_id}")
            row = conn.execute(insert, {**values, "p_seq": seq}).first()
            if row is None and max_trials is not None:
                n: int = conn.execute(self._sql.next_number, values).scalar_one()
                if n >= max_trials:  # raising rolls the bump back too
                    raise BudgetReached(
                        f"study {study_id} already has {n} trials, its budget "
                        f"(max_trials={max_trials})"
                    )
            return row

        row = self._tx.run(work, write=True)
        if row is None:  # that candidate already has a trial
            return None
        return FrozenTrial(
            number=int(row.number),
            state=TrialState.RUNNING,
            params=codec.decode_params(params_json),  # what a later read returns
            dimensions=dict(dimensions or {}),
            candidate=candidate,
            started_at=now,
            owner=owner,
            heartbeat_at=now,
            trial_id=int(row.trial_id),
            budget=budget,
        )

    def take_over_trial(
        self, trial_id: int, *, old_owner: str, new_owner: str
    ) -> FrozenTrial | None:
        values = {"p_tid": trial_id, "p_old": old_owner, "p_new": new_owner, "p_now": _now()}

        def work(conn: Connection) -> FrozenTrial | None:
            seq = conn.execute(self._sql.bump_for_trial, values).scalar()
            row = None if seq is None else conn.execute(
                self._sql.take_over, {**values, "p_seq": seq}
            ).first()
            if row is None:  # finished, or another worker was faster
                self._require_trial(conn, trial_id)
                return None
            # A re-run starts afresh: the dead owner's steps must not fool a pruner.
            conn.execute(self._sql.clear_values, values)
            return self._rows.trial(row, {}, ())

        return self._tx.run(work, write=True)

    def set_trial_params(
        self,
        trial_id: int,
        params: Mapping[str, Any],
        dimensions: Mapping[str, Dimension],
    ) -> bool:
        values = {
            "p_tid": trial_id,
            "p_params": codec.dumps(codec.encode_params(params)),
            "p_dims": codec.dumps(codec.encode_dimensions(dimensions)),
        }

        def work(conn: Connection) -> bool:
            seq = conn.execute(self._sql.bump_for_trial, values).scalar()
            if seq is not None and conn.execute(
                self._sql.set_params, {**values, "p_seq": seq}
            ).rowcount:
                return True
            self._require_trial(conn, trial_id)
            return False  # finished: its params are final

        return self._tx.run(work, write=True)

    def finish_trial(
        self,
        trial_id: int,
        state: TrialState,
        *,
        value: float | None = None,
        params: Mapping[str, Any] | None = None,
        dimensions: Mapping[str, Dimension] | None = None,
        attrs: Mapping[str, Any] | None = None,
        message: str | None = None,
        folds: Sequence[FoldRecord] | None = None,
    ) -> bool:
        state = TrialState.parse(state)
        if not state.is_finished:
            raise ValueError("finish_trial needs a final state, got RUNNING")
        new_params = codec.encode_params(params or {})
        new_dims = codec.encode_dimensions(dimensions or {})
        new_attrs = codec.encode_attrs(attrs or {}, f"trial {trial_id}")
        finite, special = codec.split_value(value)
        values = {
            "p_tid": trial_id,
            "p_state": state.value,
            "p_value": finite,
            "p_special": special,
            "p_message": message,
            "p_now": _now(),
            "p_params": codec.dumps(new_params),
            "p_dims": codec.dumps(new_dims),
            "p_attrs": codec.dumps(new_attrs),
        }
        merge = bool(new_params or new_dims or new_attrs)
        fold_rows = codec.encode_folds(trial_id, check_folds(trial_id, folds or ()))

        def work(conn: Connection) -> bool:
            seq = conn.execute(self._sql.bump_for_trial, values).scalar()
            if seq is None or not self._finish(conn, {**values, "p_seq": seq}, merge,
                                               new_params, new_dims, new_attrs):
                self._require_trial(conn, trial_id)
                return False  # finished before: reporting twice is a no-op
            if fold_rows:
                conn.execute(self._sql.insert_folds, fold_rows)
            return True

        return self._tx.run(work, write=True)

    def _finish(self, conn: Connection, values: dict[str, Any], merge: bool,
                new_params: dict[str, Any], new_dims: dict[str, Any],
                new_attrs: dict[str, Any]) -> bool:
        """The finishing UPDATE; False when the trial was no longer running."""
        update = self._sql.finish_bare if merge else self._sql.finish
        if conn.execute(update, values).rowcount:
            return True
        if merge:
            row = conn.execute(self._sql.trial_for_merge, values).first()
            if row is not None and row.state == RUNNING:
                conn.execute(self._sql.finish_merged, {
                    **values,
                    "p_params": merged_json(row.params_json, new_params),
                    "p_dims": merged_json(row.dimensions_json, new_dims),
                    "p_attrs": merged_json(row.attrs_json, new_attrs),
                })
                return True
        return False

    def report(self, trial_id: int, step: int, value: float) -> None:
        value = float(value)
        values = {
            "p_tid": trial_id,
            "p_step": int(step),
            "p_value": None if value != value else value,  # NaN is stored as NULL
            "p_now": _now(),
        }

        def work(conn: Connection) -> None:
            seq = conn.execute(self._sql.bump_for_trial, values).scalar()
            if seq is not None and conn.execute(
                self._sql.beat_report, {**values, "p_seq": seq}
            ).rowcount:
                conn.execute(self._sql.report, values)
            else:
                self._require_trial(conn, trial_id)  # finished: a late report is ignored

        self._tx.run(work, write=True)

    def heartbeat(self, trial_ids: Iterable[int]) -> None:
        ids = [int(i) for i in trial_ids]
        if ids:
            values = {"p_ids": ids, "p_now": _now()}
            self._tx.run(lambda conn: conn.execute(self._sql.beat_many, values), write=True)

    def trials(
        self, study_id: int, *, states: Iterable[TrialState] | None = None
    ) -> list[FrozenTrial]:
        values: dict[str, Any] = {"p_sid": study_id}
        sql = self._sql
        if states is None:
            queries = sql.study_trials, sql.study_values, sql.study_folds
        else:
            queries = sql.study_trials_in_states, sql.study_values_in_states, \
                sql.study_folds_in_states
            values["p_states"] = [TrialState.parse(s).value for s in states]

        def work(
            conn: Connection,
        ) -> tuple[Sequence[AnyRow], Sequence[AnyRow], Sequence[AnyRow]]:
            rows_q, values_q, folds_q = queries
            rows = conn.execute(rows_q, values).all()
            if not rows:
                self._require_study(conn, study_id)
                return rows, [], []
            return rows, conn.execute(values_q, values).all(), conn.execute(folds_q, values).all()

        # Three queries in all (trials, their steps, their folds), whatever their number.
        return self._rows.trials(*self._tx.run(work, write=False))

    def changed_trials(self, study_id: int, since: int) -> tuple[list[FrozenTrial], int]:
        # Every row has a seq >= 0 (a row written without one has the default 0), so
        # "since <= 0" reads every trial through the same single statement.
        since = int(since) if since > 0 else -1
        values = {"p_sid": study_id, "p_since": since}

        def work(conn: Connection) -> tuple[list[FrozenTrial], int]:
            joined = conn.execute(self._sql.changed_trials, values).all()
            if not joined:
                raise StudyNotFoundError(f"no study with id {study_id}")
            seq = int(joined[0][0])
            if joined[0][1] is None:  # the outer join's row of NULLs: nothing changed
                return [], seq
            rows = sorted((row[1:] for row in joined), key=row_number)
            return self._rows.trials(
                rows,
                conn.execute(self._sql.study_values_changed, values).all(),
                conn.execute(self._sql.study_folds_changed, values).all(),
            ), seq

        return self._tx.run(work, write=False)

    def trial(self, trial_id: int) -> FrozenTrial:
        values = {"p_tid": trial_id}

        def work(
            conn: Connection,
        ) -> tuple[Sequence[AnyRow], Sequence[AnyRow], Sequence[AnyRow]]:
            rows = conn.execute(self._sql.trial_row, values).all()
            if not rows:
                raise KeyError(f"no trial with id {trial_id}")
            return (rows, conn.execute(self._sql.trial_values, values).all(),
                    conn.execute(self._sql.trial_folds, values).all())

        return self._rows.trials(*self._tx.run(work, write=False))[0]

    def taken_candidates(self, study_id: int) -> set[int]:
        def work(conn: Connection) -> set[int]:
            found: set[int] = set(conn.execute(self._sql.candidates, {"p_sid": study_id}).scalars())
            if not found:
                self._require_study(conn, study_id)
            return found

        return self._tx.run(work, write=False)

    def close(self) -> None:
        self._tx.close()

    def read(self, work: Callable[[Connection], T]) -> T:
        """Run ``work(conn)`` in one read transaction, retried while the database is busy:
        for tools that query tunesmith's tables (``_sql_schema``) directly, such as the
        dashboard. ``work`` must only read."""
        return self._tx.run(work, write=False)

    @property
    def dialect(self) -> str:
        """The database's SQLAlchemy dialect: ``"sqlite"`` or ``"postgresql"``."""
        return str(self._engine.dialect.name)

    @property
    def is_persistent(self) -> bool:
        # An in-memory database dies with the process: no heartbeats needed.
        return not self._in_memory
