"""The progress bar: fits done of the total, elapsed, ETA and the best score so far,
shown when asked (or on a terminal) and never in captured output by default."""

from __future__ import annotations

import re

from sklearn.datasets import load_iris
from sklearn.svm import SVC

from tunesmith.sklearn import GridSearchCV

GRID = {"C": [0.1, 1, 10], "kernel": ["linear", "rbf"]}


def test_the_bar_counts_fits_and_shows_the_best_score(capsys) -> None:
    X, y = load_iris(return_X_y=True)
    search = GridSearchCV(SVC(), GRID, cv=4, show_progress=True).fit(X, y)
    err = capsys.readouterr().err
    assert "GridSearchCV" in err
    assert re.search(r"\b24/24\b", err), err  # 6 candidates x 4 folds
    assert "ETA" in err and re.search(r"\d:\d\d:\d\d", err)  # elapsed / remaining
    assert f"best {search.best_score_:.5g}" in err


def test_no_bar_when_output_is_not_a_terminal(capsys) -> None:
    X, y = load_iris(return_X_y=True)
    GridSearchCV(SVC(), GRID, cv=4).fit(X, y)  # show_progress=None: stderr is captured
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""
