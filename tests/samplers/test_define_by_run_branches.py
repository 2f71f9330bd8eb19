"""Define-by-run with a categorical root: the known space is finite but not the search."""

from __future__ import annotations

import pytest

import tunesmith
from tunesmith.records import TrialState


def _branches(t: tunesmith.Trial) -> float:
    # Each branch asks its own float: after one trial per branch, the parameters every
    # trial shares ({"model"}) have a trial at each of their two points.
    if t.categorical("model", ["a", "b"]) == "a":
        return (t.float("x", 0.0, 1.0) - 0.3) ** 2
    return 0.5 + (t.float("y", 0.0, 1.0) - 0.7) ** 2


@pytest.mark.parametrize("sampler", ["tpe", "gp", "auto"])
def test_a_finite_known_space_does_not_end_a_define_by_run_search(sampler: str) -> None:
    study = tunesmith.Study(sampler=sampler, seed=0)
    study.optimize(_branches, n_trials=30, show_progress=False)
    # Before: the study stopped after 2-4 trials, the last one left running and empty.
    assert len(study.trials) == 30
    assert all(t.state is TrialState.COMPLETE for t in study.trials)
    assert {t.params["model"] for t in study.trials} == {"a", "b"}
    assert study.best_value < 0.01  # branch "a" near x = 0.3


def _choose_model(t: tunesmith.Trial) -> float:
    # A one-parameter branch "a" (best near x = 0.3) and a two-parameter branch "b".
    if t.categorical("model", ["a", "b"]) == "a":
        return (t.float("x", 0.0, 1.0) - 0.3) ** 2
    return 0.05 + (t.float("y", 0.0, 1.0) - 0.7) ** 2 + (t.float("z", 0.0, 1.0) - 0.5) ** 2


def test_define_by_run_proposes_a_tree_as_its_declared_space_does() -> None:
    # Run define-by-run, then ask a fresh TPE for trial n both ways on that history: on
    # the space declared (the same names in the same order, the branches as conditions)
    # and define-by-run (the known space {"model"}, then the branch's parameters one by
    # one, as the engine asks them). Before, the branch came from one-dimensional
    # models, each its own draw: the two differed at every ask.
    from tunesmith.samplers import TPESampler
    from tunesmith.space import Categorical, Condition, Float, Space

    study = tunesmith.Study(sampler="tpe", seed=3)
    study.optimize(_choose_model, n_trials=40, show_progress=False)
    history = study.trials
    first = [n for t in history for n in t.params if n != "model"]
    order = list(dict.fromkeys(first))  # the branch parameters, first recorded first
    dims = {"model": Categorical(["a", "b"]), "x": Float(0.0, 1.0), "y": Float(0.0, 1.0),
            "z": Float(0.0, 1.0)}
    declared = Space({"model": dims["model"], **{n: dims[n] for n in order}},
                     conditions=[Condition("x", "model", ["a"]), Condition("y", "model", ["b"]),
                                 Condition("z", "model", ["b"])])
    known = Space({"model": dims["model"]})
    for number in range(40, 60):
        want = TPESampler(seed=number).propose(declared, history, number)
        by_run = TPESampler(seed=number)
        got = by_run.propose(known, history, number)
        assert set(got) == {"model"}
        for name in [n for n in order if n in want]:
            got[name] = by_run.propose_one(name, dims[name], history, number, dict(got))
        assert got == want


def test_a_branch_value_is_not_handed_out_for_another_branch() -> None:
    # The objective may take another branch than the one proposed (it decides): then
    # the branch's parameters are proposed on their own, never the other branch's values.
    from tunesmith.samplers import TPESampler
    from tunesmith.space import Categorical, Float, Space

    study = tunesmith.Study(sampler="tpe", seed=1)
    study.optimize(_choose_model, n_trials=20, show_progress=False)
    known = Space({"model": Categorical(["a", "b"])})
    sampler = TPESampler(seed=0)
    point = sampler.propose(known, study.trials, 20)
    other = "b" if point["model"] == "a" else "a"
    name = "x" if other == "a" else "y"
    value = sampler.propose_one(name, Float(0.0, 1.0), study.trials, 20, {"model": other})
    assert 0.0 <= value <= 1.0
    assert sampler._ahead[20][0].get(name) is None  # that branch was not in the point


def test_only_parameters_a_root_choice_explains_become_branches() -> None:
    # "x" is asked exactly when model == "a"; "w" on some trials of either model (an
    # objective's whim no root value explains): only "x" joins the inferred tree.
    from tunesmith.records import FrozenTrial
    from tunesmith.samplers._tpe._inferred import InferredTree
    from tunesmith.space import Categorical, Float, Space

    known = Space({"model": Categorical(["a", "b"])})
    x, w = Float(0.0, 1.0), Float(0.0, 1.0)
    rows = [("a", True), ("b", True), ("a", False), ("b", False), ("a", True)]
    trials = []
    for number, (model, with_w) in enumerate(rows):
        params: dict = {"model": model, **({"x": 0.5} if model == "a" else {})}
        if with_w:
            params["w"] = 0.5
        dims = {"model": known["model"], "x": x, "w": w}
        trials.append(FrozenTrial(number=number, trial_id=number, state=TrialState.COMPLETE,
                                  value=1.0, params=params,
                                  dimensions={n: dims[n] for n in params}))
    full = InferredTree(known).space(trials)
    assert full.names == ("model", "x")
    (condition,) = full.conditions
    assert (condition.param, condition.parent, condition.values) == ("x", "model", ("a",))
