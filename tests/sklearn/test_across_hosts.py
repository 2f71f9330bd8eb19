"""One drop-in search shared by two processes ("hosts") through one storage: each fits
the candidates nobody holds, and the one that finishes its share first waits for the
other's instead of failing; both end with scikit-learn's results, every fold fitted once.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import KNeighborsClassifier

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import hosts_helper  # noqa: E402


@pytest.mark.slow
def test_a_host_waits_for_the_candidate_another_host_is_evaluating(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    env = {**os.environ, "TUNESMITH_TEST_FOLDER": str(tmp_path), "TUNESMITH_TEST_HANG": "7"}
    # Imported by name there too: the stored fingerprint names the estimator's module.
    code = (f"import json, sys; sys.path.insert(0, {str(HERE)!r}); import hosts_helper; "
            f"print(json.dumps(hosts_helper.fit_shared({url!r})))")
    other = subprocess.Popen([sys.executable, "-c", code], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not (tmp_path / "hanging").exists():  # the other host holds n_neighbors=7
            assert other.poll() is None, other.communicate()
            assert time.monotonic() < deadline, "the other process never reached k=7"
            time.sleep(0.05)
        # This host fits what is left, then must wait for k=7: let it go after a while.
        release = threading.Timer(2.0, (tmp_path / "release").touch)
        release.start()
        monkeypatch.setenv("TUNESMITH_TEST_FOLDER", str(tmp_path))
        monkeypatch.delenv("TUNESMITH_TEST_HANG", raising=False)
        ours = hosts_helper.fit_shared(url)
        out, err = other.communicate(timeout=120)
    finally:
        if other.poll() is None:
            other.kill()
    assert other.returncode == 0, err
    theirs = json.loads(out)

    X, y = load_iris(return_X_y=True)
    expected = GridSearchCV(KNeighborsClassifier(), hosts_helper.GRID, cv=3).fit(X, y)
    np.testing.assert_array_equal(ours, expected.cv_results_["mean_test_score"])
    np.testing.assert_array_equal(theirs, expected.cv_results_["mean_test_score"])

    # Fits on real rows (discovery's probe fits use a few made-up rows): 3 folds of each
    # candidate once across both processes (100 rows each), and each process's refit of
    # the best on all 150.
    lines = [line.split() for line in (tmp_path / "log").read_text().splitlines()]
    folds = Counter(k for k, _, rows in lines if rows == "100")
    assert folds == {str(k): 3 for k in hosts_helper.GRID["n_neighbors"]}
    assert not [k for k, pid, rows in lines if rows == "100" and k == "7"
                and pid == str(os.getpid())]  # k=7 was the other's: this one waited
    best = str(expected.best_params_["n_neighbors"])
    assert sorted(k for k, _, rows in lines if rows == "150") == [best, best]
