"""A finite list of choices: :class:`Categorical`, the scikit-learn ``[a, b, c]``."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence, Set
from typing import Any, ClassVar

import numpy as np

from tunesmith.exceptions import InvalidSpaceError
from tunesmith.space._base import Dimension, check_rng, check_unit, json_field
from tunesmith.space._json import _short, decode_value, encode_value
from tunesmith.space._keys import value_key

__all__ = ["Categorical", "as_choices"]


class Categorical(Dimension):
    """One of a fixed, ordered list of choices.

    The choices are kept as given (numpy scalars stay numpy scalars, estimators stay
    the same objects), in a tuple. Two choices are the same when they have the same
    kind and value: ``True``, ``1`` and ``1.0`` are three choices, while
    ``numpy.int64(1)`` is the choice ``1`` (see :func:`~tunesmith.space._keys.value_key`).

    >>> import numpy as np
    >>> kernel = Categorical(["linear", "rbf"])
    >>> kernel.values(), kernel.contains(np.str_("rbf")), kernel.to_unit("rbf")
    (('linear', 'rbf'), True, 0.75)
    >>> kernel.from_unit(0.2), kernel == Categorical(("linear", "rbf"))
    ('linear', True)
    """

    __slots__ = ("_choices", "_index", "_keys")

    json_type: ClassVar[str] = "categorical"

    # Set once in __init__ through object.__setattr__ (the dimension is immutable).
    _choices: tuple[Any, ...]
    #: value_key of each choice, in order.
    _keys: tuple[Hashable, ...]
    #: value_key -> position.
    _index: dict[Hashable, int]

    def __init__(self, choices: Sequence[Any]) -> None:
        items = as_choices(choices, "Categorical")
        keys = tuple(value_key(c) for c in items)
        index: dict[Hashable, int] = {}
        for k, key in enumerate(keys):
            if key in index:
                first = index[key]
                raise InvalidSpaceError(
                    f"Categorical choices must be distinct, got {_short(items[k])} at position "
                    f"{k} and {_short(items[first])} at position {first}; remove the duplicate"
                )
            index[key] = k
        object.__setattr__(self, "_choices", items)
        object.__setattr__(self, "_keys", keys)
        object.__setattr__(self, "_index", index)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"Categorical is immutable; cannot set {name!r}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (Categorical, (self._choices,))

    @property
    def choices(self) -> tuple[Any, ...]:
        """The choices, in order, as the original objects."""
        return self._choices

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Categorical):
            return NotImplemented
        return self._keys == other._keys

    def __hash__(self) -> int:
        return hash(("categorical", self._keys))

    def __repr__(self) -> str:
        return f"Categorical({list(self._choices)!r})"

    # -- finiteness ---------------------------------------------------------------

    @property
    def is_finite(self) -> bool:
        return True

    @property
    def size(self) -> int:
        return len(self._choices)

    def values(self) -> tuple[Any, ...]:
        return self._choices

    def value_at(self, index: int) -> Any:
        return self._choices[self._check_position(index)]

    def index_of(self, value: Any) -> int:
        k = self._index.get(value_key(value))
        if k is None:
            raise InvalidSpaceError(f"value {_short(value)} is not one of the choices of {self!r}")
        return k

    # -- values -------------------------------------------------------------------

    def contains(self, value: Any) -> bool:
        return value_key(value) in self._index

    def sample(self, rng: np.random.Generator) -> Any:
        check_rng(rng)
        return self._choices[int(rng.integers(len(self._choices)))]

    def to_unit(self, value: Any) -> float:
        return (self.index_of(value) + 0.5) / len(self._choices)

    def from_unit(self, u: float) -> Any:
        n = len(self._choices)
        return self._choices[min(int(check_unit(u) * n), n - 1)]

    # -- JSON ---------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        encoded = []
        for k, choice in enumerate(self._choices):
            try:
                encoded.append(encode_value(choice))
            except InvalidSpaceError as exc:
                raise InvalidSpaceError(
                    f"choice {k} of {self!r} is not JSON-serialisable: {exc}; "
                    "a space with such choices cannot be stored (keep it in memory, or use "
                    "names as choices and build the objects inside the objective)"
                ) from None
        return {"type": "categorical", "choices": encoded}

    @classmethod
    def _from_json(cls, data: Mapping[str, Any]) -> Categorical:
        choices = json_field(data, "choices", "categorical")
        if not isinstance(choices, list):
            raise InvalidSpaceError(
                f"a 'categorical' dimension's JSON needs a list of choices, got {_short(choices)}"
            )
        return cls([decode_value(c) for c in choices])


def as_choices(values: Any, what: str) -> tuple[Any, ...]:
    """``values`` as a non-empty tuple of choices, or an error explaining the fix.

    Accepts lists, tuples, 1-D numpy arrays and other sequences; a bare string, a
    0-d or 2-D array, a set, a mapping or an empty sequence is an error.
    """
    if isinstance(values, np.ndarray):
        if values.ndim != 1:
            single = values.ndim == 0
            raise InvalidSpaceError(
                f"{what} needs a one-dimensional list of values, got a {values.ndim}-d array "
                f"with shape {values.shape}"
                + ("; wrap a single value in a list: [value]" if single else "; flatten it")
            )
        items = tuple(values)  # elements become numpy scalars, as ParameterGrid yields them
    elif isinstance(values, (str, bytes)):
        raise InvalidSpaceError(
            f"{what} needs a list of values, got the string {_short(values)}; "
            f"wrap a single value in a list: [{_short(values)}]"
        )
    elif isinstance(values, (Set, Mapping)):
        raise InvalidSpaceError(
            f"{what} needs an ordered list of values, got a {type(values).__name__} "
            f"({_short(values)}); pass a list, e.g. sorted(values)"
        )
    elif isinstance(values, Sequence):
        items = tuple(values)
    else:
        raise InvalidSpaceError(
            f"{what} needs a list of values, got {_short(values)} ({type(values).__name__}); "
            f"wrap a single value in a list: [{_short(values)}]"
        )
    if not items:
        raise InvalidSpaceError(f"{what} needs at least one value, got an empty list")
    return items
