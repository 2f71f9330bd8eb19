"""Fixtures for the CLI tests: run ``main`` in-process, write study files, find data."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tunesmith.cli import main

REPO = Path(__file__).resolve().parents[2]
TITANIC = REPO.parent / "shared" / "data" / "titanic"

# A small, fast, valid study on a bundled dataset; tests edit it to break one thing.
IRIS_GRID = """\
[data]
dataset = "iris"

[estimator]
class = "sklearn.neighbors.KNeighborsClassifier"
params = { leaf_size = 20 }

[space]
n_neighbors = [1, 5, 15]
weights = ["uniform", "distance"]

[search]
strategy = "grid"
cv = 3
scoring = "accuracy"
"""


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
        ) -> Callable[..., Result]:
    """``cli("run", "x.toml")``: exit status, stdout and stderr of one command."""
    monkeypatch.delenv("TUNESMITH_STORAGE", raising=False)

    def run(*args: str) -> Result:
        capsys.readouterr()  # start clean
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


@pytest.fixture
def study_file(tmp_path: Path) -> Callable[..., Path]:
    """Write a study file (dedented) into the test's directory and return its path."""

    def write(text: str, name: str = "study.toml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return write


@pytest.fixture(scope="session")
def iris_grid() -> str:
    """The text of a valid 6-candidate study file (KNN on iris, 3-fold)."""
    return IRIS_GRID


@pytest.fixture(scope="session")
def examples() -> Path:
    return REPO / "examples"


@pytest.fixture
def titanic() -> Path:
    """The lesson's data beside the checkout; the test is skipped, saying why, without it."""
    if not (TITANIC / "clean_train.csv").is_file():
        pytest.skip(f"the lesson's Titanic data is not at {TITANIC} (../shared beside the "
                    "checkout)")
    return TITANIC
