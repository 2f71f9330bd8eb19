"""studies / show / trials / best / delete on a small stored study."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from sklearn.datasets import load_iris
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.neighbors import KNeighborsClassifier

from tunesmith.cli import main


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory, iris_grid: str) -> tuple[Path, str]:
    """A finished 6-candidate iris grid; returns (study file, storage URL)."""
    folder = tmp_path_factory.mktemp("inspect")
    path = folder / "iris_grid.toml"
    path.write_text(iris_grid)
    assert main(["run", str(path), "--quiet"]) == 0
    return path, f"sqlite:///{folder / 'iris_grid.db'}"


def test_default_storage_is_beside_the_study_file(stored) -> None:
    path, _ = stored
    assert path.with_suffix(".db").is_file()


def test_studies(cli, stored) -> None:
    _, url = stored
    table = cli("studies", "--storage", url)
    assert table.code == 0 and "iris_grid" in table.out and "maximize" in table.out
    rows = json.loads(cli("studies", "--storage", url, "--format", "json").out)
    assert [(r["name"], r["n_trials"], r["n_complete"]) for r in rows] == [("iris_grid", 6, 6)]
    text = cli("studies", "--storage", url, "--format", "csv").out
    assert next(csv.DictReader(io.StringIO(text)))["name"] == "iris_grid"


def test_show(cli, stored) -> None:
    _, url = stored
    result = cli("show", "iris_grid", "--storage", url)
    assert result.code == 0
    for text in ("iris_grid", "sklearn.neighbors.KNeighborsClassifier", "grid, cv=3",
                 "6 of 6 trials finished (6 complete)", "best accuracy", "best params",
                 "held-out accuracy", "Top 6"):
        assert text in result.out, text
    data = json.loads(cli("show", "iris_grid", "--storage", url, "--format", "json").out)
    assert data["settings"]["search"]["strategy"] == "grid"
    assert data["states"] == {"complete": 6} and data["planned"] == 6
    assert len(data["top"]) == 6
    assert data["top"][0]["value"] == max(t["value"] for t in data["top"])
    assert data["result"]["n_test"] == 38


def test_show_accepts_the_study_file(cli, stored) -> None:
    path, _ = stored
    result = cli("show", path)
    assert result.code == 0 and "best params" in result.out


def test_storage_from_environment(cli, stored, monkeypatch: pytest.MonkeyPatch) -> None:
    _, url = stored
    monkeypatch.setenv("TUNESMITH_STORAGE", url)
    assert "iris_grid" in cli("studies").out


def test_trials_in_every_format(cli, stored) -> None:
    _, url = stored
    table = cli("trials", "iris_grid", "--storage", url)
    assert table.code == 0 and "complete" in table.out and "weights" in table.out
    trials = json.loads(cli("trials", "iris_grid", "--storage", url, "--format", "json").out)
    assert len(trials) == 6
    assert {(t["params"]["n_neighbors"], t["params"]["weights"]) for t in trials} == {
        (k, w) for k in (1, 5, 15) for w in ("uniform", "distance")}
    rows = list(csv.DictReader(io.StringIO(
        cli("trials", "iris_grid", "--storage", url, "--format", "csv").out)))
    assert len(rows) == 6 and {"number", "state", "value", "n_neighbors", "weights"} <= set(rows[0])
    assert {float(r["value"]) for r in rows} == {t["value"] for t in trials}
    only = json.loads(cli("trials", "iris_grid", "--storage", url, "--format", "json",
                          "--state", "failed").out)
    assert only == []


def test_best_equals_scikit_learn(cli, stored) -> None:
    _, url = stored
    best = json.loads(cli("best", "iris_grid", "--storage", url, "--format", "json").out)
    # The same search in scikit-learn: same split of the bundled data, same folds.
    X, y = load_iris(return_X_y=True, as_frame=True)
    X, X_test, y, y_test = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    search = GridSearchCV(KNeighborsClassifier(leaf_size=20),
                          {"n_neighbors": [1, 5, 15], "weights": ["uniform", "distance"]},
                          cv=3, scoring="accuracy").fit(X, y)
    assert best["params"] == search.best_params_
    assert best["value"] == search.best_score_
    assert best["test_score"] == search.score(X_test, y_test)
    table = cli("best", "iris_grid", "--storage", url)
    assert table.code == 0 and "weights" in table.out


def test_unknown_study_is_one_line(cli, stored) -> None:
    _, url = stored
    result = cli("show", "nope", "--storage", url)
    assert result.code == 2
    assert result.err.strip() == f"error: no study named 'nope' in {url}; studies there: iris_grid"


def test_delete(cli, stored, tmp_path: Path) -> None:
    _, url = stored
    copy = tmp_path / "copy.db"
    copy.write_bytes(Path(url.removeprefix("sqlite:///")).read_bytes())
    refused = cli("delete", "iris_grid", "--storage", copy)
    assert refused.code == 2 and "without --yes" in refused.err
    done = cli("delete", "iris_grid", "--storage", copy, "--yes")
    assert done.code == 0 and "deleted study 'iris_grid' (6 trials)" in done.err
    assert json.loads(cli("studies", "--storage", copy, "--format", "json").out) == []
    assert cli("show", "iris_grid", "--storage", copy).code == 2


def test_inspection_of_a_rollback_journal_file_leaves_it_as_it_was(cli, stored, tmp_path) -> None:
    """A tunesmith file another tool switched back to a rollback journal is read as is.

    Before, opening it read-only tried to switch it to WAL and failed with "attempt to
    write a readonly database".
    """
    import hashlib
    import sqlite3

    _, url = stored
    copy = tmp_path / "delete_mode.db"
    with sqlite3.connect(url.removeprefix("sqlite:///")) as source, \
            sqlite3.connect(copy) as target:
        source.backup(target)
        target.execute("PRAGMA journal_mode = DELETE")
    target.close()
    before = hashlib.sha256(copy.read_bytes()).hexdigest()
    result = cli("show", "iris_grid", "--storage", f"sqlite:///{copy}")
    assert result.code == 0 and "6 of 6 trials finished" in result.out
    assert hashlib.sha256(copy.read_bytes()).hexdigest() == before
    with sqlite3.connect(f"file:{copy}?mode=ro", uri=True) as check:
        assert check.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    check.close()
