"""The simplest of the candidates tied with the best, for a declared notion of simple.

Like the one-standard-error rule (Breiman et al. 1984; Hastie, Tibshirani and Friedman,
section 7.10): when several candidates cannot be told apart from the best, prefer the
simplest. What "simple" means is the user's to declare, per parameter:

* ``"min"``: smaller is simpler (``alpha`` of a tree's pruning is not; ``max_depth`` is);
* ``"max"``: larger is simpler (``alpha`` of a ridge: stronger regularisation);
* a sequence: the values in order of preference (``["l2", "l1", None]``).

Parameters are compared in the order given, each breaking the previous one's ties; a
candidate without the parameter, or with a value the rule cannot order (None under
``"min"``, a value missing from the sequence), counts as the least simple. On a full tie
the earlier contender (the best first) wins.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tunesmith.stats._verdict import Contender

__all__ = ["SimplicityRule", "check_simplest", "simplest_of"]

#: Parameter name -> ``"min"``, ``"max"`` or the values in order of preference.
SimplicityRule = Mapping[str, str | Sequence[Any]]


def check_simplest(rule: SimplicityRule, contenders: Sequence[Contender]) -> None:
    """Refuse a rule that names no parameter of the contenders or has an unknown order.

    >>> check_simplest({"C": "smallest"}, [])
    Traceback (most recent call last):
    ...
    ValueError: simplest={'C': 'smallest'}: each parameter takes 'min', 'max' or ... for 'C'
    """
    if not isinstance(rule, Mapping) or not rule:
        raise ValueError(f"simplest must be a dict such as {{'C': 'min'}}, got {rule!r}")
    for name, order in rule.items():
        if isinstance(order, str) and order in ("min", "max"):
            continue
        if isinstance(order, Sequence) and not isinstance(order, str) and order:
            continue
        raise ValueError(
            f"simplest={dict(rule)!r}: each parameter takes 'min', 'max' or a list of values "
            f"in order of preference, got {order!r} for {name!r}"
        )
    known = {name for c in contenders for name in c.params}
    unknown = [name for name in rule if name not in known]
    if contenders and unknown:
        raise ValueError(
            f"simplest names {', '.join(map(repr, unknown))}, which no candidate has; "
            f"the parameters are: {', '.join(sorted(known)) or '(none)'}"
        )


def _key(params: Mapping[str, Any], rule: SimplicityRule) -> tuple[tuple[int, Any], ...]:
    key = []
    for name, order in rule.items():
        value = params.get(name)
        if isinstance(order, str):
            ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
            number = float(value) if ok else 0.0  # type: ignore[arg-type]
            key.append((0, number if order == "min" else -number) if ok else (1, 0.0))
        else:
            ranks = [i for i, v in enumerate(order) if v == value and type(v) is type(value)]
            key.append((0, ranks[0]) if ranks else (1, 0))
    return tuple(key)


def simplest_of(contenders: Sequence[Contender], rule: SimplicityRule) -> Contender:
    """The simplest contender under ``rule`` (the first of equally simple ones).

    >>> import numpy as np
    >>> from tunesmith.stats._verdict import Contender
    >>> cs = [Contender("a", {"C": 10.0}, np.array([0.9])), Contender("b", {"C": 0.1},
    ...       np.array([0.89]))]
    >>> simplest_of(cs, {"C": "min"}).label
    'b'
    """
    return min(contenders, key=lambda c: _key(c.params, rule))
