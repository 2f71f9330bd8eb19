"""A newcomer's first hour with the command, each stumble of issue 14 as a test.

``show`` of a study file without ``[space]``, lists of strings in the space line, trials
of a killed run, ``run --n-trials / --timeout / --save-model``, ``--version`` without the
heavy imports, the progress line counting fits as the bar does, and a study that a
failed run left empty.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tunesmith.cli._config import parse_settings
from tunesmith.records import Direction, TrialState
from tunesmith.storage import open_storage
from tunesmith.study._owners import owner_name

RANDOM_RANGE = """\
    [data]
    dataset = "iris"

    [estimator]
    class = "sklearn.neighbors.KNeighborsClassifier"

    [space]
    n_neighbors = {{ low = 1, high = 30, type = "int" }}

    [search]
    strategy = "random"
    n_trials = {n_trials}
    cv = 3
    seed = 0
"""


def _stored_study(db: Path, study_text: str, name: str = "s") -> None:
    """A study as ``tunesmith run`` stores it, with two trials, written directly."""
    settings = parse_settings(study_text, name=name)
    with open_storage(f"sqlite:///{db}") as storage:
        sid = storage.create_study(name, direction=Direction.MAXIMIZE, attrs={
            "cli_settings": settings.model_dump(mode="json", by_alias=True),
            "cli_planned": 2})
        for value, params in ((0.9, {"weights": "uniform"}), (0.8, {"weights": "distance"})):
            trial = storage.create_trial(sid, owner="me", params=params)
            storage.finish_trial(trial.trial_id, TrialState.COMPLETE, value=value)


def test_show_a_study_file_without_space(cli, tmp_path, iris_grid) -> None:
    text = iris_grid.split("[space]")[0] + '[search]\nstrategy = "random"\nn_trials = 2\n'
    _stored_study(tmp_path / "s.db", text)
    path = tmp_path / "s.toml"
    path.write_text(text)
    result = cli("show", path)
    assert result.code == 0, result.err
    assert "the estimator's ready-made space" in result.out


def test_show_keeps_lists_of_strings(cli, tmp_path, iris_grid) -> None:
    _stored_study(tmp_path / "s.db", iris_grid)
    result = cli("show", "s", "--storage", tmp_path / "s.db")
    assert result.code == 0, result.err
    assert "n_neighbors [1, 5, 15]; weights [uniform, distance]" in result.out


def test_trials_of_a_killed_run_are_interrupted(cli, tmp_path) -> None:
    db = tmp_path / "runs.db"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    with open_storage(f"sqlite:///{db}") as storage:
        sid = storage.create_study("s", direction=Direction.MAXIMIZE)
        # Owners named as workers name themselves (host, PID, token, boot and namespace):
        storage.create_trial(sid, owner=owner_name(dead.pid), params={"x": 1})  # gone
        storage.create_trial(sid, owner=owner_name(os.getpid()), params={"x": 2})  # alive
        storage.create_trial(sid, owner="released", params={"x": 3})  # Ctrl-C
    result = cli("show", "s", "--storage", db)
    assert result.code == 0, result.err
    assert "1 running, 2 interrupted; the next run repeats the interrupted ones" in result.out
    table = cli("trials", "s", "--storage", db)
    states = [line.split("│")[2].strip() for line in table.out.splitlines()
              if line.startswith("│")]
    assert states == ["interrupted", "running", "interrupted"]


def test_a_stale_heartbeat_on_another_host_is_interrupted() -> None:
    from tunesmith.cli._output import display_state
    from tunesmith.records import FrozenTrial

    now = datetime.now(timezone.utc)
    old = FrozenTrial(0, TrialState.RUNNING, owner="far:1:x",
                      heartbeat_at=now - timedelta(minutes=10))
    fresh = FrozenTrial(1, TrialState.RUNNING, owner="far:1:x",
                        heartbeat_at=now - timedelta(seconds=5))
    assert display_state(old) == "interrupted"
    assert display_state(fresh) == "running"


def test_run_help_links_the_study_file_reference(cli) -> None:
    result = cli("run", "--help")
    assert result.code == 0
    assert "docs/study-file.md" in " ".join(result.out.split())


@pytest.mark.slow  # a fresh interpreter importing tunesmith: seconds
def test_version_does_not_import_the_heavy_modules() -> None:
    # `import tunesmith` is the package's own cost; the command must add nothing heavy.
    code = (
        "import sys, tunesmith; before = set(sys.modules)\n"
        "from tunesmith.cli import main; assert main(['--version']) == 0\n"
        "heavy = {'pydantic', 'pandas', 'sklearn', 'sqlalchemy', 'rich', 'scipy'}\n"
        "print(sorted(m for m in set(sys.modules) - before if m.split('.')[0] in heavy))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip().endswith("[]"), done.stdout


def test_the_start_line_counts_fits_as_the_bar_does(cli, study_file, iris_grid) -> None:
    result = cli("run", study_file(iris_grid), "--no-progress")
    assert result.code == 0, result.err
    assert "grid search, 6 trials x 3 folds = 18 fits" in result.err


def test_n_trials_on_the_command_line(cli, study_file) -> None:
    path = study_file(RANDOM_RANGE.format(n_trials=2))
    result = cli("run", path, "--quiet", "--n-trials", "3")
    assert result.code == 0, result.err
    with open_storage(f"sqlite:///{path.with_suffix('.db')}") as storage:
        assert len(storage.trials(storage.study_id("study"))) == 3


@pytest.mark.slow
def test_timeout_stops_and_the_same_command_continues(cli, study_file) -> None:
    # A continuous range (log C): the space never runs out before the time limit does.
    path = study_file(RANDOM_RANGE.format(n_trials=100_000).replace(
        '[estimator]\n    class = "sklearn.neighbors.KNeighborsClassifier"',
        '[estimator]\n    class = "sklearn.linear_model.LogisticRegression"').replace(
        'n_neighbors = { low = 1, high = 30, type = "int" }',
        'C = { low = 0.01, high = 100.0, log = true }'))
    first = cli("run", path, "--no-progress", "--timeout", "1.5")
    assert first.code == 0, first.err
    assert "stopped at the time limit (--timeout 1.5 s)" in first.err
    assert "the same command continues the study" in first.err
    with open_storage(f"sqlite:///{path.with_suffix('.db')}") as storage:
        done = len(storage.trials(storage.study_id("study")))
    assert 0 < done < 100_000
    again = cli("run", path, "--no-progress", "--timeout", "1.5")
    assert again.code == 0, again.err
    with open_storage(f"sqlite:///{path.with_suffix('.db')}") as storage:
        assert len(storage.trials(storage.study_id("study"))) > done


def test_save_model_with_joblib_warns_that_loading_runs_code(cli, study_file, iris_grid,
                                                             tmp_path, monkeypatch) -> None:
    import importlib.util

    import joblib
    from sklearn.datasets import load_iris

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "skops" else real(name, *a))
    model = tmp_path / "model.joblib"
    result = cli("run", study_file(iris_grid), "--quiet", "--save-model", model)
    assert result.code == 0, result.err
    assert "loading it (joblib.load) runs code" in result.err
    X, y = load_iris(return_X_y=True, as_frame=True)
    assert (joblib.load(model).predict(X) == y).mean() > 0.9


def test_save_model_into_a_missing_folder_is_one_line(cli, study_file, iris_grid,
                                                      tmp_path) -> None:
    result = cli("run", study_file(iris_grid), "--quiet", "--save-model",
                 tmp_path / "absent" / "m.joblib")
    assert result.code == 2
    assert len(result.err.strip().splitlines()) == 1
    assert "--save-model: the folder" in result.err


def test_a_study_left_empty_by_a_failed_run_takes_the_corrected_file(cli, study_file,
                                                                     iris_grid) -> None:
    path = study_file(iris_grid)
    with open_storage(f"sqlite:///{path.with_suffix('.db')}") as storage:
        storage.create_study("study", direction=Direction.MAXIMIZE,
                             attrs={"cli_fingerprint": {"search": {"cv": 10}}})
    result = cli("run", path, "--quiet")
    assert result.code == 0, result.err
    with open_storage(f"sqlite:///{path.with_suffix('.db')}") as storage:
        assert len(storage.trials(storage.study_id("study"))) == 6


def _toml_blocks(path: Path) -> list[str]:
    import re

    return re.findall(r"```toml\n(.*?)```", path.read_text(), flags=re.S)


def test_the_study_file_reference_shows_valid_toml() -> None:
    import tomllib

    repo = Path(__file__).resolve().parents[2]
    blocks = _toml_blocks(repo / "docs" / "study-file.md")
    assert blocks
    for block in blocks:
        tomllib.loads(block)  # the reference block lists every key: TOML, not one study
    short = _toml_blocks(repo / "examples" / "README.md")
    assert len(short) == 1
    settings = parse_settings(short[0], name="short")
    assert settings.space is not None and settings.search.cv == 5


def test_ctrl_c_while_starting_up_is_one_line(cli, monkeypatch) -> None:
    import tunesmith.cli as command

    def interrupted() -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(command, "_parser", interrupted)
    result = cli("run", "x.toml")
    assert result.code == 130
    assert result.err.strip() == "interrupted"
