"""Stored records as JSON for the pages, and stored text made safe for plotly.

The pages build their DOM from JSON with ``textContent`` (never ``innerHTML``), so a
study name, a parameter or a failure message reaches the browser as data and is shown
as text, whatever it holds. JSON keeps the exact strings; a non-finite number becomes
the string ``"nan"``, ``"inf"`` or ``"-inf"`` (JSON has none).

Plotly is the one place where stored text is drawn by something that reads markup:
its titles, tick labels and hover texts understand a few HTML tags and entities. Text
bound for a figure goes through :func:`plot_text` first: control characters written as
escapes (``\\x1b``), then ``&``, ``<`` and ``>`` as entities, which plotly draws as the
characters themselves.
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from tunesmith.records import FrozenTrial
from tunesmith.space import Categorical, Dimension

__all__ = ["dumps", "jsonable", "plot_text", "plot_trials", "trial_json"]

# C0 and C1 control characters but tab and newline, DEL, and the bidi controls: the
# same set the CLI escapes (tunesmith.cli._text), and the pages' show() in common.js.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def jsonable(obj: Any) -> Any:
    """``obj`` as plain JSON data: non-finite floats as strings, datetimes as ISO 8601,
    tuples as lists, numpy scalars as numbers, anything else as its ``str``.

    >>> jsonable({"a": (1, float("nan")), 2: float("-inf")})
    {'a': [1, 'nan'], '2': '-inf'}
    """
    if obj is None or isinstance(obj, bool | int | str):
        return obj
    if isinstance(obj, float):
        if math.isfinite(obj):
            return obj
        return "nan" if math.isnan(obj) else ("inf" if obj > 0 else "-inf")
    if isinstance(obj, datetime):
        return obj.isoformat()
    if isinstance(obj, Mapping):
        return {str(key): jsonable(value) for key, value in obj.items()}
    if isinstance(obj, list | tuple | set | frozenset):
        return [jsonable(value) for value in obj]
    item = getattr(obj, "item", None)  # numpy scalars
    if callable(item) and getattr(obj, "shape", None) == ():
        return jsonable(item())
    return str(obj)


def dumps(obj: Any) -> bytes:
    """Strict JSON bytes of :func:`jsonable` ``(obj)``."""
    return json.dumps(jsonable(obj), allow_nan=False, separators=(",", ":")).encode()


def trial_json(trial: FrozenTrial, *, display_state: str) -> dict[str, Any]:
    """Everything the trial page shows about one trial."""
    return {
        "number": trial.number,
        "state": trial.state.value,
        "display_state": display_state,
        "value": trial.value,
        "params": dict(trial.params),
        "dimensions": {name: _dimension_json(dim) for name, dim in trial.dimensions.items()},
        "attrs": dict(trial.attrs),
        "intermediate": sorted(trial.intermediate.items()),
        "candidate": trial.candidate,
        "message": trial.message,
        "started_at": trial.started_at,
        "finished_at": trial.finished_at,
        "duration": trial.duration,
        "owner": trial.owner,
        "heartbeat_at": trial.heartbeat_at,
        "budget": trial.budget,
        "folds": [
            {
                "fold": fold.fold,
                "test_scores": dict(fold.test_scores),
                "train_scores": None if fold.train_scores is None else dict(fold.train_scores),
                "fit_time": fold.fit_time,
                "score_time": fold.score_time,
                "fit_error": fold.fit_error,
                "score_error": fold.score_error,
            }
            for fold in trial.folds
        ],
    }


def _dimension_json(dim: Dimension) -> Any:
    try:
        return dim.to_json()
    except Exception:  # a dimension JSON cannot hold is still shown
        return repr(dim)


def plot_text(text: str) -> str:
    """Stored text as plotly draws it literally.

    >>> plot_text("<b>x</b> & \\x1b[31m")
    '&lt;b&gt;x&lt;/b&gt; &amp; \\\\x1b[31m'
    """
    visible = _UNSAFE.sub(_escape, text)
    return html.escape(visible, quote=False)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def plot_trials(trials: list[FrozenTrial]) -> list[FrozenTrial]:
    """Trials whose parameter names, string values and categorical choices are
    :func:`plot_text`, for the report's figure functions: what they draw is text."""
    # The storage hands every trial of one space the same Dimension objects.
    dims_cache: dict[tuple[tuple[str, int], ...], dict[str, Dimension]] = {}
    out = []
    for trial in trials:
        key = tuple((name, id(dim)) for name, dim in trial.dimensions.items())
        if key not in dims_cache:
            dims_cache[key] = {plot_text(str(name)): _plot_dimension(dim)
                               for name, dim in trial.dimensions.items()}
        params = {plot_text(str(name)): plot_text(value) if isinstance(value, str) else value
                  for name, value in trial.params.items()}
        out.append(_replace(trial, params=params, dimensions=dims_cache[key]))
    return out


def _plot_dimension(dim: Dimension) -> Dimension:
    if not isinstance(dim, Categorical):
        return dim
    choices = [plot_text(c) if isinstance(c, str) else c for c in dim.values()]
    try:
        return Categorical(choices)
    except Exception:  # two choices that escape alike: keep the original
        return dim


def _replace(trial: FrozenTrial, **changes: Any) -> FrozenTrial:
    import dataclasses

    return dataclasses.replace(trial, **changes)
