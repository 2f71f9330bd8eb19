"""A version-1 database, made by the version-1 code, opened by today's code.

``fixtures/v1.sqlite`` was written by tunesmith at commit 6b374f0 (schema version 1) by
``fixtures/make_v1.py``, which also wrote ``fixtures/v1_expected.json``: every study and
trial as that code read them back, and the per-fold scores scikit-learn's
``cv_results_`` reported for its two drop-in searches. Here a copy is opened (on
PostgreSQL: the version-1 tables are created from the migration module's description
of them and the fixture's rows copied in), migrated, and every study and trial is
checked against those reads: nothing lost, nothing changed, the drop-ins' fold data
moved from trial attributes to fold records.
"""

from __future__ import annotations

import json
import math
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa

from tunesmith.exceptions import BudgetReached
from tunesmith.records import FoldRecord, TrialState
from tunesmith.space import encode_value
from tunesmith.storage import _sql_migrate as migrations
from tunesmith.storage._sql import SQLStorage
from tunesmith.storage._sql_schema import SCHEMA_VERSION, library_version

FIXTURES = Path(__file__).parent / "fixtures"
EXPECTED = json.loads((FIXTURES / "v1_expected.json").read_text())
N_FOLDS_MOVED = sum(len(t["folds"] or ()) for s in EXPECTED["studies"] for t in s["trials"])


# -- building a version-1 database --------------------------------------------------------


def _engine(url: str) -> sa.Engine:
    return sa.create_engine(url, poolclass=sa.pool.NullPool)


def _copy_v1_rows(source_url: str, target_url: str) -> None:
    """Create the version-1 tables at ``target_url`` and copy the fixture's rows in."""
    source, target = _engine(source_url), _engine(target_url)
    try:
        migrations.V1_METADATA.create_all(target)
        with source.connect() as read, target.begin() as write:
            for table in migrations.V1_METADATA.sorted_tables:  # parents first
                rows = [dict(r._mapping) for r in read.execute(sa.select(table))]
                if rows:
                    write.execute(sa.insert(table), rows)
            if write.dialect.name == "postgresql":
                # Rows came with their ids: move the id sequences past them.
                for table, column in (("tunesmith_studies", "study_id"),
                                      ("tunesmith_trials", "trial_id")):
                    write.execute(sa.text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
                        f"(SELECT max({column}) FROM {table}))"
                    ))
    finally:
        source.dispose()
        target.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def v1_url(request, tmp_path) -> str:
    """A URL to a fresh copy of the version-1 fixture, in SQLite or PostgreSQL."""
    copy = tmp_path / "v1.sqlite"
    shutil.copyfile(FIXTURES / "v1.sqlite", copy)
    if request.param == "sqlite":
        return f"sqlite:///{copy}"
    url = request.getfixturevalue("postgres_url")
    _copy_v1_rows(f"sqlite:///{copy}", url)
    return url


def _versions(url: str) -> list[int]:
    engine = _engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(sa.text(
                "SELECT schema_version FROM tunesmith_version ORDER BY schema_version"
            )).scalars())
    finally:
        engine.dispose()


def _columns(url: str, table: str) -> set[str]:
    engine = _engine(url)
    try:
        return {c["name"] for c in sa.inspect(engine).get_columns(table)}
    finally:
        engine.dispose()


def _v1_rows(url: str) -> dict[str, list[tuple]]:
    """Every row of every version-1 table, read through the version-1 description."""
    engine = _engine(url)
    try:
        with engine.connect() as conn:
            return {
                table.name: sorted(
                    tuple(row) for row in conn.execute(sa.select(table)).all()
                )
                for table in migrations.V1_METADATA.sorted_tables
            }
    finally:
        engine.dispose()


# -- checking it against what the version-1 code read ---------------------------------------


def _iso(moment) -> str | None:
    return None if moment is None else moment.isoformat()


def _fold_json(fold: FoldRecord) -> dict:
    return {
        "fold": fold.fold,
        "test_scores": encode_value(dict(fold.test_scores)),
        "train_scores": None if fold.train_scores is None
        else encode_value(dict(fold.train_scores)),
        "fit_time": fold.fit_time,
        "score_time": fold.score_time,
        "fit_error": fold.fit_error,
        "score_error": fold.score_error,
    }


def _check_every_study_and_trial(storage: SQLStorage) -> None:
    summaries = {s.name: s for s in storage.list_studies()}
    assert sorted(summaries) == sorted(s["name"] for s in EXPECTED["studies"])
    for want in EXPECTED["studies"]:
        sid = storage.study_id(want["name"])
        summary = summaries[want["name"]]
        assert sid == want["study_id"]
        assert storage.study_direction(sid).value == want["direction"]
        assert encode_value(storage.study_attrs(sid)) == want["attrs"]
        assert (summary.n_trials, summary.n_complete) == (want["n_trials"], want["n_complete"])
        assert summary.best_value == want["best_value"]
        assert _iso(summary.created_at) == want["created_at"]
        trials = storage.trials(sid)
        assert [t.number for t in trials] == [t["number"] for t in want["trials"]]
        for got, exp in zip(trials, want["trials"], strict=True):
            where = f"{want['name']} trial {exp['number']}"
            assert got.trial_id == exp["trial_id"], where
            assert got.state is TrialState(exp["state"]), where
            assert encode_value(got.value) == exp["value"], where
            assert got.candidate == exp["candidate"], where
            assert encode_value(dict(got.params)) == exp["params"], where
            assert {n: d.to_json() for n, d in got.dimensions.items()} == exp["dimensions"]
            assert encode_value(dict(got.attrs)) == exp["attrs"], where
            assert [_fold_json(f) for f in got.folds] == (exp["folds"] or []), where
            assert {str(s): encode_value(v) for s, v in got.intermediate.items()} == \
                exp["intermediate"], where
            assert (got.message, got.owner) == (exp["message"], exp["owner"]), where
            assert [_iso(got.started_at), _iso(got.finished_at), _iso(got.heartbeat_at)] == \
                [exp["started_at"], exp["finished_at"], exp["heartbeat_at"]], where
            assert got.budget is None, where
        # Sequence numbers were given in number order: the study's counter is the last.
        changed, seq = storage.changed_trials(sid, 0)
        assert changed == trials and seq == len(trials)
        assert [t.number for t in storage.changed_trials(sid, 2)[0]] == \
            [t.number for t in trials if t.number >= 2]


def test_the_fixture_has_what_it_is_meant_to_have() -> None:
    """The cases the migration must handle are really in the version-1 database."""
    by_name = {s["name"]: s for s in EXPECTED["studies"]}
    native = {t["state"] for t in by_name["native"]["trials"]}
    assert native == {"complete", "failed", "pruned", "skipped", "running"}
    assert any(t["intermediate"] for t in by_name["native"]["trials"] if t["state"] == "pruned")
    for name in ("grid-single", "grid-multi", "cli-study"):
        assert all(t["folds"] and "fit_time" in t["attrs_v1"] and not t["attrs"]
                   for t in by_name[name]["trials"]), name
    assert all(isinstance(s, float) or "__float__" in s
               for t in by_name["grid-single"]["trials"] for s in t["attrs_v1"]["test_scores"])
    assert "f1_macro" in by_name["grid-multi"]["trials"][0]["attrs_v1"]["test_scores"][0]
    assert "fit_error" not in by_name["cli-study"]["trials"][0]["attrs_v1"]
    assert by_name["cli-study"]["direction"] == "maximize"
    # A user attribute that shares a fold key's name is not fold data.
    assert by_name["native"]["trials"][6]["attrs"] == by_name["native"]["trials"][6]["attrs_v1"]
    assert N_FOLDS_MOVED == 33


def test_a_version_1_database_migrates_on_open(v1_url) -> None:
    before = _v1_rows(v1_url)
    with SQLStorage(v1_url) as storage:
        assert [(s.from_version, s.to_version) for s in storage.migrated] == [(1, 2)]
        _check_every_study_and_trial(storage)
    assert _versions(v1_url) == [1, 2] and SCHEMA_VERSION == 2
    engine = _engine(v1_url)
    try:
        with engine.connect() as conn:
            recorded = dict(conn.execute(sa.text(
                "SELECT schema_version, library_version FROM tunesmith_version")).all())
    finally:
        engine.dispose()
    # Version 1's row as the version-1 code wrote it; version 2's by this code.
    assert recorded[1] == _v1_rows(f"sqlite:///{FIXTURES / 'v1.sqlite'}")[
        "tunesmith_version"][0][1]
    assert recorded[2] == library_version()
    assert {"budget", "seq"} <= _columns(v1_url, "tunesmith_trials")
    assert "seq" in _columns(v1_url, "tunesmith_studies")
    # Opened again: nothing to do, the same reads.
    with SQLStorage(v1_url) as storage:
        assert storage.migrated == []
        _check_every_study_and_trial(storage)
    assert _versions(v1_url) == [1, 2]
    # Only the fold attributes changed among the version-1 columns.
    after = _v1_rows(v1_url)
    for table in ("tunesmith_version", "tunesmith_studies", "tunesmith_study_attrs",
                  "tunesmith_trial_values"):
        assert set(after[table]) >= set(before[table]), table
    moved = {t["trial_id"] for s in EXPECTED["studies"] for t in s["trials"] if t["folds"]}
    index = [c.name for c in migrations.V1_METADATA.tables["tunesmith_trials"].columns]
    attrs_at = index.index("attrs_json")
    for old, new in zip(before["tunesmith_trials"], after["tunesmith_trials"], strict=True):
        if old[0] in moved:
            assert old[:attrs_at] + old[attrs_at + 1:] == new[:attrs_at] + new[attrs_at + 1:]
        else:
            assert old == new


def test_a_migrated_database_has_the_tables_a_new_one_gets(v1_url) -> None:
    from tunesmith.storage import _sql_schema as schema

    SQLStorage(v1_url).close()
    engine = _engine(v1_url)
    try:
        inspector = sa.inspect(engine)
        assert set(inspector.get_table_names()) == set(schema.metadata.tables)
        for name, table in schema.metadata.tables.items():
            columns = {c["name"]: c["nullable"] for c in inspector.get_columns(name)}
            assert columns == {c.name: c.nullable for c in table.columns}, name
            # (PostgreSQL lists a unique constraint's own index too: not an index of ours.)
            indexes = {i["name"] for i in inspector.get_indexes(name)
                       if "duplicates_constraint" not in i}
            assert indexes == {i.name for i in table.indexes}, name
            uniques = {u["name"] for u in inspector.get_unique_constraints(name)}
            assert uniques == {c.name for c in table.constraints
                               if isinstance(c, sa.UniqueConstraint)}, name
            keys = inspector.get_pk_constraint(name)["constrained_columns"]
            assert keys == [c.name for c in table.primary_key.columns], name
    finally:
        engine.dispose()


def test_migrated_folds_are_the_scores_scikit_learn_reported(v1_url) -> None:
    with SQLStorage(v1_url) as storage:
        for name, report in EXPECTED["cv_results"].items():
            trials = storage.trials(storage.study_id(name))
            assert len(trials) == len(report["candidates"])
            for trial in trials:
                want = report["candidates"][trial.candidate]
                assert [f.fold for f in trial.folds] == list(range(len(want)))
                for fold, cv in zip(trial.folds, want, strict=True):
                    assert encode_value(dict(fold.test_scores)) == cv["test"], name
                    train = None if fold.train_scores is None else encode_value(
                        dict(fold.train_scores))
                    assert train == cv["train"], name
        # The CLI stored the mean of its folds as the trial's value.
        for trial in storage.trials(storage.study_id("cli-study")):
            scores = [f.test_scores["score"] for f in trial.folds]
            assert len(scores) == 3 and trial.value == float(np.mean(scores))
            assert all(f.fit_error is None and f.train_scores is None for f in trial.folds)


def test_a_migrated_study_carries_on(v1_url) -> None:
    with SQLStorage(v1_url) as storage:
        sid = storage.study_id("native")
        _, seq = storage.changed_trials(sid, 0)
        (running,) = storage.trials(sid, states=[TrialState.RUNNING])
        taken = storage.take_over_trial(running.trial_id, old_owner=running.owner,
                                        new_owner="me")
        assert taken is not None and taken.number == 7
        new = storage.create_trial(sid, owner="me", budget=2.0, max_trials=10)
        assert new.number == 8
        storage.finish_trial(new.trial_id, "complete", value=0.5,
                             folds=[FoldRecord(0, {"score": 0.5})])
        changed, now = storage.changed_trials(sid, seq)
        assert [t.number for t in changed] == [7, 8] and now == seq + 3
        assert changed[1].budget == 2.0 and changed[1].folds[0].test_scores == {"score": 0.5}
        storage.create_trial(sid, owner="me", max_trials=10)
        with pytest.raises(BudgetReached, match="max_trials=10"):
            storage.create_trial(sid, owner="me", max_trials=10)
        # A new study in the migrated database starts its own sequence.
        other = storage.create_study("after", direction="maximize")
        assert storage.create_trial(other, owner="me").number == 0
        assert storage.changed_trials(other, 0)[1] == 1


# -- a migration is all or nothing ---------------------------------------------------------

# Runs the real migration, then stalls inside its transaction until killed.
STALLING_OPENER = """
import pathlib, sys, time
from tunesmith.storage import _sql_migrate as migrations
from tunesmith.storage._sql import SQLStorage

url, flag = sys.argv[1:3]
real = migrations.STEPS[0]

def stall(conn):
    real.apply(conn)
    pathlib.Path(flag).touch()
    time.sleep(600)

migrations.STEPS[0] = migrations.Step(real.from_version, real.to_version, real.description,
                                      stall)
SQLStorage(url)
"""


def _assert_still_version_1(url: str, rows: dict[str, list[tuple]]) -> None:
    assert _versions(url) == [1]
    assert not {"budget", "seq"} & _columns(url, "tunesmith_trials")
    assert "seq" not in _columns(url, "tunesmith_studies")
    assert _v1_rows(url) == rows
    engine = _engine(url)
    try:
        assert "tunesmith_folds" not in sa.inspect(engine).get_table_names()
    finally:
        engine.dispose()


@pytest.mark.slow
def test_a_process_killed_mid_migration_leaves_version_1_intact(v1_url, tmp_path) -> None:
    rows = _v1_rows(v1_url)
    flag = tmp_path / "applied"
    proc = subprocess.Popen([sys.executable, "-c", STALLING_OPENER, v1_url, str(flag)],
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not flag.exists():
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, "the migration did not get under way"
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)  # every step has run, nothing is committed
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    # PostgreSQL rolls back when it notices the client is gone: give it a moment.
    deadline = time.monotonic() + 30
    while True:
        try:
            _assert_still_version_1(v1_url, rows)
            break
        except sa.exc.OperationalError:
            assert time.monotonic() < deadline
            time.sleep(0.2)
    with SQLStorage(v1_url) as storage:  # and it migrates fine afterwards
        assert len(storage.migrated) == 1
        _check_every_study_and_trial(storage)


def test_an_error_in_a_step_rolls_every_step_back(v1_url, monkeypatch) -> None:
    rows = _v1_rows(v1_url)
    real = migrations.STEPS[0]

    def fail(conn) -> None:
        real.apply(conn)
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(migrations, "STEPS", [migrations.Step(1, 2, "failing", fail)])
    with pytest.raises(RuntimeError, match="disk on fire"):
        SQLStorage(v1_url)
    _assert_still_version_1(v1_url, rows)
    monkeypatch.undo()
    with SQLStorage(v1_url) as storage:
        _check_every_study_and_trial(storage)


# Opens the database when told to, and prints how many steps it ran itself.
OPENER = """
import pathlib, sys, time
from tunesmith.storage._sql import SQLStorage

url, folder, role = sys.argv[1:4]
folder = pathlib.Path(folder)
(folder / f"ready-{role}").touch()
while not (folder / "go").exists():
    time.sleep(0.002)
storage = SQLStorage(url)
print(len(storage.migrated))
storage.close()
"""


@pytest.mark.slow
def test_processes_opening_a_version_1_database_at_once_migrate_it_once(v1_url,
                                                                         tmp_path) -> None:
    roles = ["a", "b", "c"]
    procs = [subprocess.Popen([sys.executable, "-c", OPENER, v1_url, str(tmp_path), role],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for role in roles]
    try:
        deadline = time.monotonic() + 120
        while not all((tmp_path / f"ready-{r}").exists() for r in roles):
            for proc in procs:
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline
            time.sleep(0.01)
        (tmp_path / "go").touch()
        outs = [proc.communicate(timeout=120) for proc in procs]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert [p.returncode for p in procs] == [0, 0, 0], [err for _, err in outs]
    assert sorted(int(out) for out, _ in outs) == [0, 0, 1]  # one ran the step
    assert _versions(v1_url) == [1, 2]
    engine = _engine(v1_url)
    try:
        with engine.connect() as conn:
            n_folds = conn.execute(sa.text("SELECT count(*) FROM tunesmith_folds")).scalar()
    finally:
        engine.dispose()
    assert n_folds == N_FOLDS_MOVED
    with SQLStorage(v1_url) as storage:
        _check_every_study_and_trial(storage)


# -- what counts as version 1's fold data ----------------------------------------------------


def test_v1_folds_reads_the_drop_ins_and_the_clis_shapes() -> None:
    nan = float("nan")
    drop_in = {"test_scores": [0.5, nan], "train_scores": [1.0, 0.75], "fit_time": [1, 2.0],
               "score_time": [0.5, 0.25], "fit_error": [None, "Traceback: boom"]}
    folds = migrations.v1_folds(drop_in)
    assert [f.fold for f in folds] == [0, 1]
    assert folds[0].test_scores == {"score": 0.5} and math.isnan(folds[1].test_scores["score"])
    assert [f.train_scores for f in folds] == [{"score": 1.0}, {"score": 0.75}]
    assert [(f.fit_time, f.score_time) for f in folds] == [(1.0, 0.5), (2.0, 0.25)]
    assert [f.fit_error for f in folds] == [None, "Traceback: boom"]
    assert all(f.score_error is None for f in folds)
    multi = migrations.v1_folds({"test_scores": [{"acc": 1, "f1": 0.5}], "fit_time": [0.1],
                                 "score_time": [0.2]})
    assert multi == [FoldRecord(0, {"acc": 1.0, "f1": 0.5}, None, 0.1, 0.2)]


@pytest.mark.parametrize("attrs", [
    {},
    {"fit_time": 1.5},  # a user's own scalar
    {"test_scores": [0.5], "fit_time": [0.1]},  # no score_time
    {"test_scores": [0.5, 0.5], "fit_time": [0.1], "score_time": [0.1]},  # lengths differ
    {"test_scores": [], "fit_time": [], "score_time": []},
    {"test_scores": ["high"], "fit_time": [0.1], "score_time": [0.1]},
    {"test_scores": [True], "fit_time": [0.1], "score_time": [0.1]},
    {"test_scores": [0.5], "fit_time": [0.1], "score_time": [0.1], "fit_error": [1]},
    {"test_scores": [0.5], "fit_time": [0.1], "score_time": [0.1], "train_scores": [None]},
    {"test_scores": [{"acc": "x"}], "fit_time": [0.1], "score_time": [0.1]},
    {"test_scores": [0.5], "fit_time": [float("nan")], "score_time": [0.1]},
])
def test_v1_folds_leaves_anything_else_alone(attrs) -> None:
    assert migrations.v1_folds(attrs) is None
