"""A k-NN classifier that logs its fits and can hang on one parameter value, for the
test of one drop-in search shared by two processes (``test_across_hosts.py``).

``TUNESMITH_TEST_FOLDER``: every fit appends ``n_neighbors pid rows`` to FOLDER/log;
``TUNESMITH_TEST_HANG``: a fit with that ``n_neighbors`` creates FOLDER/hanging and
waits until FOLDER/release exists (a long evaluation on "another host").
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from sklearn.neighbors import KNeighborsClassifier

GRID = {"n_neighbors": [1, 3, 5, 7, 9]}
STUDY = "shared-knn"


class LoggedKNN(KNeighborsClassifier):
    def fit(self, X, y):  # type: ignore[no-untyped-def]
        folder = Path(os.environ["TUNESMITH_TEST_FOLDER"])
        with open(folder / "log", "a") as log:
            log.write(f"{self.n_neighbors} {os.getpid()} {len(X)}\n")
        if str(self.n_neighbors) == os.environ.get("TUNESMITH_TEST_HANG"):
            (folder / "hanging").touch()
            while not (folder / "release").exists():
                time.sleep(0.05)
        return super().fit(X, y)


def fit_shared(url: str) -> list[float]:
    from sklearn.datasets import load_iris

    from tunesmith.sklearn import GridSearchCV

    X, y = load_iris(return_X_y=True)
    search = GridSearchCV(LoggedKNN(), GRID, cv=3, storage=url, study_name=STUDY,
                          show_progress=False)
    search.fit(X, y)
    return [float(v) for v in search.cv_results_["mean_test_score"]]
