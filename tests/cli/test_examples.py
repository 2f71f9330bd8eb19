"""The examples run as documented, and the lesson's figures come out of the study files.

The Titanic figures are scikit-learn 1.9.1's on the lesson's files, as the data's
README lists them: a study file reproduces the notebook exactly.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _run_json(cli, example: str, tmp_path: Path, *extra: str) -> dict:
    db = tmp_path / f"{Path(example).stem}.db"
    result = cli("run", EXAMPLES / example, "--storage", db, "--n-jobs", "1",
                 "--format", "json", *extra)
    assert result.code == 0, result.err
    assert "Traceback" not in result.err
    return json.loads(result.out)


def test_every_example_file_is_valid() -> None:
    from tunesmith.cli._config import load_settings

    names = {p.name for p in EXAMPLES.glob("*.toml")}
    assert names >= {"quickstart.toml", "titanic_grid.toml", "titanic_random.toml",
                     "titanic_raw.toml"}
    for path in EXAMPLES.glob("*.toml"):
        settings = load_settings(path)
        assert settings.name == path.stem


@pytest.mark.slow
def test_quickstart_runs_resumes_and_summarises(cli, tmp_path: Path) -> None:
    summary = _run_json(cli, "quickstart.toml", tmp_path)
    assert summary["strategy"] == "tpe"
    assert summary["n_trials"] == 40 and summary["states"] == {"complete": 40}
    assert summary["best_value"] > 0.96
    assert summary["test_score"] > 0.93 and summary["n_test"] == 143
    assert set(summary["best_params"]) == {"model__C", "model__gamma"}

    # The same command again: the study is complete, nothing is fitted but the refit.
    again = _run_json(cli, "quickstart.toml", tmp_path)
    assert again["resumed_from"] == 40 and again["n_trials"] == 40
    assert again["best"] == summary["best"] and again["test_score"] == summary["test_score"]

    result = cli("run", EXAMPLES / "quickstart.toml", "--storage", tmp_path / "quickstart.db")
    assert result.code == 0
    for text in ("best cv accuracy", "best params", "held-out accuracy", "Top 5",
                 "tunesmith show"):
        assert text in result.out
    assert "resuming study 'quickstart': 40 of 40 trials already done" in result.err

    quiet = cli("run", EXAMPLES / "quickstart.toml", "--storage", tmp_path / "quickstart.db",
                "--quiet")
    assert quiet.err == ""
    assert quiet.out.startswith("best cv accuracy 0.9") and len(quiet.out.splitlines()) == 1


@pytest.mark.slow
def test_titanic_grid_reproduces_the_lesson(cli, titanic: Path, tmp_path: Path) -> None:
    summary = _run_json(cli, "titanic_grid.toml", tmp_path)
    assert summary["n_trials"] == 140
    assert summary["states"].get("complete") == 84  # the other 56 are invalid combinations
    assert summary["best_params"] == {"C": 1, "penalty": "l1", "solver": "liblinear"}
    assert round(summary["best_value"], 5) == 0.85866
    assert round(summary["test_score"], 4) == 0.8511 and summary["n_test"] == 262


@pytest.mark.slow
def test_titanic_random_reproduces_the_lesson(cli, titanic: Path, tmp_path: Path) -> None:
    summary = _run_json(cli, "titanic_random.toml", tmp_path)
    assert summary["n_trials"] == 100
    assert summary["states"].get("complete") == 57  # 43 draws are invalid combinations
    best = summary["best_params"]
    assert (best["solver"], best["penalty"]) == ("lbfgs", "l2")
    assert math.isclose(best["C"], 29.763514416313132, rel_tol=1e-12)
    assert round(summary["best_value"], 5) == 0.85771
    assert round(summary["test_score"], 4) == 0.8511


@pytest.mark.slow
def test_titanic_raw_tunes_the_preprocessing(cli, titanic: Path, tmp_path: Path) -> None:
    summary = _run_json(cli, "titanic_raw.toml", tmp_path)
    assert summary["n_trials"] == 12 and summary["states"] == {"complete": 12}
    assert set(summary["best_params"]) == {"model__C", "preprocess__numeric__impute__strategy"}
    assert 0.75 < summary["best_value"] < 0.9
    assert summary["n_test"] == 179 and 0.7 < summary["test_score"] < 0.95


def test_titanic_examples_explain_missing_data(cli, tmp_path: Path) -> None:
    # A copy two folders down: its relative data paths lead where no data is.
    place = tmp_path / "a" / "b"
    place.mkdir(parents=True)
    copy = place / "titanic_grid.toml"
    copy.write_text((EXAMPLES / "titanic_grid.toml").read_text())
    result = cli("run", copy, "--storage", tmp_path / "t.db")
    assert result.code == 2 and "data.train: no such file" in result.err
    assert result.err.strip().count("\n") == 0
    assert not (tmp_path / "t.db").exists()
