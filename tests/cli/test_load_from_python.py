"""A study made by ``tunesmith run`` opens from Python with its own direction and best."""

from __future__ import annotations

import pytest

import tunesmith

TPE_STUDY = """\
[data]
dataset = "iris"

[estimator]
class = "sklearn.neighbors.KNeighborsClassifier"

[space]
n_neighbors = { low = 1, high = 60, type = "int" }

[search]
strategy = "tpe"
n_trials = 12
cv = 3
scoring = "accuracy"
seed = 0
"""


@pytest.mark.slow  # a full CLI search
def test_a_cli_study_loaded_from_python_reports_its_best(cli, study_file, tmp_path) -> None:
    path = study_file(TPE_STUDY)
    url = f"sqlite:///{tmp_path / 'runs.db'}"
    assert cli("run", path, "--storage", url).code == 0
    (summary,) = tunesmith.storage.open_storage(url).list_studies()
    # Accuracy is maximised: the best is the largest value, whichever way it is opened.
    for study in (tunesmith.load_study(summary.name, url),
                  tunesmith.Study(name=summary.name, storage=url, load_if_exists=True)):
        values = [t.value for t in study.trials if t.is_complete]
        assert len(values) == 12 and study.direction is tunesmith.Direction.MAXIMIZE
        assert study.best_value == max(values) > min(values)
        study.close()
