"""What only the SQL storage promises: schema, locking, concurrency, JSON on disk."""

from __future__ import annotations

import json
import multiprocessing
import os
import pickle
import sqlite3
import sys
import threading
import time

import pytest
import sqlalchemy as sa

from tunesmith.exceptions import (
    BudgetReached,
    InvalidSpaceError,
    SchemaVersionError,
    StorageError,
)
from tunesmith.records import Direction, FoldRecord, TrialState
from tunesmith.space import Categorical, Float
from tunesmith.storage import open_storage
from tunesmith.storage._sql import SQLStorage
from tunesmith.storage._sql_json import ParamRepr
from tunesmith.storage._sql_schema import SCHEMA_VERSION


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def sql_url(request, tmp_path) -> str:
    """A URL to an empty SQLite file or an empty PostgreSQL schema (conftest.py)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'study.db'}"
    return request.getfixturevalue("postgres_url")


def _raw_rows(url: str, table: str) -> list[dict]:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(sa.text(f"SELECT * FROM {table}"))]
    finally:
        engine.dispose()


def _execute(url: str, sql: str) -> None:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(sql))
    finally:
        engine.dispose()


def _count_statements(storage: SQLStorage) -> list[str]:
    seen: list[str] = []
    sa.event.listen(
        storage._engine, "before_cursor_execute",
        lambda conn, cursor, statement, *rest: seen.append(statement.split()[0].upper()),
    )
    return seen


# -- schema --------------------------------------------------------------------------


def test_schema_version_mismatch_says_what_was_found_and_what_to_do(sql_url) -> None:
    SQLStorage(sql_url).close()
    _execute(sql_url, f"UPDATE tunesmith_version SET schema_version = {SCHEMA_VERSION + 98}")
    with pytest.raises(SchemaVersionError) as info:
        SQLStorage(sql_url)
    message = str(info.value)
    assert f"schema version {SCHEMA_VERSION + 98}" in message
    assert f"expects schema version {SCHEMA_VERSION}" in message
    assert "pip install -U tunesmith" in message

    _execute(sql_url, "UPDATE tunesmith_version SET schema_version = 0, library_version = '0.0.1'")
    with pytest.raises(SchemaVersionError, match=r"tunesmith==0\.0\.1"):
        SQLStorage(sql_url)


def test_every_table_and_index_is_prefixed(sql_url) -> None:
    with SQLStorage(sql_url) as storage:
        inspector = sa.inspect(storage._engine)
        tables = inspector.get_table_names()
        assert set(tables) >= {
            "tunesmith_version", "tunesmith_studies", "tunesmith_study_attrs",
            "tunesmith_trials", "tunesmith_trial_values", "tunesmith_folds",
        }
        assert all(name.startswith("tunesmith_") for name in tables), tables
        indexes = [i["name"] for t in tables for i in inspector.get_indexes(t)]
        uniques = [u["name"] for t in tables for u in inspector.get_unique_constraints(t)]
        assert {"tunesmith_ix_trials_study_state", "tunesmith_ix_trials_study_seq"} <= set(indexes)
        assert {"tunesmith_uq_trials_number", "tunesmith_uq_trials_candidate"} <= set(uniques)
        assert all(n.startswith("tunesmith_") for n in indexes + uniques if n)
    rows = _raw_rows(sql_url, "tunesmith_version")
    assert [r["schema_version"] for r in rows] == [SCHEMA_VERSION]


def test_reopening_keeps_the_data(sql_url) -> None:
    with SQLStorage(sql_url) as storage:
        sid = storage.create_study("kept", direction=Direction.MAXIMIZE)
        storage.create_trial(sid, owner="me", params={"x": 1})
    with SQLStorage(sql_url) as storage:
        assert storage.study_direction(storage.study_id("kept")) is Direction.MAXIMIZE
        assert storage.trials(sid)[0].params == {"x": 1}
        assert storage.is_persistent


# -- SQLite locking ------------------------------------------------------------------


def test_sqlite_is_in_wal_mode_with_foreign_keys_and_a_busy_timeout(tmp_path) -> None:
    path = tmp_path / "study.db"
    with SQLStorage(f"sqlite:///{path}") as storage, storage._engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 10_000
    with sqlite3.connect(path) as raw:  # WAL is a property of the file, for every client
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_readers_need_no_write_lock(tmp_path) -> None:
    path = tmp_path / "study.db"
    storage = SQLStorage(f"sqlite:///{path}")
    sid = storage.create_study("s", direction=Direction.MINIMIZE)
    storage.create_trial(sid, owner="me")
    writer = sqlite3.connect(path, isolation_level=None, timeout=0)
    try:
        writer.execute("BEGIN IMMEDIATE")  # someone holds the write lock...
        writer.execute("UPDATE tunesmith_trials SET owner = 'other'")
        started = time.monotonic()
        assert [t.owner for t in storage.trials(sid)] == ["me"]  # ...reads go on
        assert storage.list_studies()[0].n_trials == 1
        assert time.monotonic() - started < 1.0
    finally:
        writer.execute("ROLLBACK")
        writer.close()
        storage.close()


def test_a_writer_waits_for_the_lock_instead_of_failing(tmp_path) -> None:
    path = tmp_path / "study.db"
    storage = SQLStorage(f"sqlite:///{path}")
    sid = storage.create_study("s", direction=Direction.MINIMIZE)
    writer = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    writer.execute("BEGIN IMMEDIATE")
    release = threading.Timer(0.3, lambda: writer.execute("COMMIT"))
    release.start()
    try:
        started = time.monotonic()
        assert storage.create_trial(sid, owner="me").number == 0
        assert time.monotonic() - started >= 0.25
    finally:
        release.join()
        writer.close()
        storage.close()


def _create_trials(url: str, barrier, n_trials: int, results) -> None:
    barrier.wait(timeout=30)  # both processes create the tables at the same moment
    with SQLStorage(url) as storage:
        sid = storage.create_study("race", direction=Direction.MINIMIZE, load_if_exists=True)
        numbers = []
        for i in range(n_trials):
            trial = storage.create_trial(sid, owner=str(os.getpid()), candidate=i)
            if trial is not None:
                numbers.append(trial.number)
            trial = storage.create_trial(sid, owner=str(os.getpid()))
            numbers.append(trial.number)
            storage.finish_trial(trial.trial_id, TrialState.COMPLETE, value=float(i))
    results.put(numbers)


@pytest.mark.slow
def test_two_processes_create_tables_and_trials_without_duplicates(sql_url) -> None:
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    barrier, results = context.Barrier(2), context.Queue()
    workers = [
        context.Process(target=_create_trials, args=(sql_url, barrier, 100, results))
        for _ in range(2)
    ]
    for worker in workers:
        worker.start()
    numbers = [n for _ in workers for n in results.get(timeout=120)]
    for worker in workers:
        worker.join(timeout=30)
        assert worker.exitcode == 0
    with SQLStorage(sql_url) as storage:
        trials = storage.trials(storage.study_id("race"))
    # 200 plain trials, and the 100 candidates both processes raced for, each claimed once.
    assert len(numbers) == len(trials) == 300
    assert sorted(numbers) == list(range(300))
    assert [t.number for t in trials] == list(range(300))
    assert sorted(t.candidate for t in trials if t.candidate is not None) == list(range(100))


def _context():
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def _fill_the_budget(url: str, barrier, max_trials: int, results) -> None:
    """Create trials, plain and candidate claims in turn, until BudgetReached."""
    with SQLStorage(url) as storage:
        sid = storage.study_id("budget")
        barrier.wait(timeout=30)
        made, candidate, claim = [], 0, False
        while True:
            try:
                if claim:
                    trial = storage.create_trial(sid, owner=str(os.getpid()),
                                                 candidate=candidate, max_trials=max_trials)
                    candidate += 1
                    if trial is None:  # another worker claimed it: try the next
                        continue
                else:
                    trial = storage.create_trial(sid, owner=str(os.getpid()),
                                                 max_trials=max_trials)
            except BudgetReached:
                break
            claim = not claim
            made.append(trial.number)
            # A real objective takes time; without it, SQLite's busy handler lets one
            # tight loop take the lock again and again and starve the other workers.
            time.sleep(0.005)
            storage.finish_trial(trial.trial_id, TrialState.COMPLETE, value=1.0)
    results.put(made)


@pytest.mark.slow
def test_processes_sharing_a_budget_never_create_more_than_max_trials(sql_url) -> None:
    with SQLStorage(sql_url) as storage:
        storage.create_study("budget", direction=Direction.MINIMIZE)
    context = _context()
    barrier, results = context.Barrier(3), context.Queue()
    workers = [context.Process(target=_fill_the_budget, args=(sql_url, barrier, 90, results))
               for _ in range(3)]
    for worker in workers:
        worker.start()
    made = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
        assert worker.exitcode == 0
    with SQLStorage(sql_url) as storage:
        trials = storage.trials(storage.study_id("budget"))
    assert sorted(n for numbers in made for n in numbers) == list(range(90))
    assert all(made), f"a worker created nothing: {[len(m) for m in made]}"
    assert [t.number for t in trials] == list(range(90))
    candidates = [t.candidate for t in trials if t.candidate is not None]
    assert len(candidates) == len(set(candidates)) >= 30


def _write_trials(url: str, barrier, n_trials: int) -> None:
    with SQLStorage(url) as storage:
        sid = storage.study_id("followed")
        barrier.wait(timeout=30)
        for i in range(n_trials):
            trial = storage.create_trial(sid, owner=str(os.getpid()))
            storage.report(trial.trial_id, 0, float(i))
            storage.heartbeat([trial.trial_id])
            storage.finish_trial(trial.trial_id, TrialState.COMPLETE, value=float(i),
                                 folds=[FoldRecord(0, {"score": float(i)})])


@pytest.mark.slow
def test_a_reader_following_the_sequence_misses_no_write(sql_url) -> None:
    """Two processes write while this one reads only what changed: its view ends equal
    to a full read. A change it skipped (a write committed after a later number was
    seen) would stay missing: each trial's last change is its finish."""
    with SQLStorage(sql_url) as storage:
        sid = storage.create_study("followed", direction=Direction.MINIMIZE)
        context = _context()
        barrier = context.Barrier(3)
        writers = [context.Process(target=_write_trials, args=(sql_url, barrier, 60))
                   for _ in range(2)]
        for writer in writers:
            writer.start()
        barrier.wait(timeout=30)
        view, seen, polls = {}, 0, 0
        while any(writer.is_alive() for writer in writers) or polls == 0:
            changed, now = storage.changed_trials(sid, seen)
            assert now >= seen
            view.update((t.number, t) for t in changed)
            seen, polls = now, polls + 1
        for writer in writers:
            writer.join(timeout=30)
            assert writer.exitcode == 0
        changed, seen = storage.changed_trials(sid, seen)
        view.update((t.number, t) for t in changed)
        full = storage.trials(sid)
        assert len(full) == 120 and polls > 1
        assert [view[n] for n in sorted(view)] == full
        assert all(t.state is TrialState.COMPLETE and len(t.folds) == 1 for t in full)
        assert storage.changed_trials(sid, seen) == ([], seen)


# -- JSON, never pickles -------------------------------------------------------------


def test_stored_rows_are_plain_json_never_pickles(sql_url) -> None:
    with SQLStorage(sql_url) as storage:
        sid = storage.create_study(
            "s", direction=Direction.MINIMIZE, attrs={"space": {"x": [0, 1]}, "t": (1, 2)}
        )
        trial = storage.create_trial(
            sid, owner="me", params={"x": 0.5, "obj": object()}, dimensions={"x": Float(0, 1)}
        )
        storage.report(trial.trial_id, 1, float("nan"))
        storage.finish_trial(trial.trial_id, TrialState.FAILED, value=float("nan"),
                             attrs={"note": "nan"}, folds=[FoldRecord(
                                 0, {"acc": float("nan")}, {"acc": float("inf")})])
    for table in ("tunesmith_studies", "tunesmith_study_attrs", "tunesmith_trials",
                  "tunesmith_trial_values", "tunesmith_version", "tunesmith_folds"):
        for row in _raw_rows(sql_url, table):
            for column, value in row.items():
                assert not isinstance(value, (bytes, bytearray, memoryview)), (table, column)
                if column.endswith("_json"):
                    json.loads(value)  # strict JSON: no NaN literals, no pickles
    (row,) = _raw_rows(sql_url, "tunesmith_trials")
    assert row["value"] is None and row["value_special"] == "nan"
    assert set(json.loads(row["params_json"])["obj"]) == {"__repr__"}


def test_unjsonable_params_are_kept_as_a_tagged_repr(tmp_path) -> None:
    class Estimator:
        def __repr__(self) -> str:
            return "Estimator(C=1)"

    with SQLStorage(f"sqlite:///{tmp_path / 's.db'}") as storage:
        sid = storage.create_study("s", direction=Direction.MINIMIZE)
        trial = storage.create_trial(sid, owner="me", params={"est": Estimator(), "C": 1})
        assert isinstance(trial.params["est"], ParamRepr)
        storage.finish_trial(trial.trial_id, TrialState.COMPLETE, value=1.0,
                             params={"est": Estimator(), "C": 2})
        got = storage.trial(trial.trial_id).params
        assert got == {"est": "Estimator(C=1)", "C": 2}
        assert isinstance(got["est"], ParamRepr)
        assert repr(got) == "{'est': Estimator(C=1), 'C': 2}"  # prints like the original
        # Storing a read-back repr again keeps its tag, it does not turn into a string.
        again = storage.create_trial(sid, owner="me", params=got)
        assert isinstance(storage.trial(again.trial_id).params["est"], ParamRepr)


def test_a_dimension_of_objects_does_not_stop_a_trial_from_finishing(tmp_path) -> None:
    class Estimator:
        pass

    choices = Categorical([Estimator(), Estimator()])
    with SQLStorage(f"sqlite:///{tmp_path / 's.db'}") as storage:
        sid = storage.create_study("s", direction=Direction.MINIMIZE)
        trial = storage.create_trial(sid, owner="me")
        assert storage.finish_trial(
            trial.trial_id, "complete", value=1.0,
            params={"est": choices.choices[0], "C": 1.0},
            dimensions={"est": choices, "C": Float(0.1, 10.0)},
        )
        got = storage.trial(trial.trial_id)
        assert got.dimensions == {"C": Float(0.1, 10.0)}  # the one JSON cannot hold is left out
        assert isinstance(got.params["est"], ParamRepr)


def test_a_user_dict_that_looks_like_the_repr_tag_stays_a_dict(tmp_path) -> None:
    with SQLStorage(f"sqlite:///{tmp_path / 's.db'}") as storage:
        sid = storage.create_study("s", direction=Direction.MINIMIZE)
        trial = storage.create_trial(sid, owner="me", params={"d": {"__repr__": "x"}})
        assert storage.trial(trial.trial_id).params == {"d": {"__repr__": "x"}}
        assert type(storage.trial(trial.trial_id).params["d"]) is dict


def test_an_attribute_that_is_not_json_is_an_error_naming_it(tmp_path) -> None:
    with SQLStorage(f"sqlite:///{tmp_path / 's.db'}") as storage:
        with pytest.raises(InvalidSpaceError, match=r"attribute 'model'.*str\(value\)"):
            storage.create_study("s", direction=Direction.MINIMIZE, attrs={"model": object()})
        sid = storage.create_study("s", direction=Direction.MINIMIZE)
        trial = storage.create_trial(sid, owner="me")
        with pytest.raises(InvalidSpaceError, match="attribute 'model' of trial"):
            storage.finish_trial(trial.trial_id, "complete", value=1.0,
                                 attrs={"model": object()})
        assert storage.trial(trial.trial_id).state is TrialState.RUNNING  # nothing written


# -- round trips -----------------------------------------------------------------------


def test_create_and_finish_take_one_transaction_each(tmp_path) -> None:
    with SQLStorage(f"sqlite:///{tmp_path / 's.db'}") as storage:
        sid = storage.create_study("s", direction=Direction.MINIMIZE)
        seen = _count_statements(storage)
        trial = storage.create_trial(sid, owner="me", max_trials=10)
        # The study's sequence number (UPDATE ... RETURNING), then the trial.
        assert seen == ["BEGIN", "UPDATE", "INSERT"]
        seen.clear()
        storage.finish_trial(trial.trial_id, "complete", value=1.0, params={"x": 1},
                             attrs={"a": 1})
        assert seen == ["BEGIN", "UPDATE", "UPDATE"]
        seen.clear()
        other = storage.create_trial(sid, owner="me")
        seen.clear()
        storage.finish_trial(other.trial_id, "complete", value=1.0, folds=[
            FoldRecord(0, {"score": 1.0}), FoldRecord(1, {"score": 0.5})])
        assert seen == ["BEGIN", "UPDATE", "UPDATE", "INSERT"]  # the folds: one statement
        seen.clear()
        storage.heartbeat([other.trial_id])  # a finished trial: nothing, still one UPDATE
        assert seen == ["BEGIN", "UPDATE"]


def test_trials_are_read_in_three_queries(tmp_path) -> None:
    with SQLStorage(f"sqlite:///{tmp_path / 's.db'}") as storage:
        sid = storage.create_study("s", direction=Direction.MINIMIZE)
        for step in range(30):
            trial = storage.create_trial(sid, owner="me", dimensions={"x": Float(0, 1)})
            storage.report(trial.trial_id, step, 0.5)
            if step % 2:
                storage.finish_trial(trial.trial_id, "complete", value=1.0,
                                     folds=[FoldRecord(k, {"score": k}) for k in range(3)])
            if step == 9:
                _, mid = storage.changed_trials(sid, 0)
        seen = _count_statements(storage)
        trials = storage.trials(sid)
        assert len(trials) == 30 and all(len(t.intermediate) == 1 for t in trials)
        assert [len(t.folds) for t in trials] == [0, 3] * 15
        assert seen.count("SELECT") == 3  # trials, their steps, their folds
        seen.clear()
        changed, _ = storage.changed_trials(sid, mid)
        assert [t.number for t in changed] == list(range(10, 30))
        assert seen.count("SELECT") == 3  # one indexed query, then steps and folds
        seen.clear()
        _, last = storage.changed_trials(sid, 0)
        seen.clear()
        assert storage.changed_trials(sid, last) == ([], last)
        assert seen.count("SELECT") == 1  # nothing changed: one query


def _vm_steps(storage: SQLStorage, action) -> int:
    """SQLite virtual-machine steps ``action`` costs: a count that no load disturbs."""
    counting, steps = [False], [0]

    def tick() -> int:
        steps[0] += counting[0]
        return 0  # go on

    def install(conn, *_rest) -> None:
        conn.connection.dbapi_connection.set_progress_handler(tick, 1)

    sa.event.listen(storage._engine, "before_cursor_execute", install)
    counting[0] = True
    try:
        action()
    finally:
        counting[0] = False
        sa.event.remove(storage._engine, "before_cursor_execute", install)
    return steps[0]


@pytest.mark.slow
def test_writes_and_incremental_reads_cost_the_same_in_a_large_study(tmp_path) -> None:
    """Numbering, the budget check, the sequence and changed_trials use indexes: a study
    with 2,000 more trials costs no more SQLite steps per call (a scan would cost
    thousands)."""

    def costs(storage: SQLStorage, sid: int) -> dict[str, int]:
        made: list = []
        seq = storage.changed_trials(sid, 0)[1]
        out = {
            "create": _vm_steps(storage, lambda: made.append(
                storage.create_trial(sid, owner="me", max_trials=10**6))),
            "claim": _vm_steps(storage, lambda: storage.create_trial(
                sid, owner="me", candidate=10**7, max_trials=10**6)),
            "report": _vm_steps(storage, lambda: storage.report(made[0].trial_id, 0, 0.5)),
            "finish": _vm_steps(storage, lambda: storage.finish_trial(
                made[0].trial_id, "complete", value=1.0, folds=[FoldRecord(0, {"s": 1.0})])),
        }
        out["changed"] = _vm_steps(storage, lambda: storage.changed_trials(sid, seq))
        out["unchanged"] = _vm_steps(storage, lambda: storage.changed_trials(sid, seq + 4))
        return out

    with SQLStorage(f"sqlite:///{tmp_path / 's.db'}") as storage:
        small, large = (storage.create_study(name, direction=Direction.MINIMIZE)
                        for name in ("small", "large"))
        for sid, n in ((small, 10), (large, 2010)):
            for _ in range(n):
                trial = storage.create_trial(sid, owner="me")
                storage.finish_trial(trial.trial_id, "complete", value=1.0,
                                     folds=[FoldRecord(0, {"s": 1.0})])
        few, many = costs(storage, small), costs(storage, large)
    assert all(few.values()), few  # the counter counts
    for call, steps in many.items():
        assert steps <= 1.25 * few[call] + 100, (call, few[call], steps)


# -- opening and closing ---------------------------------------------------------------


def test_in_memory_sqlite_works_in_one_process_only() -> None:
    storage = open_storage("sqlite://")
    assert isinstance(storage, SQLStorage)
    sid = storage.create_study("s", direction=Direction.MINIMIZE)
    assert storage.create_trial(sid, owner="me").number == 0
    assert not storage.is_persistent  # nothing outlives the process: no heartbeats
    with pytest.raises(TypeError, match=r"sqlite:///study\.db"):
        pickle.dumps(storage)
    storage.close()


def test_a_file_storage_travels_to_workers_by_url(tmp_path) -> None:
    with SQLStorage(f"sqlite:///{tmp_path / 's.db'}") as storage:
        sid = storage.create_study("s", direction=Direction.MINIMIZE)
        with pickle.loads(pickle.dumps(storage)) as copy:
            assert copy.study_name(sid) == "s"
            assert copy._engine is not storage._engine


def test_a_closed_storage_says_so(tmp_path) -> None:
    storage = SQLStorage(f"sqlite:///{tmp_path / 's.db'}")
    storage.close()
    storage.close()  # twice is fine
    with pytest.raises(StorageError, match="closed"):
        storage.list_studies()


@pytest.mark.parametrize(
    ("url", "error", "match"),
    [
        ("not a url", ValueError, "not a database URL"),
        ("mysql://u@h/db", ValueError, "SQLite or PostgreSQL, not 'mysql'"),
        ("sqlite:////no/such/folder/s.db", StorageError, "folder '/no/such/folder'"),
    ],
)
def test_bad_urls_name_the_fix(url, error, match) -> None:
    with pytest.raises(error, match=match):
        SQLStorage(url)


def test_the_docstring_example_runs() -> None:
    import doctest

    import tunesmith.storage._sql as module

    assert doctest.testmod(module).failed == 0


def test_engine_kwargs_override_the_defaults(tmp_path) -> None:
    with SQLStorage(f"sqlite:///{tmp_path / 's.db'}",
                    engine_kwargs={"pool_size": 1, "max_overflow": 0}) as storage:
        assert storage._engine.pool.size() == 1
        storage.create_study("s", direction=Direction.MINIMIZE)


def test_a_plain_postgresql_url_uses_psycopg_3(monkeypatch) -> None:
    from tunesmith.storage._sql_engine import parse_url

    assert parse_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert parse_url("postgresql+psycopg2://u@h/db").drivername == "postgresql+psycopg2"


def test_a_missing_postgres_driver_names_the_extra(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # import psycopg -> ImportError
    with pytest.raises(ImportError, match=r'pip install "tunesmith\[postgres\]"'):
        SQLStorage("postgresql://u:secret@localhost/db")
