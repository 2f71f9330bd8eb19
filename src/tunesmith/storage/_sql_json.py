"""How the SQL storage turns values into JSON text and back.

Everything a study keeps is JSON text or a plain number, never a pickle: a database
someone else wrote must never run code when it is opened. Parameter and attribute
values go through :func:`tunesmith.space.encode_value` (tagged NaN, tuples, numpy
scalars); dimensions through ``Dimension.to_json``.

>>> text = dumps(encode_params({"lr": 0.1, "layers": (64, 32)}))
>>> text
'{"lr":0.1,"layers":{"__tuple__":[64,32]}}'
>>> decode_params(text)
{'lr': 0.1, 'layers': (64, 32)}
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

from tunesmith.exceptions import InvalidSpaceError
from tunesmith.records import FoldRecord
from tunesmith.space import Dimension, decode_value, encode_value

__all__ = [
    "ParamRepr",
    "decode_attrs",
    "decode_dimensions",
    "decode_json_value",
    "decode_params",
    "decode_scores",
    "dumps",
    "encode_attrs",
    "encode_dimensions",
    "encode_folds",
    "encode_params",
    "split_value",
]


class ParamRepr(str):
    """A parameter value that was not JSON (an estimator, a function...), kept as its repr.

    It prints like the original object, so a stored ``best_params`` still reads
    well; code that needs the object itself goes through the trial's candidate index.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return str(self)


_REPR_TAG = "__repr__"


def dumps(obj: Any) -> str:
    """Strict, compact JSON: ``allow_nan=False`` so that every row is valid JSON."""
    return json.dumps(obj, allow_nan=False, separators=(",", ":"))


def encode_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """Encode parameter values; anything JSON cannot hold becomes ``{"__repr__": ...}``."""
    out: dict[str, Any] = {}
    for name, value in params.items():
        if isinstance(value, ParamRepr):
            out[str(name)] = {_REPR_TAG: str(value)}
            continue
        try:
            encoded = encode_value(value)
        except InvalidSpaceError:
            # Lossy on purpose: a scikit-learn grid may hold estimator objects, and a
            # study must still be stored. Pickling them would make the file executable.
            encoded = {_REPR_TAG: _safe_repr(value)}
        else:
            if isinstance(encoded, dict) and len(encoded) == 1 and _REPR_TAG in encoded:
                encoded = {"__dict__": encoded}  # a user dict that looks like our tag
        out[str(name)] = encoded
    return out


def decode_params(text: str) -> dict[str, Any]:
    if text == "{}":
        return {}
    if '"__' not in text:  # no tag anywhere: plain JSON is already the answer
        return json.loads(text)  # type: ignore[no-any-return]
    return {
        name: ParamRepr(value[_REPR_TAG])
        if isinstance(value, dict) and len(value) == 1 and _REPR_TAG in value
        else decode_value(value)
        for name, value in json.loads(text).items()
    }


def encode_attrs(attrs: Mapping[str, Any], owner: str) -> dict[str, Any]:
    """Encode attribute values; a value JSON cannot hold is an error naming the key."""
    out: dict[str, Any] = {}
    for key, value in attrs.items():
        try:
            encoded = encode_value(value)
        except InvalidSpaceError as exc:
            raise InvalidSpaceError(
                f"attribute {key!r} of {owner} is {type(value).__name__} {value!r:.80}, "
                "which a stored study cannot hold: attributes must be JSON-like (str, "
                "number, bool, None, list, dict); store str(value) instead"
            ) from exc
        out[str(key)] = encoded
    return out


def decode_attrs(text: str) -> dict[str, Any]:
    if text == "{}":
        return {}
    if '"__' not in text:
        return json.loads(text)  # type: ignore[no-any-return]
    return {key: decode_value(value) for key, value in json.loads(text).items()}


def decode_json_value(text: str) -> Any:
    """One stored JSON value (a study attribute) back to Python."""
    return decode_value(json.loads(text))


def encode_dimensions(dimensions: Mapping[str, Dimension]) -> dict[str, Any]:
    """Dimensions as JSON; one whose choices JSON cannot hold is kept as its repr only.

    Such a dimension (a Categorical of estimators) reads back as absent: a sampler
    cannot model it anyway, and the trial's candidate index still finds the object.
    """
    out: dict[str, Any] = {}
    for name, dim in dimensions.items():
        try:
            out[str(name)] = dim.to_json()
        except InvalidSpaceError:
            out[str(name)] = {_REPR_TAG: _safe_repr(dim)}
    return out


def decode_dimensions(text: str) -> dict[str, Dimension]:
    if text == "{}":
        return {}
    return {
        name: Dimension.from_json(d)
        for name, d in json.loads(text).items()
        if _REPR_TAG not in d
    }


def _safe_repr(value: Any, limit: int = 2000) -> str:
    try:
        text = repr(value)
    except Exception:  # a broken __repr__ must not lose the trial
        text = f"<{type(value).__module__}.{type(value).__qualname__} object>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def split_value(value: float | None) -> tuple[float | None, str | None]:
    """A trial value as (finite value, special marker) columns."""
    if value is None:
        return None, None
    value = float(value)
    if math.isnan(value):
        return None, "nan"
    if math.isinf(value):
        return None, "inf" if value > 0 else "-inf"
    return value, None


def _encode_scores(scores: Mapping[str, float]) -> str:
    return dumps({str(name): encode_value(float(value)) for name, value in scores.items()})


def decode_scores(text: str) -> dict[str, float]:
    """A fold's scores (metric -> float, NaN included) back from their JSON text."""
    return {name: decode_value(value) for name, value in json.loads(text).items()}


def encode_folds(trial_id: int, folds: Sequence[FoldRecord]) -> list[dict[str, Any]]:
    """The rows of ``tunesmith_folds`` for a trial's (checked) fold records."""
    return [
        {
            "trial_id": trial_id,
            "fold": int(fold.fold),
            "test_scores_json": _encode_scores(fold.test_scores),
            "train_scores_json": None if fold.train_scores is None
            else _encode_scores(fold.train_scores),
            "fit_time": float(fold.fit_time),
            "score_time": float(fold.score_time),
            "fit_error": fold.fit_error,
            "score_error": fold.score_error,
        }
        for fold in folds
    ]
