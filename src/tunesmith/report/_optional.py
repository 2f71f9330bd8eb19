"""The plotting libraries are an optional extra: import them on use, or say how to get them."""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["PLOTS_EXTRA", "has_plotly", "require"]

PLOTS_EXTRA = 'pip install "tunesmith[plots]"'


def require(module: str, what: str) -> Any:
    """Import ``module`` for ``what``, or raise an ImportError that names the extra.

    >>> require("json", "a report").dumps(1)
    '1'
    >>> require("no_such_plotting_lib", "the history plot")
    Traceback (most recent call last):
    ...
    ImportError: the history plot needs no_such_plotting_lib, which is not installed: \
pip install "tunesmith[plots]"
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        package = module.partition(".")[0]
        raise ImportError(
            f"{what} needs {package}, which is not installed: {PLOTS_EXTRA}"
        ) from exc


def has_plotly() -> bool:
    """True when plotly can be imported (the interactive report needs it)."""
    try:
        importlib.import_module("plotly.graph_objects")
    except ImportError:
        return False
    return True
