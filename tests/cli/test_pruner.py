"""``[search] pruner``: a native study's folds are its steps; mistakes are one line."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.neighbors import KNeighborsClassifier

from tunesmith.records import TrialState
from tunesmith.storage import open_storage

NATIVE = """\
storage = "sqlite:///{db}"

[data]
dataset = "iris"
test_size = 0.2
split_seed = 0

[estimator]
class = "sklearn.neighbors.KNeighborsClassifier"

[space]
n_neighbors = {{ low = 1, high = 80, type = "int" }}

[search]
strategy = "random"
n_trials = 16
cv = 5
scoring = "accuracy"
seed = 3
pruner = "median"

[search.pruner_settings]
n_startup_trials = 3
"""


def _one_line(result, key: str, words: str) -> None:
    assert result.code == 2, result
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.err, result.err
    assert key in lines[0] and words in lines[0], lines[0]


@pytest.mark.slow
def test_a_native_study_prunes_by_folds(cli, study_file, tmp_path):
    db = tmp_path / "s.db"
    path = study_file(NATIVE.format(db=db))
    result = cli("run", path, "--no-progress")
    assert result.code == 0, result.err
    storage = open_storage(f"sqlite:///{db}")
    (summary,) = storage.list_studies()
    trials = storage.trials(storage.study_id(summary.name))
    storage.close()
    pruned = [t for t in trials if t.state is TrialState.PRUNED]
    complete = [t for t in trials if t.state is TrialState.COMPLETE]
    assert len(trials) == 16 and pruned and complete
    # The same folds the CLI uses (iris, 20% held out, stratified, split_seed 0).
    X, y = load_iris(return_X_y=True, as_frame=True)
    from sklearn.model_selection import train_test_split

    X_train, _, y_train, _ = train_test_split(X, y, test_size=0.2, random_state=0,
                                              stratify=y)
    for t in complete[:4]:
        scores = cross_val_score(KNeighborsClassifier(**t.params), X_train, y_train,
                                 cv=StratifiedKFold(5), scoring="accuracy")
        assert t.value == pytest.approx(float(np.mean(scores)), abs=1e-12)
        assert t.intermediate[5] == pytest.approx(t.value, abs=1e-12)
    for t in pruned:  # the mean of the folds done when it stopped
        assert max(t.intermediate) < 5 and t.value == t.intermediate[max(t.intermediate)]


@pytest.mark.parametrize(("old", "new", "key", "words"), [
    ('pruner = "median"', 'pruner = "medain"', "search.pruner", "median"),
    ("n_startup_trials = 3", "warmup = 3", "search.pruner_settings", "'warmup'"),
    ("n_startup_trials = 3", "n_startup_trials = -3", "search.pruner_settings",
     "n_startup_trials must be an integer >= 0, got -3"),
    ('pruner = "median"', 'pruner = "none"', "search.pruner_settings", "settings need a"),
    ('n_neighbors = { low = 1, high = 80, type = "int" }', "n_neighbors = [1, 5]",
     "search.pruner", "a pruner needs a native study"),
])
def test_pruner_mistakes_are_one_line(cli, study_file, tmp_path, old, new, key, words):
    text = NATIVE.format(db=tmp_path / "s.db")
    assert old in text
    _one_line(cli("run", study_file(text.replace(old, new)), "--no-progress"), key, words)
