"""Discovery: which candidates an estimator rejects whatever the data.

scikit-learn's searches fit every candidate on every fold, even one like
``LogisticRegression(solver="lbfgs", penalty="l1")`` that fails before looking at
a single row. :func:`find_invalid_candidates` finds those with a few cheap probe
fits (see :mod:`tunesmith.sklearn._probe` for what a probe is), so a search can
skip them, and says why once, grouped by cause.

The rule that shapes everything here: **never skip a candidate that would have
fitted**. When in doubt a candidate is left to the search, which fits it and
records a failure exactly as scikit-learn would.

How candidates are probed
-------------------------
1. Parameters are split by their values. A parameter whose every value is a real
   number (``C``, ``alpha``, ``n_neighbors``) is *numeric*; every other one
   (strings, None, booleans, objects) is *structural*. Structural choices are what
   scikit-learn's compatibility checks are about, so candidates are grouped by
   their structural values and each group is probed once, at its first
   candidate's numbers.
2. A group whose probe fits (or fails in a data-dependent way) is valid as a
   whole. Its candidates are still screened against the declared parameter
   constraints (``_parameter_constraints``, no fit needed); one that breaks them
   is probed on its own.
3. A group whose probe fails "whatever the data" is then probed at each distinct
   combination of its numeric values, so every candidate skipped has been
   tried with exactly its own parameters. Only very large groups (over
   ``_EXACT_LIMIT`` combinations) are probed one numeric parameter at a time
   instead; they are skipped whole only when every value of every numeric
   parameter fails the same way.
4. What was learned is reduced to the parameters that matter: a structural
   parameter is dropped from a learned combination when each of its values,
   with the others held, fails with the same message. Those combinations are
   what :meth:`InvalidReport.forbidden` hands to native samplers. Numeric
   parameters that did not change the outcome are left out, i.e. the failure is
   assumed not to depend on them anywhere in their range.
"""

from __future__ import annotations

import logging
import numbers
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import islice, product
from typing import Any, TypeGuard, overload

import numpy as np

from tunesmith.sklearn._discovery_groups import Group, probe_group
from tunesmith.sklearn._invalid_report import (
    Finding,
    InvalidReport,
    phrase,
    value_key,
)
from tunesmith.sklearn._probe import Failure, Prober
from tunesmith.space import Categorical, Space, SpaceUnion

__all__ = [
    "Finding",
    "InvalidReport",
    "discover_in_space",
    "find_invalid_candidates",
    "probe_space",
]

logger = logging.getLogger(__name__)

# probe_space enumerates at most this many structural combinations.
_SPACE_LIMIT = 4096
# Where probe_space tries a numeric dimension, as positions in [0, 1] of its range.
_NUMERIC_POINTS = (0.5, 0.1, 0.9)


def find_invalid_candidates(
    estimator: Any,
    candidates: Sequence[Mapping[str, Any]],
    X: Any,
    y: Any = None,
    *,
    fit_params: Mapping[str, Any] | None = None,
) -> InvalidReport:
    """Find the candidates ``estimator`` rejects whatever the data.

    Probes a clone of the estimator on three small datasets shaped like ``X`` and
    ``y`` (made-up, a small real sample, a large real sample), once per distinct
    combination of the parameters that could interact, and flags a candidate only
    when all three fail with the same parameter-checking error. Failures that
    depend on the data or on chance are not flagged: the search fits and records
    them. Warnings raised during probes are silenced.

    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> X = np.random.default_rng(0).normal(size=(200, 4)); y = (X[:, 0] > 0).astype(int)
    >>> grid = [{"solver": s, "penalty": p} for p in ["l1", "l2"] for s in ["lbfgs", "saga"]]
    >>> report = find_invalid_candidates(LogisticRegression(), grid, X, y)
    >>> report.reasons
    {0: "solver='lbfgs' supports only 'l2' or None penalties, got l1 penalty."}
    >>> print(report.summary())  # doctest: +NORMALIZE_WHITESPACE
    1 of 4 candidates skipped as invalid: solver='lbfgs' supports only 'l2' or None
    penalties (penalty='l1': 1 candidate)
    """
    started = time.perf_counter()
    points = [dict(c) for c in candidates]
    varying = _varying_names(points)
    if not points:
        return InvalidReport(0, {})
    prober = Prober(estimator, X, y, fit_params=fit_params)
    numeric = _numeric_names(points)
    groups: dict[tuple, list[int]] = {}
    for index, point in enumerate(points):
        groups.setdefault(_structural_key(point, numeric), []).append(index)

    results: dict[tuple, Group] = {}
    any_valid = False
    for key, members in groups.items():
        group = probe_group(prober, points, members, numeric)
        results[key] = group
        any_valid = any_valid or group.n_invalid < len(members)

    if not any_valid:
        # Every candidate fails the same way on every dataset: the estimator (or
        # its input) is the problem, not a combination. Leave it to the search,
        # which reports scikit-learn's own "all fits failed" error.
        logger.info("discovery: every candidate fails; nothing skipped")
        return InvalidReport(len(points), {}, varying=varying, n_probe_fits=prober.n_fits,
                             seconds=time.perf_counter() - started)

    findings, reasons = _findings(points, results, numeric)
    report = InvalidReport(
        n_candidates=len(points),
        reasons=reasons,
        findings=tuple(findings),
        varying=varying,
        n_probe_fits=prober.n_fits,
        seconds=time.perf_counter() - started,
    )
    logger.debug("discovery: %d probe fits in %.3f s", report.n_probe_fits, report.seconds)
    return report


@overload
def discover_in_space(
    estimator: Any, space: Space, X: Any, y: Any = None, *,
    fit_params: Mapping[str, Any] | None = None,
) -> tuple[Space, InvalidReport]: ...


@overload
def discover_in_space(
    estimator: Any, space: SpaceUnion, X: Any, y: Any = None, *,
    fit_params: Mapping[str, Any] | None = None,
) -> tuple[SpaceUnion, InvalidReport]: ...


@overload
def discover_in_space(
    estimator: Any, space: Space | SpaceUnion, X: Any, y: Any = None, *,
    fit_params: Mapping[str, Any] | None = None,
) -> tuple[Space | SpaceUnion, InvalidReport]: ...


def discover_in_space(
    estimator: Any,
    space: Space | SpaceUnion,
    X: Any,
    y: Any = None,
    *,
    fit_params: Mapping[str, Any] | None = None,
) -> tuple[Space | SpaceUnion, InvalidReport]:
    """:func:`probe_space`, also returning the report of what was probed.

    The report's candidates are the probe points (structural combinations, each
    at three positions of the numeric ranges), not trials of a search.
    """
    if isinstance(space, SpaceUnion):
        pairs = [discover_in_space(estimator, sub, X, y, fit_params=fit_params)
                 for sub in space.spaces]
        merged = InvalidReport(
            n_candidates=sum(r.n_candidates for _, r in pairs),
            reasons={},
            findings=tuple(f for _, r in pairs for f in r.findings),
            n_probe_fits=sum(r.n_probe_fits for _, r in pairs),
            seconds=sum(r.seconds for _, r in pairs),
        )
        return SpaceUnion([s for s, _ in pairs]), merged

    enumerated = {name: dim for name, dim in space.items() if _enumerable(dim)}
    points = _space_points(space, enumerated)
    report = find_invalid_candidates(estimator, points, X, y, fit_params=fit_params)
    # A finding on a value of a continuous dimension cannot be forbidden as such
    # (the probe only saw one point of its range): keep the others.
    expressible = [
        finding for finding in report.findings
        if all(name in enumerated for name, _ in finding.params)
    ]
    forbidden = InvalidReport(report.n_candidates, {}, tuple(expressible)).forbidden()
    if report.summary():
        logger.info("discovery over the space: %s", report.summary())
    return (space.with_forbidden(*forbidden) if forbidden else space), report


@overload
def probe_space(
    estimator: Any, space: Space, X: Any, y: Any = None, *,
    fit_params: Mapping[str, Any] | None = None,
) -> Space: ...


@overload
def probe_space(
    estimator: Any, space: SpaceUnion, X: Any, y: Any = None, *,
    fit_params: Mapping[str, Any] | None = None,
) -> SpaceUnion: ...


@overload
def probe_space(
    estimator: Any, space: Space | SpaceUnion, X: Any, y: Any = None, *,
    fit_params: Mapping[str, Any] | None = None,
) -> Space | SpaceUnion: ...


def probe_space(
    estimator: Any,
    space: Space | SpaceUnion,
    X: Any,
    y: Any = None,
    *,
    fit_params: Mapping[str, Any] | None = None,
) -> Space | SpaceUnion:
    """``space`` with the combinations ``estimator`` rejects added as forbidden.

    Every value of each categorical dimension with non-numeric choices is
    combined with every other (conditions respected, already forbidden points
    left out); numeric dimensions (floats, integers, distributions, numeric
    categoricals) are tried at three points of their range (the middle, 10 % and
    90 %). Assumption: a failure seen at all three points of a numeric dimension
    holds across its range, so the learned combination does not name it; a
    failure seen at only some of them is not forbidden at all (a search fits
    those trials and records failures). So a random search over the result
    spends its trials on valid models.

    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from tunesmith.space import Categorical, Float, Space
    >>> X = np.random.default_rng(0).normal(size=(200, 4)); y = (X[:, 0] > 0).astype(int)
    >>> space = Space({"C": Float(1e-3, 1e3, log=True), "penalty": Categorical(["l1", "l2"]),
    ...                "solver": Categorical(["lbfgs", "liblinear"])})
    >>> probed = probe_space(LogisticRegression(), space, X, y)
    >>> probed.is_valid({"C": 1.0, "penalty": "l1", "solver": "lbfgs"})
    False
    >>> probed.is_valid({"C": 1.0, "penalty": "l1", "solver": "liblinear"})
    True
    """
    return discover_in_space(estimator, space, X, y, fit_params=fit_params)[0]


# -- from groups to findings -------------------------------------------------------------


def _findings(points: list[dict[str, Any]], results: dict[tuple, Group],
              numeric: frozenset[str]) -> tuple[list[Finding], dict[int, str]]:
    reasons: dict[int, str] = {}
    merged: dict[tuple, tuple[tuple[tuple[str, Any], ...], Failure, list[int]]] = {}
    for key, group in results.items():
        if not group.failures:
            continue
        for index, failure in group.failures.items():
            reasons[index] = phrase(failure.message, points[index])
        if group.all_invalid and group.rep_failure is not None:
            first = min(group.failures)
            names = _culprits(key, group, results, numeric, points[first])
            items = [(n, points[first][n]) for n in names]
            _add(merged, items, group.rep_failure, sorted(group.failures))
        else:
            for index, failure in group.failures.items():
                _add(merged, sorted(points[index].items()), failure, [index])
    findings = [
        Finding(
            params=items,
            reason=phrase(failure.message, points[indices[0]]),
            kind=failure.kind.__name__,
            candidates=tuple(sorted(indices)),
        )
        for items, failure, indices in merged.values()
    ]
    findings.sort(key=lambda f: f.candidates[0])
    return findings, dict(sorted(reasons.items()))


def _add(merged: dict, items: Iterable[tuple[str, Any]], failure: Failure,
         indices: list[int]) -> None:
    items = tuple(items)
    key = (tuple((n, value_key(v)) for n, v in items), failure)
    if key in merged:
        merged[key][2].extend(indices)
    else:
        merged[key] = (items, failure, list(indices))


def _culprits(key: tuple, group: Group, results: dict[tuple, Group],
              numeric: frozenset[str], point: Mapping[str, Any]) -> list[str]:
    """The structural names of a wholly invalid group that its failure depends on.

    A name is dropped when the groups that differ from this one only in that name
    (at least two of its values seen) are all wholly invalid with the same failure.
    """
    names_key, values = key
    assignment = dict(values)
    culprits = [name for name in names_key if name not in numeric]
    for name in list(culprits):
        held = [n for n in culprits if n != name]
        seen: set = set()
        same = True
        for other_key, other in results.items():
            other_names, other_values = other_key
            if other_names != names_key:
                continue
            other_assignment = dict(other_values)
            if any(other_assignment[n] != assignment[n] for n in held):
                continue
            if not (other.all_invalid and other.rep_failure == group.rep_failure):
                same = False
                break
            seen.add(other_assignment[name])
        if same and len(seen) >= 2:
            culprits.remove(name)
    return culprits


# -- probe points of a space -------------------------------------------------------------


def _enumerable(dim: Any) -> TypeGuard[Categorical]:
    """Categorical dimensions with at least one non-numeric choice are enumerated."""
    return isinstance(dim, Categorical) and not all(_is_number(c) for c in dim.choices)


def _space_points(space: Space, enumerated: Mapping[str, Categorical]) -> list[dict[str, Any]]:
    numeric = [name for name in space.names if name not in enumerated]
    choices = [dim.choices for dim in enumerated.values()]
    points: list[dict[str, Any]] = []
    seen: set = set()
    combos: Iterator[tuple] = product(*choices)
    total = int(np.prod([len(c) for c in choices])) if choices else 1
    if total > _SPACE_LIMIT:
        logger.warning(
            "probe_space: %d categorical combinations; probing the first %d, the rest "
            "stay allowed", total, _SPACE_LIMIT,
        )
    for combo in islice(combos, _SPACE_LIMIT):
        for position in _NUMERIC_POINTS:
            full = dict(zip(enumerated, combo, strict=True))
            full.update({name: space[name].from_unit(position) for name in numeric})
            active = set(space.active_names(full))
            point = {name: value for name, value in full.items() if name in active}
            if space.why_invalid(point) is not None:
                continue
            key = tuple(sorted((n, value_key(v)) for n, v in point.items()))
            if key not in seen:
                seen.add(key)
                points.append(point)
    return points


# -- small helpers -----------------------------------------------------------------------


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def _numeric_names(points: list[dict[str, Any]]) -> frozenset[str]:
    names: dict[str, bool] = {}
    for point in points:
        for name, value in point.items():
            names[name] = names.get(name, True) and _is_number(value)
    return frozenset(name for name, numeric in names.items() if numeric)


def _varying_names(points: list[dict[str, Any]]) -> frozenset[str]:
    values: dict[str, set] = {}
    present: dict[str, int] = {}
    for point in points:
        for name, value in point.items():
            values.setdefault(name, set()).add(value_key(value))
            present[name] = present.get(name, 0) + 1
    return frozenset(
        name for name, keys in values.items()
        if len(keys) > 1 or present[name] < len(points)
    )


def _structural_key(point: Mapping[str, Any], numeric: frozenset[str]) -> tuple:
    names = tuple(sorted(point))
    return names, tuple((n, value_key(point[n])) for n in names if n not in numeric)
