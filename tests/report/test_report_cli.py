"""``tunesmith report``: text, --html, --png, and one-line errors."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tunesmith.cli import main

STUDY = """\
[data]
dataset = "iris"

[estimator]
class = "sklearn.neighbors.KNeighborsClassifier"

[space]
n_neighbors = [1, 5, 15, 30]
weights = ["uniform", "distance"]

[search]
strategy = "grid"
cv = 3
scoring = "accuracy"
"""


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished 8-candidate grid (KNN on iris) in a SQLite file beside its study file."""
    folder = tmp_path_factory.mktemp("report")
    path = folder / "knn.toml"
    path.write_text(STUDY, encoding="utf-8")
    assert main(["run", str(path), "-q", "--no-progress"]) == 0
    return path


def run(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_report_prints_the_text(stored, capsys, monkeypatch) -> None:
    monkeypatch.delenv("TUNESMITH_STORAGE", raising=False)
    code, out, err = run(capsys, "report", stored)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "knn: maximize, 8 trials (8 complete)"
    assert lines[1].startswith("best: trial ")
    # The verdict is the one `tunesmith run` stored (best against the default model).
    from tunesmith.cli._resume import RESULT_ATTR
    from tunesmith.storage import open_storage

    storage = open_storage(f"sqlite:///{stored.with_suffix('.db')}")
    try:
        verdict = storage.study_attrs(storage.study_id("knn"))[RESULT_ATTR]["verdict"]
    finally:
        storage.close()
    assert verdict and verdict[0].startswith("better than default")
    assert lines[2 + 2:2 + 2 + len(verdict)] == verdict  # after the best and its 2 params
    assert lines[-1].startswith("importance: ")
    # The same report by name and storage.
    url = f"sqlite:///{stored.with_suffix('.db')}"
    code, by_name, _ = run(capsys, "report", "knn", "--storage", url)
    assert code == 0 and by_name == out


@pytest.mark.slow  # renders every plot
def test_report_writes_html_and_pngs(stored, capsys, tmp_path, monkeypatch) -> None:
    pytest.importorskip("plotly")
    pytest.importorskip("matplotlib")
    monkeypatch.delenv("TUNESMITH_STORAGE", raising=False)
    html, png = tmp_path / "knn.html", tmp_path / "png"
    code, _, err = run(capsys, "report", stored, "--html", html, "--png", png, "--top", "3")
    assert code == 0, err
    text = html.read_text(encoding="utf-8")
    assert "<title>knn</title>" in text and 'data-plot="fold_spread"' in text
    assert "Top 3 candidates" in text
    # The default model's fold scores, as `tunesmith run` stored them, beside the top 3.
    assert '"name":"default"' in text
    assert f"wrote {html}" in err
    assert sorted(p.name for p in png.iterdir()) == sorted(
        ["history.png", "importance.png", "parallel.png", "slices.png", "contour.png",
         "fold_spread.png"])


@pytest.mark.parametrize(("args", "message"), [
    (["--html", "{tmp}/missing/r.html"], "error: --html: the folder {tmp}/missing does not exist"),
    (["--html", "{tmp}"], "error: --html: {tmp} is a folder; name a file such as"),
    (["--png", "{file}"], "is a file; --png needs a folder"),
    (["--top", "0"], "error: argument --top: must be at least 1, got 0"),
])
def test_bad_outputs_are_one_line(stored, capsys, tmp_path, monkeypatch, args, message) -> None:
    monkeypatch.delenv("TUNESMITH_STORAGE", raising=False)
    afile = tmp_path / "afile"
    afile.write_text("x")
    args = [a.format(tmp=tmp_path, file=afile) for a in args]
    code, _, err = run(capsys, "report", stored, *args)
    assert code == 2
    assert message.format(tmp=tmp_path) in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_an_unknown_study_is_named(stored, capsys) -> None:
    url = f"sqlite:///{stored.with_suffix('.db')}"
    code, _, err = run(capsys, "report", "nope", "--storage", url)
    assert code == 2
    assert "no study named 'nope'" in err and "studies there: knn" in err


def test_without_plotly_html_names_the_extra_and_text_still_prints(
        stored, capsys, tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("TUNESMITH_STORAGE", raising=False)
    for module in ("plotly", "plotly.graph_objects", "plotly.offline"):
        monkeypatch.setitem(sys.modules, module, None)
    code, _, err = run(capsys, "report", stored, "--html", tmp_path / "r.html")
    assert code == 2
    assert err.strip() == ('error: --html: the HTML report needs plotly: '
                           'pip install "tunesmith[plots]"')
    code, out, _ = run(capsys, "report", stored)
    assert code == 0 and out.startswith("knn: maximize")


def test_simplest_joins_the_stored_verdict(stored, capsys, monkeypatch) -> None:
    monkeypatch.delenv("TUNESMITH_STORAGE", raising=False)
    _, plain, _ = run(capsys, "report", stored)
    code, out, err = run(capsys, "report", stored, "--simplest", "n_neighbors=max",
                         "--simplest", "weights=uniform,distance")
    assert code == 0, err
    lines = out.splitlines()
    [at] = [k for k, line in enumerate(lines) if line.startswith("simplest of the tied")]
    assert lines[at].startswith(
        "simplest of the tied (n_neighbors: max, weights: ['uniform', 'distance']): ")
    assert lines[:at] + lines[at + 1:] == plain.splitlines()  # the rest as stored
    assert lines[at + 1].startswith("held-out accuracy on ")
    # The pick is the drop-in's: the same grid, folds and rule through GridSearchCV.
    from sklearn.datasets import load_iris
    from sklearn.model_selection import train_test_split
    from sklearn.neighbors import KNeighborsClassifier

    from tunesmith.sklearn import GridSearchCV

    X, y = load_iris(return_X_y=True)
    X, _, y, _ = train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)
    search = GridSearchCV(KNeighborsClassifier(), {"n_neighbors": [1, 5, 15, 30],
                                                   "weights": ["uniform", "distance"]},
                          cv=3).fit(X, y)
    v = search.verdict(X, y, simplest={"n_neighbors": "max",
                                       "weights": ["uniform", "distance"]})
    [expected] = [x for x in v.lines() if x.startswith("simplest of the tied")]
    import re

    def pick(line: str) -> str:  # trial numbers differ (the drop-in numbers by candidate)
        found = re.search(r"n_neighbors=\d+ weights=\w+, mean [\d.]+|the best itself", line)
        assert found, line
        return found.group(0)

    assert pick(lines[at]) == pick(expected)


@pytest.mark.parametrize(("value", "message"), [
    ("n_neighbors", "error: --simplest: expected PARAM=RULE (C=min, C=max or penalty=l2,l1), "
                    "got 'n_neighbors'"),
    ("alpha=min", "error: --simplest: simplest names 'alpha', which no candidate has; the "
                  "parameters are: n_neighbors, weights"),
])
def test_a_bad_simplest_is_one_line(stored, capsys, monkeypatch, value, message) -> None:
    monkeypatch.delenv("TUNESMITH_STORAGE", raising=False)
    code, _, err = run(capsys, "report", stored, "--simplest", value)
    assert code == 2 and err.strip() == message
