"""Every input mistake: exit status 2, one line on stderr naming the key, no traceback."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tunesmith.cli._config import ConfigError, parse_settings

CSV_STUDY = """\
    [data]
    train = "train.csv"
    target = "y"

    [estimator]
    class = "sklearn.linear_model.LogisticRegression"

    [space]
    C = [0.1, 1.0]

    [search]
    strategy = "grid"
    cv = 2
"""

TRAIN_CSV = "a,b,y\n" + "".join(f"{i % 7},{(i * 3) % 5},{i % 2}\n" for i in range(20))


class _Edited:
    """The valid study of the ``iris_grid`` fixture with edits, applied in the test."""

    def __init__(self, edits: tuple[tuple[str, str], ...] = ()) -> None:
        self.edits = edits

    def replace(self, old: str, new: str) -> _Edited:
        return _Edited((*self.edits, (old, new)))

    def build(self, text: str) -> str:
        for old, new in self.edits:
            text = _edit(text, old, new)
        return text


IRIS_GRID = _Edited()


def _edit(text: Any, old: str, new: str) -> Any:
    if isinstance(text, _Edited):
        return text.replace(old, new)
    assert old in text, old
    return text.replace(old, new, 1)


# (id, study text, message the single stderr line must contain: a regex)
STUDY_CASES = [
    ("unknown-section", _edit(IRIS_GRID, "[search]", "[serach]"),
     r"serach: unknown key \(did you mean 'search'\?\)"),
    ("unknown-key", _edit(IRIS_GRID, "cv = 3", "cv = 3\n    n_trails = 3"),
     r"search\.n_trails: unknown key \(did you mean 'n_trials'\?\)"),
    ("unknown-estimator-param", _edit(IRIS_GRID, "leaf_size = 20", "leaf_sise = 20"),
     r"estimator\.params\.leaf_sise: KNeighborsClassifier has no parameter 'leaf_sise' "
     r"\(did you mean 'leaf_size'\?\); valid: algorithm, leaf_size, metric, "),
    ("unknown-space-param", _edit(IRIS_GRID, "n_neighbors = [", "n_neighbours = ["),
     r"space\.n_neighbours: KNeighborsClassifier has no parameter 'n_neighbours' "
     r"\(did you mean 'n_neighbors'\?\)"),
    ("invalid-space-value", _edit(IRIS_GRID, '"distance"]', '"distanse"]'),
     r"space\.weights: The 'weights' parameter of KNeighborsClassifier must be a str among "
     r".* Got 'distanse' instead\.$"),
    ("float-range-for-int",
     _edit(IRIS_GRID, "cv = 3", "cv = 3\n    n_trials = 2")
     .replace('"grid"', '"random"')
     .replace("n_neighbors = [", "leaf_size = {low = 10, high = 100}\n    n_neighbors = ["),
     r"space\.leaf_size: .*must be an int .* \(add type = \"int\" to the range\)$"),
    ("invalid-fixed-value", _edit(IRIS_GRID, "leaf_size = 20", "leaf_size = -5"),
     r"estimator\.params\.leaf_size: The 'leaf_size' parameter of KNeighborsClassifier must "
     r"be an int in the range \[1, inf\)\. Got -5 instead\.$"),
    ("log-scale-low",
     _edit(IRIS_GRID, "n_neighbors = [1, 5, 15]",
           "n_neighbors = {low = -1, high = 10, log = true}"),
     r"space\.n_neighbors: log scale needs low > 0, got -1$"),
    ("low-above-high",
     _edit(IRIS_GRID, "n_neighbors = [1, 5, 15]", "n_neighbors = {low = 5, high = 1}"),
     r"space\.n_neighbors: low must be <= high, got low=5, high=1"),
    ("scalar-space", _edit(IRIS_GRID, "n_neighbors = [1, 5, 15]", "n_neighbors = 5"),
     r"space\.n_neighbors: expected a list of values"),
    ("bad-helper", _edit(IRIS_GRID, "n_neighbors = [1, 5, 15]", "n_neighbors = {range = []}"),
     r"space\.n_neighbors: range needs \[stop\], \[start, stop\] or \[start, stop, step\]"),
    ("grid-continuous",
     _edit(IRIS_GRID, "n_neighbors = [1, 5, 15]", "n_neighbors = {low = 1, high = 10}"),
     r"space\.n_neighbors: grid search needs a finite set of values"),
    ("bad-logspace", _edit(IRIS_GRID, "leaf_size = 20 }", "}").replace(
        "n_neighbors = [1, 5, 15]", "n_neighbors = [5]\n    leaf_size = {logspace = [1, 2]}"),
     r"space\.leaf_size: logspace needs \[start, stop, count\]"),
    ("strategy-typo", _edit(IRIS_GRID, '"grid"', '"grdi"'),
     r"search\.strategy: must be 'grid', 'random', 'sobol', 'tpe', 'gp' or 'auto', "
     r"got \"grdi\""),
    ("trials-missing", _edit(IRIS_GRID, '"grid"', '"random"'),
     r"search\.n_trials: missing required key for strategy = \"random\""),
    ("trials-with-grid", _edit(IRIS_GRID, "cv = 3", "cv = 3\n    n_trials = 5"),
     r"search\.n_trials: grid search runs every point of the space; remove n_trials"),
    ("cv-type", _edit(IRIS_GRID, "cv = 3", 'cv = "five"'),
     r"search\.cv: must be an integer, got \"five\""),
    ("cv-one", _edit(IRIS_GRID, "cv = 3", "cv = 1"),
     r"search\.cv: must be greater than or equal to 2, got 1"),
    ("unknown-scorer", _edit(IRIS_GRID, '"accuracy"', '"acuracy"'),
     r"search\.scoring: unknown scorer 'acuracy'; did you mean 'accuracy'"),
    ("module-not-allowed",
     _edit(IRIS_GRID, "sklearn.neighbors.KNeighborsClassifier", "os.system"),
     r"estimator\.class: 'os\.system' is not allowed: estimators are imported only from sklearn"),
    ("class-typo", _edit(IRIS_GRID, "KNeighborsClassifier", "KNeighborClassifier"),
     r"estimator\.class: sklearn\.neighbors has no 'KNeighborClassifier' "
     r"\(did you mean sklearn\.neighbors\.KNeighborsClassifier\?\)"),
    ("wrong-module", _edit(IRIS_GRID, "sklearn.neighbors.KNeighborsClassifier",
                           "sklearn.linear_models.LogisticRegression"),
     r"estimator\.class: no module 'sklearn\.linear_models' "
     r"\(did you mean sklearn\.linear_model\.LogisticRegression\?\)"),
    ("not-an-estimator", _edit(IRIS_GRID, "sklearn.neighbors.KNeighborsClassifier",
                               "sklearn.model_selection.KFold"),
     r"estimator\.class: 'sklearn\.model_selection\.KFold' is not an estimator"),
    ("toml-syntax", _edit(IRIS_GRID, "[search]", "[search"),
     r"not valid TOML: .*line \d+"),
    ("no-data-source", _edit(IRIS_GRID, 'dataset = "iris"', ""),
     r"data: give train = \"file.csv\" with target = \"column\", or dataset = \"wine\""),
    ("dataset-with-target",
     _edit(IRIS_GRID, 'dataset = "iris"', 'dataset = "iris"\n    target = "y"'),
     r"data\.target: not used with dataset = \"iris\""),
    ("unknown-dataset", _edit(IRIS_GRID, '"iris"', '"irises"'),
     r"data\.dataset: must be 'breast_cancer', 'diabetes', 'digits', 'iris' or 'wine', "
     r"got \"irises\""),
    ("n-jobs-zero", _edit(IRIS_GRID, "cv = 3", "cv = 3\n    n_jobs = 0"),
     r"search\.n_jobs: must not be 0"),
]

CSV_CASES = [
    ("missing-target-column", _edit(CSV_STUDY, 'target = "y"', 'target = "label"'),
     TRAIN_CSV, r"data\.target: no column 'label' in train\.csv \(columns: a, b, y\)"),
    ("missing-csv", _edit(CSV_STUDY, "train.csv", "nothere.csv"), TRAIN_CSV,
     r"data\.train: no such file: .*nothere\.csv"),
    ("csv-is-directory", _edit(CSV_STUDY, '"train.csv"', '"."'), TRAIN_CSV,
     r"data\.train: .* is a directory, not a CSV file"),
    ("unparsable-csv", CSV_STUDY, 'a,b,y\n1,2,0\n1,2,3,4,5\n"open',
     r"data\.train: cannot read train\.csv as CSV: "),
    ("empty-csv", CSV_STUDY, "", r"data\.train: cannot read train\.csv as CSV: No columns"),
    ("text-columns", CSV_STUDY, "a,b,y\n" + "x,1,0\ny,2,1\n" * 5,
     r"data: column a is not numeric: add a \[preprocess\] table .* or list them in data\.drop"),
    ("drop-unknown", _edit(CSV_STUDY, 'target = "y"', 'target = "y"\n    drop = ["zz"]'),
     TRAIN_CSV, r"data\.drop: no column 'zz' in train\.csv"),
    ("test-missing-columns",
     _edit(CSV_STUDY, 'target = "y"', 'target = "y"\n    test = "test.csv"'),
     TRAIN_CSV, r"data\.test: test\.csv lacks column 'b' of train\.csv"),
]


def _assert_one_line_error(result, pattern: str, study: Path) -> None:
    assert result.code == 2, (result.code, result.err)
    assert "Traceback" not in result.err
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith(f"error: {study}: "), lines[0]
    assert re.search(pattern, lines[0]), lines[0]


@pytest.mark.parametrize(("text", "pattern"), [c[1:] for c in STUDY_CASES],
                         ids=[c[0] for c in STUDY_CASES])
def test_bad_study_file(cli, study_file, iris_grid: str, text: Any, pattern: str) -> None:
    path = study_file(text.build(iris_grid) if isinstance(text, _Edited) else text)
    _assert_one_line_error(cli("run", path), pattern, path)
    assert not path.with_suffix(".db").exists()  # nothing touched before the input is valid


@pytest.mark.parametrize(("text", "csv_text", "pattern"), [c[1:] for c in CSV_CASES],
                         ids=[c[0] for c in CSV_CASES])
def test_bad_data(cli, study_file, tmp_path: Path, text: str, csv_text: str,
                  pattern: str) -> None:
    (tmp_path / "train.csv").write_text(csv_text)
    (tmp_path / "test.csv").write_text("a,y\n1,0\n")
    path = study_file(text)
    _assert_one_line_error(cli("run", path), pattern, path)


def test_missing_study_file(cli, tmp_path: Path) -> None:
    path = tmp_path / "absent.toml"
    result = cli("run", path)
    _assert_one_line_error(result, r"cannot read the study file: No such file or directory", path)


def test_usage_mistakes_are_one_line(cli) -> None:
    for args in (["run"], ["trials", "x", "--format", "xml"], ["frobnicate"]):
        result = cli(*args)
        assert result.code == 2
        assert len(result.err.strip().splitlines()) == 1, result.err
        assert result.err.startswith("error: ")


def test_inspect_without_storage_or_study(cli, tmp_path: Path) -> None:
    result = cli("show", "nothing")
    assert result.code == 2 and "which storage?" in result.err
    result = cli("show", "nothing", "--storage", tmp_path / "absent.db")
    assert result.code == 2 and "no database at" in result.err
    assert len(result.err.strip().splitlines()) == 1


def test_config_error_points_at_key_in_python_too(iris_grid: str) -> None:
    with pytest.raises(ConfigError, match=r"^space\.C: log scale needs low > 0, got -1$"):
        parse_settings(_edit(iris_grid, "n_neighbors = [1, 5, 15]",
                             "C = {low = -1, high = 10, log = true}"), name="x")


def test_settings_are_frozen_and_none_is_spelt_none(iris_grid: str) -> None:
    text = _edit(iris_grid, "leaf_size = 20", 'leaf_size = 20, metric_params = "None"')
    settings = parse_settings(_edit(text, '"distance"]', '"distance", "None"]'), name="x")
    with pytest.raises(Exception, match="frozen"):
        settings.search.cv = 10  # type: ignore[misc]
    with pytest.raises(TypeError):
        settings.space["weights"] = None  # type: ignore[index]
    assert settings.name == "x"
    assert settings.space["weights"].values == ("uniform", "distance", None)
    assert settings.estimator.params["metric_params"] is None


def test_a_search_where_no_trial_completes_fails_in_one_line(cli, study_file) -> None:
    # Not an input mistake (exit 1, not 2): every fit fails on this data, because no
    # fold of iris's 150 rows holds 200 neighbours.
    path = study_file("""\
        [data]
        dataset = "iris"

        [estimator]
        class = "sklearn.neighbors.KNeighborsClassifier"

        [space]
        n_neighbors = [200, 300]

        [search]
        strategy = "grid"
        cv = 3
    """)
    result = cli("run", path)
    assert result.code == 1
    assert "Traceback" not in result.err, result.err
    errors = [line for line in result.err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.err
    # The estimator's own words, from the scorer that failed on every fold.
    assert errors[0].startswith(
        "error: study 'study': none of its 2 trials completed; the first failure: scoring "
        "failed on 3 of 3 folds: ValueError: Expected n_neighbors <= n_samples_fit"
    ), errors[0]
