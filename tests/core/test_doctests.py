"""Every example in a docstring runs and prints what it shows.

Docstring examples are documentation users copy; one that no longer runs misleads.
"""

from __future__ import annotations

import doctest
import importlib
import importlib.util
import pkgutil

import pytest

import tunesmith

# Subpackages that exist only with an extra installed (pip install "tunesmith[dashboard]").
_EXTRA_PACKAGES = {"dashboard": ("starlette", "uvicorn")}

MODULES = sorted(
    info.name
    for info in pkgutil.walk_packages(tunesmith.__path__, "tunesmith.")
    if not info.name.endswith("__main__")  # importing it runs the command
)


@pytest.mark.parametrize("module_name", MODULES)
def test_docstring_examples_run(module_name: str) -> None:
    needs = [m for m in _EXTRA_PACKAGES.get(module_name.split(".")[1], ())
             if importlib.util.find_spec(m) is None] if "." in module_name else []
    if needs:
        pytest.skip(f"{module_name} needs {', '.join(needs)} (an optional extra)")
    module = importlib.import_module(module_name)
    # A module whose examples need an optional extra (plotly, matplotlib) names it.
    missing = [m for m in getattr(module, "__doctest_requires__", ())
               if importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip(f"{module_name}'s examples need {', '.join(missing)} (an optional extra)")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS, report=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples in {module_name}"


def test_public_modules_have_examples() -> None:
    # The walk above is not vacuous: the public API's modules hold examples.
    counts = {
        name: len(doctest.DocTestFinder().find(importlib.import_module(name)))
        for name in ("tunesmith.space", "tunesmith.study", "tunesmith.sklearn._grid")
    }
    assert all(n > 0 for n in counts.values()), counts
