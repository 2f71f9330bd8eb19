"""``tunesmith run`` prints the verdict: the tuned model against the default one."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_iris
from sklearn.model_selection import cross_val_score, train_test_split
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from tunesmith.cli import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
README = EXAMPLES.parent / "README.md"


def readme_verdict(example: str) -> list[str]:
    """The verdict lines the README shows under ``$ tunesmith run examples/EXAMPLE.toml``."""
    after = README.read_text(encoding="utf-8").split(
        f"$ tunesmith run examples/{example}.toml\n", 1)[1]
    lines = after.split("Verdict\n", 1)[1].splitlines()
    shown = []
    for line in lines:
        if not line.startswith("  "):
            break
        shown.append(line.strip())
    return shown

IRIS = """\
[data]
dataset = "iris"
test_size = 0.3
split_seed = 1

[estimator]
class = "sklearn.neighbors.KNeighborsClassifier"

[space]
n_neighbors = [1, 5, 25]
weights = ["uniform", "distance"]

[search]
strategy = "grid"
cv = 3
scoring = "accuracy"
"""


def _run(capsys, *args) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_grid_with_the_default_inside(capsys, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("TUNESMITH_STORAGE", raising=False)
    study = tmp_path / "iris.toml"
    study.write_text(textwrap.dedent(IRIS), encoding="utf-8")
    code, out, err = _run(capsys, "run", study, "--format", "json", "--no-progress")
    assert code == 0, err
    summary = json.loads(out)
    v = summary["verdict"]
    # KNeighborsClassifier() is n_neighbors=5, weights="uniform": a candidate already,
    # whose fold scores are the default's (bundled datasets are split stratified).
    assert v["default_params"] == {"n_neighbors": 5, "weights": "uniform"}
    X, y = load_iris(return_X_y=True)
    Xtr, _, ytr, _ = train_test_split(X, y, test_size=0.3, stratify=y, random_state=1)
    scores = cross_val_score(KNeighborsClassifier(), Xtr, ytr, cv=3)
    assert v["default_value"] == pytest.approx(scores.mean())
    assert v["versus_default"]["n_folds"] == 3
    assert v["lines"][0].startswith(f"better than default (mean {scores.mean():.5f}): ")
    assert v["held_out"]["n_rows"] == 45
    assert v["held_out"]["tuned"]["estimate"] == summary["test_score"]

    code, out, _ = _run(capsys, "run", study, "--no-progress")
    assert code == 0
    assert "Verdict" in out and "better than default (" in out
    assert "held-out accuracy on 45 rows (95% bootstrap): tuned" in out


@pytest.mark.slow
def test_quickstart_says_tuning_did_not_beat_the_default(capsys, tmp_path: Path,
                                                         monkeypatch) -> None:
    monkeypatch.delenv("TUNESMITH_STORAGE", raising=False)
    code, out, err = _run(capsys, "run", EXAMPLES / "quickstart.toml", "--storage",
                          tmp_path / "q.db", "--format", "json", "--no-progress")
    assert code == 0, err
    v = json.loads(out)["verdict"]
    # Independently: the default SVC, scaled, on the same split and 5 stratified folds.
    X, y = load_breast_cancer(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)
    default = make_pipeline(StandardScaler(), SVC())
    assert v["default_value"] == pytest.approx(cross_val_score(default, Xtr, ytr, cv=5).mean())
    assert v["held_out"]["default"]["estimate"] == pytest.approx(
        default.fit(Xtr, ytr).score(Xte, yte))
    assert v["held_out"]["default"]["estimate"] > v["held_out"]["tuned"]["estimate"]
    assert v["beats_default"] is False
    assert v["lines"][0].startswith("better than default (mean 0.98594): no (not significant)")
    assert v["held_out"]["difference"]["low"] < 0 < v["held_out"]["difference"]["high"]
    assert np.isfinite(v["versus_default"]["p_value"])
    # The README shows this run's verdict: it must still be what the command prints.
    assert v["lines"] == readme_verdict("quickstart")


def test_knn_default_is_what_the_cli_calls_default() -> None:
    # The grid above names n_neighbors=5 / uniform because those are scikit-learn's.
    params = KNeighborsClassifier().get_params()
    assert (params["n_neighbors"], params["weights"]) == (5, "uniform")
