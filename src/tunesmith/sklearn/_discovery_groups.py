"""Discovery's probes of one group: the candidates that share their structural values
(see :mod:`tunesmith.sklearn._discovery` for the whole procedure). A group is probed at
its first candidate; when that fails whatever the data, at each distinct combination of
its numeric values, so every candidate skipped was tried with its own parameters.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from tunesmith.sklearn._invalid_report import value_key
from tunesmith.sklearn._probe import Failure, Prober

__all__ = ["Group", "mask_numbers", "numeric_key", "probe_group"]

# A failing group with at most this many numeric combinations is probed at each.
_EXACT_LIMIT = 64
# Beyond this many, the rest of a mixed group is left to the search (never skipped).
_MIXED_LIMIT = 2000


@dataclass
class Group:
    """The outcome for the candidates sharing one set of structural values."""

    failures: dict[int, Failure]  # invalid member -> its failure
    size: int
    rep_failure: Failure | None = None

    @property
    def n_invalid(self) -> int:
        return len(self.failures)

    @property
    def all_invalid(self) -> bool:
        return self.n_invalid == self.size


def _classify(prober: Prober, params: Mapping[str, Any], *, screen: bool = False
              ) -> Failure | None:
    """The failure ``params`` hits whatever the data, or None (fits, or data-dependent)."""
    first = prober.fit(params, "synthetic", cheap=screen)
    if first is None:
        return None
    if screen and prober.last_capped:
        first = prober.fit(params, "synthetic")  # the capped variant is not the candidate
        if first is None:
            return None
    if not first.is_static:
        return None
    for dataset in ("small", "large"):
        if prober.fit(params, dataset) != first:
            return None
    return first


def probe_group(prober: Prober, points: list[dict[str, Any]], members: list[int],
                 numeric: frozenset[str]) -> Group:
    rep = points[members[0]]
    group = Group({}, len(members))
    if not prober.can_set(rep):
        return group  # an unknown name: scikit-learn raises, it does not score NaN
    failure = _classify(prober, rep, screen=True)
    if failure is None:
        # Valid at its representative; only a declared-constraint breach is worth
        # an exact probe among the rest.
        for index in members[1:]:
            if prober.violates_constraints(points[index]):
                found = _classify(prober, points[index])
                if found is not None:
                    group.failures[index] = found
        return group

    group.rep_failure = failure
    combos: dict[tuple, list[int]] = {}
    for index in members:
        combos.setdefault(numeric_key(points[index], numeric), []).append(index)
    rep_combo = numeric_key(rep, numeric)
    if len(combos) > _EXACT_LIMIT and _fails_one_at_a_time(prober, rep, members, points,
                                                            numeric, failure):
        group.failures = dict.fromkeys(members, failure)
        return group
    for n_probed, (combo, indices) in enumerate(combos.items()):
        if n_probed >= _MIXED_LIMIT:
            break
        found = (failure if combo == rep_combo
                 else _classify_like(prober, points[indices[0]], failure))
        if found is not None:
            group.failures.update(dict.fromkeys(indices, found))
    return group


def _classify_like(prober: Prober, params: Mapping[str, Any], confirmed: Failure
                   ) -> Failure | None:
    """:func:`_classify` for a member of a group whose representative failed.

    The representative's failure was shown not to depend on the data (the same
    parameter-check error on all three datasets). A member that hits exactly that
    error, message included, on the synthetic data fails the same check: fitting it
    on the real data again would only repeat it (on the lesson's grid, 56 fits on
    the full table). Any other outcome gets the full three-dataset classification.
    """
    first = prober.fit(params, "synthetic")
    if first is None:
        return None
    if first == confirmed:
        return first
    return _classify(prober, params)


def _fails_one_at_a_time(prober: Prober, rep: Mapping[str, Any], members: list[int],
                         points: list[dict[str, Any]], numeric: frozenset[str],
                         failure: Failure) -> bool:
    """Whether every value of each numeric parameter, others held, fails like ``rep``."""
    for name in sorted(numeric & set(rep)):
        values = _distinct(points[i][name] for i in members)
        for value in values:
            found = _classify(prober, {**rep, name: value})
            if found is None or mask_numbers(found.message) != mask_numbers(failure.message):
                return False
    return True


def numeric_key(point: Mapping[str, Any], numeric: frozenset[str]) -> tuple:
    return tuple((n, value_key(point[n])) for n in sorted(point) if n in numeric)


def _distinct(values: Iterable[Any]) -> list[Any]:
    out: dict[Hashable, Any] = {}
    for value in values:
        out.setdefault(value_key(value), value)
    return list(out.values())


def mask_numbers(message: str) -> str:
    """A message with its numbers blanked: the same rule about different values."""
    return re.sub(r"[-+]?\d+(\.\d*)?([eE][-+]?\d+)?", "#", message)
