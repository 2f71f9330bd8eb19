"""The public face of tunesmith.space: names, doctests, and the bottom-layer rule."""

from __future__ import annotations

import ast
import doctest
import importlib
import pkgutil
from pathlib import Path

import pytest

import tunesmith.space

SPEC_NAMES = [
    "Dimension", "Float", "Int", "Categorical", "Distribution", "Space", "SpaceUnion",
    "Condition", "Forbidden", "Grid", "to_space", "encode_value", "decode_value",
]
MODULES = [
    *sorted(f"tunesmith.space.{m.name}" for m in pkgutil.iter_modules(tunesmith.space.__path__)),
    "tunesmith.space",
]


def test_every_promised_name_is_public() -> None:
    for name in SPEC_NAMES:
        assert name in tunesmith.space.__all__
    for name in tunesmith.space.__all__:
        obj = getattr(tunesmith.space, name)
        assert obj.__doc__ and ">>>" in obj.__doc__, f"{name} needs a doctest example"


@pytest.mark.parametrize("module_name", MODULES)
def test_doctests(module_name: str) -> None:
    module = importlib.import_module(module_name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_space_imports_only_the_exceptions_from_tunesmith() -> None:
    package_dir = Path(tunesmith.space.__file__).parent
    for path in package_dir.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            for name in names:
                if name.startswith("tunesmith"):
                    assert name == "tunesmith.exceptions" or name.startswith(
                        "tunesmith.space"
                    ), f"{path.name} imports {name}"
