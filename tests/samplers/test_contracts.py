"""The contract every sampler keeps: random, Sobol, TPE, GP and auto alike.

* every proposal is a valid point of the space (types, ranges, conditions, forbidden);
* the same seed gives the same sequence, also in a fresh Python process;
* on a finite space, asks made in parallel (before any tell) never repeat a point.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import textwrap
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tunesmith
from tunesmith.exceptions import SearchExhausted
from tunesmith.space import Categorical, Condition, Float, Forbidden, Int, Space

SAMPLERS = ["random", "sobol", "tpe", "gp", "auto"]

# -- spaces --------------------------------------------------------------------------------

_numeric = st.sampled_from([
    Float(-3.0, 5.0),
    Float(1e-4, 1e2, log=True),
    Float(0.0, 1.0, step=0.25),
    Int(-4, 9),
    Int(1, 500, log=True),
    Int(0, 30, step=5),
])


@st.composite
def spaces(draw: Any) -> Space:
    """Two to five parameters of every kind; maybe a condition and a forbidden pair."""
    dims: dict[str, Any] = {"kind": Categorical(["a", "b", "c"])}
    for i in range(draw(st.integers(1, 3))):
        dims[f"x{i}"] = draw(_numeric)
    if draw(st.booleans()):
        dims["flag"] = Categorical([True, False, None])
    conditions, forbidden = [], []
    if draw(st.booleans()):
        conditions.append(Condition("x0", "kind", ["a", "b"]))
    if "flag" in dims and draw(st.booleans()):
        forbidden.append(Forbidden({"kind": ["c"], "flag": [True, None]}))
    return Space(dims, conditions=conditions, forbidden=forbidden)


def objective(params: dict[str, Any], space: Space) -> float:
    """Smooth in every parameter's unit position; fails on one combination."""
    if params.get("kind") == "b" and params.get("flag") is False:
        raise ValueError("kind='b' does not take flag=False")
    return sum((space[name].to_unit(value) - 0.3) ** 2 for name, value in params.items())


def run(study: tunesmith.Study, space: Space, n: int) -> list[dict[str, Any]]:
    """Ask, check, tell ``n`` times (fewer if a finite space runs out)."""
    seen = []
    for _ in range(n):
        try:
            trial = study.ask()
        except SearchExhausted:
            break
        params = trial.params
        assert space.why_invalid(params) is None, (params, space.why_invalid(params))
        seen.append(params)
        try:
            study.tell(trial, objective(params, space))
        except ValueError as exc:
            study.tell(trial, state="failed", message=str(exc))
    return seen


# -- every proposal is valid ---------------------------------------------------------------


@pytest.mark.parametrize("sampler", SAMPLERS)
@given(space=spaces(), seed=st.integers(0, 2**16))
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_every_proposal_is_a_valid_point(sampler: str, space: Space, seed: int) -> None:
    study = tunesmith.Study(space=space, sampler=sampler, seed=seed)
    # Past the 10 startup trials, so that TPE's model proposes too.
    points = run(study, space, 24)
    assert points
    for params in points:
        for name, value in params.items():
            assert space[name].contains(value), (name, value)


@pytest.mark.parametrize("sampler", SAMPLERS)
def test_inactive_parameters_are_left_out(sampler: str) -> None:
    space = Space(
        {"kind": Categorical(["a", "b"]), "lr": Float(1e-3, 1.0, log=True), "depth": Int(1, 9)},
        conditions=[Condition("lr", "kind", ["a"]), Condition("depth", "kind", ["b"])],
    )
    study = tunesmith.Study(space=space, sampler=sampler, seed=3)
    points = run(study, space, 30)
    assert {p["kind"] for p in points} == {"a", "b"}
    for p in points:
        assert set(p) == ({"kind", "lr"} if p["kind"] == "a" else {"kind", "depth"})


# -- same seed, same sequence, in any process ------------------------------------------------

_SCRIPT = textwrap.dedent(
    """
    import json, sys
    import tunesmith
    from tunesmith.space import Categorical, Condition, Float, Int, Space

    def sequence(sampler, seed, n=16):
        space = Space(
            {"kind": Categorical(["a", "b", "c"]), "lr": Float(1e-4, 1.0, log=True),
             "units": Int(1, 256, log=True), "drop": Float(0.0, 0.5, step=0.1)},
            conditions=[Condition("units", "kind", ["a", "b"])],
        )
        study = tunesmith.Study(space=space, sampler=sampler, seed=seed)
        out = []
        for _ in range(n):
            trial = study.ask()
            p = trial.params
            value = (p["lr"] - 0.01) ** 2 + p["drop"] + (0.5 if p["kind"] == "c" else 0.0)
            study.tell(trial, value)
            out.append(p)
        return out

    if __name__ == "__main__":
        print(json.dumps([sequence(name, int(sys.argv[1])) for name in sys.argv[2:]]))
    """
)


def _in_process(sampler: str, seed: int) -> list[dict[str, Any]]:
    namespace: dict[str, Any] = {"__name__": "contracts"}
    exec(_SCRIPT, namespace)
    return json.loads(json.dumps(namespace["sequence"](sampler, seed)))


@pytest.mark.slow  # a fresh interpreter
def test_same_seed_same_sequence_in_a_fresh_process() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT, "11", *SAMPLERS],
        capture_output=True, text=True, timeout=120, check=True,
    )
    fresh = json.loads(done.stdout)
    for sampler, theirs in zip(SAMPLERS, fresh, strict=True):
        ours = _in_process(sampler, 11)
        assert ours == theirs, sampler
        assert len({json.dumps(p, sort_keys=True) for p in ours}) > 1, sampler


@pytest.mark.parametrize("sampler", SAMPLERS)
def test_another_seed_another_sequence(sampler: str) -> None:
    assert _in_process(sampler, 1) != _in_process(sampler, 2)


# -- parallel asks on a finite space ---------------------------------------------------------


def _finite_space() -> Space:
    # 3 x 4 x 3 = 36 points, 8 of them forbidden (kind c with flag True or None).
    return Space(
        {"kind": Categorical(["a", "b", "c"]), "n": Int(1, 4), "flag": [True, False, None]},
        forbidden=[Forbidden({"kind": ["c"], "flag": [True, None]})],
    )


@pytest.mark.parametrize("sampler", SAMPLERS)
@pytest.mark.parametrize("batch", [4, 7])
def test_parallel_asks_never_repeat_a_point(sampler: str, batch: int) -> None:
    space = _finite_space()
    study = tunesmith.Study(space=space, sampler=sampler, seed=5)
    keys: list[str] = []
    exhausted = False
    while not exhausted:
        running = []
        for _ in range(batch):  # a batch of workers asks before any of them tells
            try:
                running.append(study.ask())
            except SearchExhausted:
                exhausted = True
                break
        for trial in running:
            params = trial.params
            assert space.is_valid(params), params
            keys.append(json.dumps(params, sort_keys=True))
            study.tell(trial, objective(params, space) if params["flag"] is not False else 1.0)
        if len(keys) > 60:
            break
    assert len(keys) == len(set(keys)), "a point was proposed twice"
    assert len(keys) == 28  # every valid point once, then the search says it is done


@pytest.mark.parametrize("sampler", SAMPLERS)
def test_workers_sharing_a_stored_study_never_repeat_a_point(sampler: str, tmp_path) -> None:
    # Four workers as four processes would be: each its own Study and sampler (same
    # seed: the same study file), sharing one SQLite file. What one worker is running
    # is known to the others only through storage.
    space = _finite_space()
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    workers = [tunesmith.Study(space=space, sampler=sampler, seed=5, storage=url,
                               name="shared", load_if_exists=True) for _ in range(4)]
    keys: list[str] = []
    exhausted = False
    while not exhausted and len(keys) <= 60:
        running = []
        for worker in workers:
            try:
                running.append((worker, worker.ask()))
            except SearchExhausted:
                exhausted = True
                break
        for worker, trial in running:
            params = trial.params
            keys.append(json.dumps(params, sort_keys=True))
            worker.tell(trial, objective(params, space) if params["flag"] is not False else 1.0)
    for worker in workers:
        worker.close()
    assert len(keys) == len(set(keys)), "a point was proposed twice"
    assert len(keys) == 28


def test_tpe_spreads_parallel_asks_on_a_continuous_space() -> None:
    space = Space({"x": Float(0.0, 1.0), "y": Float(0.0, 1.0)})
    study = tunesmith.Study(space=space, sampler="tpe", seed=0)
    run(study, space, 20)
    running = [study.ask() for _ in range(8)]
    points = [(t.params["x"], t.params["y"]) for t in running]
    closest = min(math.dist(a, b) for i, a in enumerate(points) for b in points[i + 1:])
    assert closest > 1e-6, "two parallel asks got the same point"
