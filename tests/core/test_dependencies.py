"""Every package the code imports is one that ``pip install tunesmith`` installs.

A missing core dependency passes every test here (the test extras install it) and
fails on a user's fresh machine, the first time they run ``tunesmith run``.
"""

from __future__ import annotations

import ast
import re
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "src" / "tunesmith"

# Imported only behind a guard that copes with their absence.
OPTIONAL = {
    "cloudpickle": "executors fall back to pickle",
    "tomli": "only on Python 3.10, declared with a marker",
    "matplotlib": "the plots extra: tunesmith.report imports it on use, or names the extra",
    "plotly": "the plots extra: tunesmith.report imports it on use, or names the extra",
    "distributed": "the dask extra: imported only for executor='tcp://...' or a Client",
    "starlette": "the dashboard extra: only tunesmith.dashboard imports it",
    "uvicorn": "the dashboard extra: only tunesmith.dashboard imports it",
}


def _name(requirement: str) -> str:
    name = re.match(r"[A-Za-z0-9_.-]+", requirement).group(0)
    return re.sub(r"[-_.]+", "-", name).lower()


def _imported_modules() -> dict[str, str]:
    """Top-level third-party modules imported anywhere in the package -> one file."""
    found: dict[str, str] = {}
    for path in sorted(SOURCE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.partition(".")[0]
                if top not in sys.stdlib_module_names and top != "tunesmith":
                    found.setdefault(top, str(path.relative_to(ROOT)))
    return found


def test_every_imported_package_is_a_core_dependency() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    core = {_name(r) for r in project["dependencies"]}
    providers = packages_distributions()
    imported = _imported_modules()
    assert {"numpy", "sklearn", "pandas"} <= imported.keys()  # the walk sees imports
    missing = {
        module: where
        for module, where in imported.items()
        if module not in OPTIONAL
        and not {_name(d) for d in providers.get(module, [module])} & core
    }
    assert not missing, f"imported but not in [project] dependencies: {missing}"
