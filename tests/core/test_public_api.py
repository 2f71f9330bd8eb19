"""Every public name resolves, and the layers stay one-way."""

from __future__ import annotations

import importlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGES = [
    "tunesmith",
    "tunesmith.space",
    "tunesmith.samplers",
    "tunesmith.pruners",
    "tunesmith.storage",
    "tunesmith.exceptions",
    "tunesmith.records",
    "tunesmith.spaces",
    "tunesmith.sklearn",
    "tunesmith.executors",
    "tunesmith.cli",
    "tunesmith.dashboard",
    "tunesmith.stats",
    "tunesmith.report",
]


@pytest.mark.parametrize("package", PACKAGES)
def test_every_name_in_all_resolves(package: str) -> None:
    if package == "tunesmith.dashboard":
        pytest.importorskip("starlette", reason="tunesmith.dashboard needs the dashboard extra")
    module = importlib.import_module(package)
    assert module.__all__, f"{package} has an empty __all__"
    for name in module.__all__:
        assert hasattr(module, name), f"{package}.__all__ names {name!r}, which is missing"


def test_exceptions_also_inherit_the_builtin_callers_catch() -> None:
    from tunesmith import InvalidSpaceError, StudyMismatchError, StudyNotFoundError

    assert issubclass(InvalidSpaceError, ValueError)
    assert issubclass(StudyMismatchError, ValueError)
    assert issubclass(StudyNotFoundError, KeyError)
    assert str(StudyNotFoundError("no study named 'x'")) == "no study named 'x'"


def test_importing_tunesmith_leaves_root_logging_alone() -> None:
    code = "import logging, tunesmith; print(len(logging.getLogger().handlers))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "0"


def test_layers_are_one_way() -> None:
    """import-linter's layers contract in pyproject.toml: lower never imports higher."""
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which(
        "lint-imports"
    )
    assert lint, "import-linter is a test dependency: pip install -e '.[test]'"
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([lint], cwd=root, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
