"""The storage contract: one test class, run against every backend.

A new backend passes this file before anything else uses it. The ``storage``
fixture (conftest.py) yields a fresh memory, SQLite and PostgreSQL storage.
"""

from __future__ import annotations

import math
import time
from datetime import datetime

import numpy as np
import pytest

from tunesmith.exceptions import BudgetReached, SearchExhausted, StudyNotFoundError
from tunesmith.records import Direction, FoldRecord, TrialState
from tunesmith.space import Categorical, Float, Int
from tunesmith.storage import Storage


def _same(a, b) -> bool:
    """Equal, with NaN equal to NaN and tuples kept apart from lists.

    A numpy scalar may come back as the Python number it holds (JSON has no int64).
    """
    a, b = (x.item() if isinstance(x, np.generic) else x for x in (a, b))
    if type(a) is not type(b):
        return False
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return a == b


def _study(storage: Storage, name: str = "s", direction: str = "minimize") -> int:
    return storage.create_study(name, direction=Direction.parse(direction))


def _aware(moment: datetime | None) -> bool:
    return moment is not None and moment.tzinfo is not None and moment.utcoffset().seconds == 0


class TestStorageContract:
    # -- studies -------------------------------------------------------------------

    def test_create_and_read_study(self, storage: Storage) -> None:
        attrs = {"space": {"x": [1, 2]}, "seed": 3, "note": None}
        sid = storage.create_study("alpha", direction=Direction.MAXIMIZE, attrs=attrs)
        assert storage.study_id("alpha") == sid
        assert storage.study_name(sid) == "alpha"
        assert storage.study_direction(sid) is Direction.MAXIMIZE
        assert storage.study_attrs(sid) == attrs
        assert storage.trials(sid) == []

    def test_load_if_exists_returns_the_same_study(self, storage: Storage) -> None:
        sid = _study(storage, "alpha")
        again = storage.create_study(
            "alpha", direction=Direction.MINIMIZE, load_if_exists=True
        )
        assert again == sid
        assert [s.name for s in storage.list_studies()] == ["alpha"]

    def test_duplicate_name_is_an_error_naming_the_study(self, storage: Storage) -> None:
        _study(storage, "alpha")
        with pytest.raises(ValueError, match=r"'alpha'.*load_if_exists=True"):
            _study(storage, "alpha")

    def test_unknown_study_raises_not_found(self, storage: Storage) -> None:
        with pytest.raises(StudyNotFoundError, match="'missing'"):
            storage.study_id("missing")
        with pytest.raises(KeyError):  # StudyNotFoundError is also a KeyError
            storage.study_name(12345)
        for call in (
            lambda: storage.study_direction(12345),
            lambda: storage.study_attrs(12345),
            lambda: storage.trials(12345),
            lambda: storage.create_trial(12345, owner="me"),
            lambda: storage.delete_study(12345),
            lambda: storage.set_study_attr(12345, "k", 1),
        ):
            with pytest.raises(StudyNotFoundError, match="12345"):
                call()

    def test_set_study_attr_adds_and_replaces(self, storage: Storage) -> None:
        sid = storage.create_study("a", direction=Direction.MINIMIZE, attrs={"k": 1})
        storage.set_study_attr(sid, "k", [1, "two"])
        storage.set_study_attr(sid, "other", {"nested": True})
        assert storage.study_attrs(sid) == {"k": [1, "two"], "other": {"nested": True}}

    def test_delete_study_removes_it_and_its_trials(self, storage: Storage) -> None:
        keep, gone = _study(storage, "keep"), _study(storage, "gone")
        for sid in (keep, gone):
            trial = storage.create_trial(sid, owner="me", candidate=0)
            storage.report(trial.trial_id, 1, 0.5)
        doomed = storage.trials(gone)[0].trial_id
        storage.delete_study(gone)
        with pytest.raises(StudyNotFoundError):
            storage.study_id("gone")
        with pytest.raises(KeyError):
            storage.trial(doomed)
        assert [s.name for s in storage.list_studies()] == ["keep"]
        assert len(storage.trials(keep)) == 1
        # The name is free again, and the new study starts empty.
        again = _study(storage, "gone")
        assert storage.trials(again) == []
        assert storage.create_trial(again, owner="me", candidate=0).number == 0

    def test_list_studies_summarises_oldest_first(self, storage: Storage) -> None:
        low = _study(storage, "low", "minimize")
        high = _study(storage, "high", "maximize")
        _study(storage, "empty")
        for sid in (low, high):
            for value, state in [
                (2.0, TrialState.COMPLETE),
                (1.0, TrialState.COMPLETE),
                (float("nan"), TrialState.FAILED),
                (None, TrialState.PRUNED),
                (3.0, TrialState.COMPLETE),
            ]:
                trial = storage.create_trial(sid, owner="me")
                storage.finish_trial(trial.trial_id, state, value=value)
            storage.create_trial(sid, owner="me")  # still running
        summaries = storage.list_studies()
        assert [s.name for s in summaries] == ["low", "high", "empty"]
        by_name = {s.name: s for s in summaries}
        assert (by_name["low"].n_trials, by_name["low"].n_complete) == (6, 3)
        assert by_name["low"].best_value == 1.0
        assert by_name["high"].best_value == 3.0
        assert by_name["high"].direction is Direction.MAXIMIZE
        assert by_name["high"].study_id == high
        empty = by_name["empty"]
        assert (empty.n_trials, empty.n_complete, empty.best_value) == (0, 0, None)
        assert _aware(empty.created_at)

    # -- trials --------------------------------------------------------------------

    def test_trials_are_numbered_per_study(self, storage: Storage) -> None:
        a, b = _study(storage, "a"), _study(storage, "b")
        made = [storage.create_trial(sid, owner="me") for sid in (a, a, b, a, b)]
        assert [t.number for t in made] == [0, 1, 0, 2, 1]
        assert len({t.trial_id for t in made}) == 5
        assert [t.number for t in storage.trials(a)] == [0, 1, 2]

    def test_created_trial_is_running_and_owned(self, storage: Storage) -> None:
        sid = _study(storage)
        trial = storage.create_trial(
            sid, owner="host:1", params={"x": 0.5}, dimensions={"x": Float(0.0, 1.0)}
        )
        assert trial.state is TrialState.RUNNING
        assert trial.owner == "host:1"
        assert trial.candidate is None and trial.value is None
        assert _aware(trial.started_at) and _aware(trial.heartbeat_at)
        stored = storage.trial(trial.trial_id)
        assert stored.params == {"x": 0.5}
        assert stored.dimensions == {"x": Float(0.0, 1.0)}
        assert stored.number == trial.number and stored.owner == "host:1"
        assert stored.started_at == trial.started_at

    def test_a_candidate_is_claimed_once(self, storage: Storage) -> None:
        sid, other = _study(storage, "a"), _study(storage, "b")
        first = storage.create_trial(sid, owner="w1", candidate=7)
        assert first is not None and first.candidate == 7
        assert storage.create_trial(sid, owner="w2", candidate=7) is None
        storage.finish_trial(first.trial_id, TrialState.COMPLETE, value=1.0)
        assert storage.create_trial(sid, owner="w2", candidate=7) is None  # finished too
        assert storage.create_trial(sid, owner="w2", candidate=8).number == 1
        assert storage.create_trial(other, owner="w2", candidate=7).number == 0
        assert storage.taken_candidates(sid) == {7, 8}
        assert storage.taken_candidates(other) == {7}
        assert len(storage.trials(sid)) == 2  # the refused claims left nothing behind

    def test_take_over_is_a_compare_and_set(self, storage: Storage) -> None:
        sid = _study(storage)
        trial = storage.create_trial(sid, owner="dead", candidate=3, params={"x": 1})
        storage.report(trial.trial_id, 1, 0.9)
        time.sleep(0.002)
        assert storage.take_over_trial(trial.trial_id, old_owner="wrong", new_owner="me") is None
        taken = storage.take_over_trial(trial.trial_id, old_owner="dead", new_owner="me")
        assert taken is not None
        assert (taken.owner, taken.number, taken.candidate) == ("me", 0, 3)
        assert taken.state is TrialState.RUNNING and taken.params == {"x": 1}
        assert taken.started_at > trial.started_at
        assert taken.heartbeat_at > trial.heartbeat_at
        assert taken.intermediate == {}
        assert storage.trial(trial.trial_id).owner == "me"
        assert storage.trial(trial.trial_id).intermediate == {}
        # The loser of the race sees that the owner changed.
        assert storage.take_over_trial(trial.trial_id, old_owner="dead", new_owner="x") is None
        storage.finish_trial(trial.trial_id, TrialState.COMPLETE, value=1.0)
        assert storage.take_over_trial(trial.trial_id, old_owner="me", new_owner="x") is None
        with pytest.raises(KeyError):
            storage.take_over_trial(987654, old_owner="me", new_owner="x")

    def test_finish_is_idempotent(self, storage: Storage) -> None:
        sid = _study(storage)
        trial = storage.create_trial(sid, owner="me")
        assert storage.finish_trial(trial.trial_id, TrialState.COMPLETE, value=0.25) is True
        done = storage.trial(trial.trial_id)
        assert storage.finish_trial(
            trial.trial_id, "failed", value=9.0, params={"x": 1}, message="again"
        ) is False
        assert storage.trial(trial.trial_id) == done
        assert done.state is TrialState.COMPLETE and done.value == 0.25
        assert _aware(done.finished_at) and done.duration >= 0
        assert storage.trials(sid) == [done]

    def test_finish_records_state_value_and_message(self, storage: Storage) -> None:
        sid = _study(storage)
        for state, value in [
            ("pruned", 0.5),
            (TrialState.FAILED, float("nan")),
            (TrialState.FAILED, float("inf")),
            (TrialState.FAILED, float("-inf")),
            (TrialState.SKIPPED, None),
        ]:
            trial = storage.create_trial(sid, owner="me")
            storage.finish_trial(trial.trial_id, state, value=value, message=f"why {state}")
            got = storage.trial(trial.trial_id)
            assert got.state is TrialState.parse(state)
            assert _same(got.value, value), (state, got.value)
            assert got.message == f"why {state}"

    def test_finish_needs_a_final_state_and_a_known_trial(self, storage: Storage) -> None:
        sid = _study(storage)
        trial = storage.create_trial(sid, owner="me")
        with pytest.raises(ValueError, match="RUNNING"):
            storage.finish_trial(trial.trial_id, TrialState.RUNNING)
        with pytest.raises(ValueError, match="unknown trial state 'bogus'"):
            storage.finish_trial(trial.trial_id, "bogus")
        with pytest.raises(KeyError):
            storage.finish_trial(987654, TrialState.COMPLETE, value=1.0)
        with pytest.raises(KeyError):
            storage.trial(987654)

    def test_finish_merges_params_dimensions_and_attrs(self, storage: Storage) -> None:
        sid = _study(storage)
        trial = storage.create_trial(
            sid, owner="me", params={"a": 1, "b": 2}, dimensions={"a": Int(0, 5)}
        )
        storage.finish_trial(
            trial.trial_id,
            TrialState.COMPLETE,
            value=1.0,
            params={"b": 3, "c": "x"},
            dimensions={"c": Categorical(("x", "y"))},
            attrs={"fit_time": 0.5},
        )
        got = storage.trial(trial.trial_id)
        assert got.params == {"a": 1, "b": 3, "c": "x"}
        assert got.dimensions == {"a": Int(0, 5), "c": Categorical(("x", "y"))}
        assert got.attrs == {"fit_time": 0.5}
        # A bare trial gets everything at finish (the common path of a study).
        bare = storage.create_trial(sid, owner="me")
        storage.finish_trial(bare.trial_id, "complete", value=2.0, params={"z": 1},
                             attrs={"k": [1, 2]})
        got = storage.trial(bare.trial_id)
        assert (got.params, got.attrs, got.dimensions) == ({"z": 1}, {"k": [1, 2]}, {})

    def test_set_trial_params_shows_a_running_trials_point(self, storage: Storage) -> None:
        sid = _study(storage)
        trial = storage.create_trial(sid, owner="me")
        assert storage.set_trial_params(trial.trial_id, {"x": 0.5, "k": "a"},
                                        {"x": Float(0, 1), "k": Categorical(("a", "b"))})
        (running,) = storage.trials(sid, states=[TrialState.RUNNING])
        assert running.params == {"x": 0.5, "k": "a"}
        assert running.dimensions == {"x": Float(0, 1), "k": Categorical(("a", "b"))}
        # Set again: replaced, not merged (a re-proposed point is a new point).
        assert storage.set_trial_params(trial.trial_id, {"x": 0.25}, {"x": Float(0, 1)})
        assert storage.trial(trial.trial_id).params == {"x": 0.25}
        # Parameters drawn while the objective ran are added at the finish.
        storage.finish_trial(trial.trial_id, "complete", value=1.0, params={"n": 3},
                             dimensions={"n": Int(1, 5)})
        done = storage.trial(trial.trial_id)
        assert done.params == {"x": 0.25, "n": 3}
        assert done.dimensions == {"x": Float(0, 1), "n": Int(1, 5)}
        # A finished trial's point is final.
        assert not storage.set_trial_params(trial.trial_id, {"x": 0.75}, {"x": Float(0, 1)})
        assert storage.trial(trial.trial_id).params == {"x": 0.25, "n": 3}
        with pytest.raises(KeyError, match="no trial with id 999"):
            storage.set_trial_params(999, {}, {})

    def test_intermediate_values(self, storage: Storage) -> None:
        sid = _study(storage)
        trial = storage.create_trial(sid, owner="me")
        other = storage.create_trial(sid, owner="me")
        storage.report(trial.trial_id, 1, 0.5)
        storage.report(trial.trial_id, 0, 0.75)
        storage.report(trial.trial_id, 1, 0.25)  # the same step again: the last one wins
        storage.report(trial.trial_id, 10**10, float("nan"))
        storage.report(other.trial_id, 3, float("-inf"))
        got = storage.trial(trial.trial_id).intermediate
        assert _same(dict(got), {0: 0.75, 1: 0.25, 10**10: float("nan")})
        assert dict(storage.trials(sid)[1].intermediate) == {3: float("-inf")}
        storage.finish_trial(trial.trial_id, TrialState.PRUNED)
        storage.report(trial.trial_id, 2, 0.1)  # late: ignored, no error
        assert 2 not in storage.trial(trial.trial_id).intermediate
        with pytest.raises(KeyError):
            storage.report(987654, 1, 0.5)

    def test_heartbeat_marks_running_trials_alive(self, storage: Storage) -> None:
        sid = _study(storage)
        alive = storage.create_trial(sid, owner="me")
        done = storage.create_trial(sid, owner="me")
        storage.finish_trial(done.trial_id, TrialState.COMPLETE, value=1.0)
        before_done = storage.trial(done.trial_id).heartbeat_at
        time.sleep(0.002)
        storage.heartbeat([alive.trial_id, done.trial_id, 987654])  # unknown ids: ignored
        storage.heartbeat([])
        assert storage.trial(alive.trial_id).heartbeat_at > alive.heartbeat_at
        assert storage.trial(done.trial_id).heartbeat_at == before_done
        time.sleep(0.002)
        beat = storage.trial(alive.trial_id).heartbeat_at
        storage.report(alive.trial_id, 1, 1.0)  # a report is a heartbeat too
        assert storage.trial(alive.trial_id).heartbeat_at > beat

    def test_params_round_trip_json_edge_cases(self, storage: Storage) -> None:
        params = {
            "none": None,
            "yes": True,
            "no": False,
            "int": 3,
            "float": 0.1,
            "np_int": np.int64(7),
            "np_float": np.float64(0.5),
            "np_float32": np.float32(1.5),
            "nan": float("nan"),
            "inf": float("inf"),
            "tuple": (1, "a", (2.0, None)),
            "list": [1, [2, 3]],
            "text": "ünïcode \"quoted\"",
        }
        sid = _study(storage)
        trial = storage.create_trial(sid, owner="me", params=params)
        storage.finish_trial(trial.trial_id, TrialState.COMPLETE, value=1.0,
                             attrs={"nan": float("nan"), "tuple": (1, 2)})
        got = storage.trial(trial.trial_id)
        for name, value in params.items():
            assert _same(got.params[name], value), (name, got.params[name], value)
        assert _same(dict(got.attrs), {"nan": float("nan"), "tuple": (1, 2)})
        assert _same(dict(storage.trials(sid)[0].params), params)

    def test_states_filter(self, storage: Storage) -> None:
        sid = _study(storage)
        states = [TrialState.COMPLETE, TrialState.FAILED, TrialState.PRUNED,
                  TrialState.COMPLETE]
        for state in states:
            trial = storage.create_trial(sid, owner="me")
            storage.finish_trial(trial.trial_id, state, value=1.0)
        storage.create_trial(sid, owner="me")
        assert [t.number for t in storage.trials(sid, states=[TrialState.COMPLETE])] == [0, 3]
        assert [t.number for t in storage.trials(sid, states=["running", "pruned"])] == [2, 4]
        assert storage.trials(sid, states=[]) == []
        assert len(storage.trials(sid)) == 5

    def test_context_manager_closes(self, storage: Storage) -> None:
        with storage as same:
            assert same is storage
            _study(storage)

    # -- budget, folds, change sequence (schema version 2) -------------------------------

    def test_a_trial_keeps_its_budget(self, storage: Storage) -> None:
        sid = _study(storage)
        made = storage.create_trial(sid, owner="me", budget=81)
        plain = storage.create_trial(sid, owner="me")
        assert made.budget == 81.0 and type(made.budget) is float
        assert storage.trial(made.trial_id).budget == 81.0
        assert [t.budget for t in storage.trials(sid)] == [81.0, None]
        assert storage.trial(plain.trial_id).budget is None
        for bad, error in [(float("nan"), ValueError), (float("inf"), ValueError),
                           ("9", TypeError), (True, TypeError)]:
            with pytest.raises(error, match="budget"):
                storage.create_trial(sid, owner="me", budget=bad)
        assert len(storage.trials(sid)) == 2

    def test_max_trials_counts_the_studys_trials(self, storage: Storage) -> None:
        sid, other = _study(storage, "a"), _study(storage, "b")
        storage.create_trial(other, owner="me")  # another study's trials do not count
        made = [storage.create_trial(sid, owner="me", max_trials=3) for _ in range(3)]
        assert [t.number for t in made] == [0, 1, 2]
        with pytest.raises(BudgetReached, match=r"3 trials.*max_trials=3"):
            storage.create_trial(sid, owner="me", max_trials=3)
        with pytest.raises(SearchExhausted):  # BudgetReached is a SearchExhausted
            storage.create_trial(sid, owner="me", max_trials=2)
        # Finished trials count too: a budget is of trials, not of running ones.
        storage.finish_trial(made[0].trial_id, TrialState.FAILED)
        with pytest.raises(BudgetReached):
            storage.create_trial(sid, owner="me", max_trials=3)
        assert storage.create_trial(sid, owner="me", max_trials=4).number == 3
        assert storage.create_trial(sid, owner="me").number == 4  # no limit given
        assert len(storage.trials(sid)) == 5
        with pytest.raises(BudgetReached):
            storage.create_trial(_study(storage, "c"), owner="me", max_trials=0)
        for bad, error in [(-1, ValueError), (2.5, TypeError), (True, TypeError)]:
            with pytest.raises(error, match="max_trials"):
                storage.create_trial(sid, owner="me", max_trials=bad)
        assert len(storage.trials(sid)) == 5

    def test_a_claim_under_a_budget(self, storage: Storage) -> None:
        sid = _study(storage)
        assert storage.create_trial(sid, owner="me", candidate=5, max_trials=2).number == 0
        # Taken candidate, budget not reached: None, as without a budget.
        assert storage.create_trial(sid, owner="me", candidate=5, max_trials=2) is None
        assert storage.create_trial(sid, owner="me", candidate=6, max_trials=2).number == 1
        # Budget reached: BudgetReached, whether the candidate is free or taken.
        with pytest.raises(BudgetReached):
            storage.create_trial(sid, owner="me", candidate=7, max_trials=2)
        with pytest.raises(BudgetReached):
            storage.create_trial(sid, owner="me", candidate=5, max_trials=2)
        assert storage.taken_candidates(sid) == {5, 6}

    def test_folds_are_stored_with_the_finish(self, storage: Storage) -> None:
        sid = _study(storage)
        trial = storage.create_trial(sid, owner="me", params={"x": 1})
        storage.report(trial.trial_id, 0, 0.5)
        folds = [
            FoldRecord(fold=2, test_scores={"acc": 0.5, "f1": float("nan")}, fit_time=0.5,
                       score_time=0.25, score_error="Traceback: scoring failed"),
            FoldRecord(fold=0, test_scores={"acc": 1.0, "f1": 0.75},
                       train_scores={"acc": 1.0, "f1": 1.0}, fit_time=1.5, score_time=0.125),
            FoldRecord(fold=1, test_scores={"acc": float("nan"), "f1": float("nan")},
                       fit_time=0.0, score_time=0.0, fit_error="Traceback: ValueError"),
        ]
        assert storage.finish_trial(trial.trial_id, TrialState.COMPLETE, value=0.75,
                                    attrs={"k": 1}, folds=folds)
        by_fold = sorted(folds, key=lambda f: f.fold)
        for got in (storage.trial(trial.trial_id), storage.trials(sid)[0],
                    storage.trials(sid, states=[TrialState.COMPLETE])[0],
                    storage.changed_trials(sid, 0)[0][0]):
            assert [f.fold for f in got.folds] == [0, 1, 2]
            assert isinstance(got.folds, tuple)
            for have, want in zip(got.folds, by_fold, strict=True):
                assert _same(dict(have.test_scores), dict(want.test_scores))
                assert have.train_scores == want.train_scores
                assert (have.fit_time, have.score_time) == (want.fit_time, want.score_time)
                assert (have.fit_error, have.score_error) == (want.fit_error,
                                                              want.score_error)
            assert dict(got.attrs) == {"k": 1} and dict(got.intermediate) == {0: 0.5}
        # A trial without folds has none; a second finish changes nothing.
        assert storage.finish_trial(trial.trial_id, TrialState.COMPLETE, value=0.1,
                                    folds=[FoldRecord(0, {"acc": 0.0})]) is False
        assert storage.trial(trial.trial_id).folds[0].test_scores == {"acc": 1.0, "f1": 0.75}
        bare = storage.create_trial(sid, owner="me")
        storage.finish_trial(bare.trial_id, TrialState.FAILED, folds=[])
        assert storage.trial(bare.trial_id).folds == ()

    def test_folds_that_cannot_be_stored_leave_the_trial_running(self, storage: Storage) -> None:
        sid = _study(storage)
        trial = storage.create_trial(sid, owner="me")
        twice = [FoldRecord(0, {"score": 1.0}), FoldRecord(0, {"score": 0.5})]
        with pytest.raises(ValueError, match=r"fold 0 .* twice"):
            storage.finish_trial(trial.trial_id, TrialState.COMPLETE, value=1.0, folds=twice)
        with pytest.raises(TypeError, match="FoldRecord"):
            storage.finish_trial(trial.trial_id, TrialState.COMPLETE, value=1.0,
                                 folds=[{"fold": 0}])
        with pytest.raises(ValueError, match="not finite"):
            storage.finish_trial(trial.trial_id, TrialState.COMPLETE, value=1.0,
                                 folds=[FoldRecord(0, {"score": 1.0}, fit_time=math.nan)])
        with pytest.raises(TypeError, match="metric name"):
            storage.finish_trial(trial.trial_id, TrialState.COMPLETE, value=1.0,
                                 folds=[FoldRecord(0, 0.5)])
        got = storage.trial(trial.trial_id)
        assert got.state is TrialState.RUNNING and got.folds == ()

    def test_deleting_a_study_deletes_its_folds(self, storage: Storage) -> None:
        sid = _study(storage, "gone")
        trial = storage.create_trial(sid, owner="me")
        storage.finish_trial(trial.trial_id, "complete", value=1.0,
                             folds=[FoldRecord(0, {"score": 1.0})])
        storage.delete_study(sid)
        again = _study(storage, "gone")
        fresh = storage.create_trial(again, owner="me")
        storage.finish_trial(fresh.trial_id, "complete", value=1.0)
        assert storage.trial(fresh.trial_id).folds == ()

    def test_changed_trials_follows_every_change_but_heartbeats(self, storage: Storage) -> None:
        sid, other = _study(storage, "a"), _study(storage, "b")
        assert storage.changed_trials(sid, 0) == ([], 0)
        first = storage.create_trial(sid, owner="w1")
        second = storage.create_trial(sid, owner="w1", candidate=3)
        everything, seen = storage.changed_trials(sid, 0)
        assert [t.number for t in everything] == [0, 1] and seen >= 2
        assert everything == storage.trials(sid)
        assert storage.changed_trials(sid, seen) == ([], seen)

        def changed_after(change) -> list[int]:
            nonlocal seen
            change()
            trials, now = storage.changed_trials(sid, seen)
            assert now >= seen
            if trials:
                assert now > seen
            assert trials == [t for t in storage.trials(sid) if t.number in
                              {x.number for x in trials}]  # each as it is now
            seen = now
            return [t.number for t in trials]

        # Not changes: a heartbeat, another study's trial, a refused claim or budget,
        # a no-op on a finished trial, a failed compare-and-set.
        assert changed_after(lambda: storage.heartbeat([first.trial_id, second.trial_id])) == []
        assert changed_after(lambda: storage.create_trial(other, owner="w1")) == []
        with pytest.raises(BudgetReached):
            storage.create_trial(sid, owner="w1", max_trials=2)
        assert changed_after(lambda: None) == []
        # Changes: each kind of write shows the trial it changed, and only that one.
        assert changed_after(lambda: storage.report(second.trial_id, 1, 0.5)) == [1]
        assert changed_after(lambda: storage.set_trial_params(
            first.trial_id, {"x": 0.5}, {"x": Float(0, 1)})) == [0]
        assert changed_after(lambda: storage.take_over_trial(
            second.trial_id, old_owner="w1", new_owner="w2")) == [1]
        assert changed_after(lambda: storage.take_over_trial(
            second.trial_id, old_owner="w1", new_owner="w3")) == []
        assert changed_after(lambda: storage.finish_trial(
            first.trial_id, "complete", value=1.0, folds=[FoldRecord(0, {"s": 1.0})])) == [0]
        assert changed_after(lambda: storage.finish_trial(first.trial_id, "failed")) == []
        assert changed_after(lambda: storage.set_trial_params(first.trial_id, {}, {})) == []
        assert changed_after(lambda: storage.report(first.trial_id, 2, 0.1)) == []
        third = storage.create_trial(sid, owner="w1", budget=3.0)
        storage.finish_trial(second.trial_id, "pruned")
        trials, now = storage.changed_trials(sid, seen)
        assert [t.number for t in trials] == [1, 2]  # ordered by number, not by change
        assert trials[1].budget == 3.0 and trials[1].trial_id == third.trial_id
        assert trials[0].state is TrialState.PRUNED
        # An old number gives what changed since then, each trial once.
        assert [t.number for t in storage.changed_trials(sid, 0)[0]] == [0, 1, 2]
        assert storage.changed_trials(sid, 0)[1] == now
        with pytest.raises(StudyNotFoundError, match="12345"):
            storage.changed_trials(12345, 0)
        with pytest.raises(StudyNotFoundError, match="12345"):
            storage.changed_trials(12345, 7)

    def test_direction_is_kept_whatever_a_later_open_says(self, storage: Storage) -> None:
        sid = storage.create_study("up", direction=Direction.MAXIMIZE)
        again = storage.create_study("up", direction=Direction.MINIMIZE, load_if_exists=True)
        assert again == sid
        assert storage.study_direction(sid) is Direction.MAXIMIZE
        assert storage.list_studies()[0].direction is Direction.MAXIMIZE
