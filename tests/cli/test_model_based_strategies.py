"""``strategy = "sobol" | "tpe"`` in a study file runs a native study with that sampler."""

from __future__ import annotations

import json

import pytest

from tunesmith.samplers import SobolSampler
from tunesmith.space import Categorical, Int, Space
from tunesmith.storage import open_storage

STUDY = """\
[data]
dataset = "iris"

[estimator]
class = "sklearn.neighbors.KNeighborsClassifier"

[space]
n_neighbors = {{ low = 1, high = 40, type = "int" }}
weights = ["uniform", "distance"]

[search]
strategy = "{strategy}"
n_trials = 12
seed = 4
cv = 3
scoring = "accuracy"
"""


def _trials(path, name: str) -> list:
    with open_storage(f"sqlite:///{path.with_suffix('.db')}") as storage:
        return storage.trials(storage.study_id(name))


@pytest.mark.slow
@pytest.mark.parametrize("strategy", ["sobol", "tpe"])
def test_strategy_runs_its_sampler(cli, study_file, strategy: str) -> None:
    path = study_file(STUDY.format(strategy=strategy), f"{strategy}.toml")
    result = cli("run", path, "--format", "json", "--no-progress")
    assert result.code == 0, result.err
    assert json.loads(result.out)["n_trials"] == 12
    trials = _trials(path, strategy)
    assert len(trials) == 12 and all(t.is_complete for t in trials)
    assert len({(t.params["n_neighbors"], t.params["weights"]) for t in trials}) == 12
    # Sobol walks its seeded sequence; TPE starts on the same points (its start-up
    # design), then its model takes over and leaves the sequence.
    space = Space({"n_neighbors": Int(1, 40), "weights": Categorical(["uniform", "distance"])})
    sobol = [SobolSampler(seed=4).propose(space, [], n) for n in range(12)]
    params = [dict(t.params) for t in trials]
    assert params[:10] == sobol[:10]
    if strategy == "sobol":
        assert params[10:] == sobol[10:]
    else:
        assert params[10:] != sobol[10:]


@pytest.mark.slow
def test_tpe_study_resumes_with_more_trials(cli, study_file) -> None:
    text = STUDY.format(strategy="tpe")
    path = study_file(text, "grow.toml")
    assert cli("run", path, "--quiet").code == 0
    path.write_text(text.replace("n_trials = 12", "n_trials = 16"))
    more = cli("run", path, "--format", "json", "--no-progress")
    assert more.code == 0, more.err
    assert "12 of 16 trials already done" in more.err
    trials = _trials(path, "grow")
    assert [t.number for t in trials] == list(range(16))
