"""What discovery found: the invalid candidates, why, and the combinations to forbid.

:class:`InvalidReport` is what :func:`~tunesmith.sklearn.find_invalid_candidates`
returns: the reasons per candidate in the estimator's own words, a one-sentence
summary grouped by cause, and the learned combinations as
:class:`~tunesmith.space.Forbidden` boxes, merged where the union is exact.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from tunesmith.space import Forbidden

__all__ = ["Finding", "InvalidReport", "phrase", "value_key"]


@dataclass(frozen=True)
class Finding:
    """One learned invalid combination.

    ``params`` holds only the parameters that matter, as ``(name, value)`` pairs;
    ``reason`` is the estimator's message (one line); ``candidates`` the indices it
    covers.
    """

    params: tuple[tuple[str, Any], ...]
    reason: str
    kind: str
    candidates: tuple[int, ...]

    @property
    def cause(self) -> str:
        """The reason without its trailing ", got ..." part: what all share."""
        return _cause(self.reason)


@dataclass(frozen=True)
class InvalidReport:
    """Which candidates the estimator rejects whatever the data, and why.

    >>> report = InvalidReport(n_candidates=3, reasons={})
    >>> report.n_invalid, report.summary()
    (0, None)
    """

    n_candidates: int
    reasons: dict[int, str]
    findings: tuple[Finding, ...] = ()
    #: Names whose value differs between candidates: the ones a summary names.
    varying: frozenset[str] = frozenset()
    n_probe_fits: int = 0
    seconds: float = 0.0

    @property
    def n_invalid(self) -> int:
        return len(self.reasons)

    @property
    def invalid(self) -> list[int]:
        """Indices of the invalid candidates, ascending."""
        return sorted(self.reasons)

    def summary(self) -> str | None:
        """One sentence for the user, grouped by cause; None when nothing is invalid.

        Example: ``56 of 140 candidates skipped as invalid: solver='lbfgs' supports
        only 'l2' or None penalties (penalty='l1': 7 candidates, penalty='elasticnet':
        7 candidates); ...``
        """
        if not self.reasons:
            return None
        by_cause: dict[str, list[Finding]] = {}
        for finding in sorted(self.findings, key=lambda f: min(f.candidates)):
            by_cause.setdefault(finding.cause, []).append(finding)
        parts = []
        for cause, findings in by_cause.items():
            details = []
            for finding in findings:
                shown = [
                    f"{name}={_show(value)}"
                    for name, value in finding.params
                    if name in self.varying and f"{_short(name)}={_show(value)}" not in cause
                ]
                count = _count(len(finding.candidates))
                details.append(f"{', '.join(shown)}: {count}" if shown else count)
            parts.append(f"{cause} ({', '.join(details)})")
        return (
            f"{self.n_invalid} of {self.n_candidates} candidates skipped as invalid: "
            + "; ".join(parts)
        )

    def forbidden(self) -> list[Forbidden]:
        """The learned combinations, merged where exact, for native samplers.

        Each is a :class:`~tunesmith.space.Forbidden`; a combination names only the
        parameters found to matter (see the module docs for the assumption).
        """
        boxes = [_Box.of(finding.params) for finding in self.findings]
        return [Forbidden(box.as_mapping()) for box in _merge(boxes)]


# -- forbidden boxes ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Box:
    """A product of value sets, one per name: what one Forbidden says."""

    names: tuple[str, ...]
    keys: tuple[frozenset, ...]
    values: tuple[tuple[Any, ...], ...]

    @classmethod
    def of(cls, params: Iterable[tuple[str, Any]]) -> _Box:
        items = sorted(params, key=lambda item: item[0])
        return cls(
            names=tuple(n for n, _ in items),
            keys=tuple(frozenset([value_key(v)]) for _, v in items),
            values=tuple((v,) for _, v in items),
        )

    def union(self, other: _Box, axis: int) -> _Box:
        values = list(self.values)
        known = set(self.keys[axis])
        extra = [v for v in other.values[axis] if value_key(v) not in known]
        values[axis] = self.values[axis] + tuple(extra)
        keys = list(self.keys)
        keys[axis] = self.keys[axis] | other.keys[axis]
        return _Box(self.names, tuple(keys), tuple(values))

    def as_mapping(self) -> dict[str, list[Any]]:
        return {name: list(values) for name, values in zip(self.names, self.values,
                                                            strict=True)}


def _merge(boxes: list[_Box]) -> list[_Box]:
    """Join boxes that differ in one name only (their union is again a box)."""
    boxes = list(dict.fromkeys(boxes))
    merged = True
    while merged:
        merged = False
        pairs = [(i, j) for i in range(len(boxes)) for j in range(i + 1, len(boxes))]
        for i, j in pairs:
            a, b = boxes[i], boxes[j]
            if a.names != b.names:
                continue
            differ = [k for k in range(len(a.names)) if a.keys[k] != b.keys[k]]
            if len(differ) == 1:
                boxes[i] = a.union(b, differ[0])
                del boxes[j]
                merged = True
                break
    return boxes


# -- wording ---------------------------------------------------------------------------


def value_key(value: Any) -> Hashable:
    """A hashable stand-in for a parameter value; 1, 1.0 and True stay apart."""
    if isinstance(value, np.generic):
        value = value.item()
    try:
        hash(value)
    except TypeError:
        return ("unhashable", type(value).__name__, repr(value))
    return (type(value).__name__, value)


def _short(name: str) -> str:
    return name.rsplit("__", 1)[-1]


def _show(value: Any) -> str:
    if isinstance(value, np.generic):
        value = value.item()
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _count(n: int) -> str:
    return f"{n} candidate" if n == 1 else f"{n} candidates"


def phrase(message: str, params: Mapping[str, Any]) -> str:
    """The estimator's message, its ``Solver lbfgs`` turned into ``solver='lbfgs'``.

    >>> phrase("Solver lbfgs supports only 'l2' or None penalties, got l1 penalty.",
    ...         {"solver": "lbfgs", "penalty": "l1"})
    "solver='lbfgs' supports only 'l2' or None penalties, got l1 penalty."
    """
    for name, value in params.items():
        if not isinstance(value, str) or not value:
            continue
        short = _short(name)
        pattern = re.compile(
            rf"\b{re.escape(short)}(?:\s*=\s*|\s+)(['\"]?){re.escape(value)}\1(?![\w-])",
            re.IGNORECASE,
        )
        message = pattern.sub(_literal(f"{short}={value!r}"), message)
    return message


def _literal(text: str) -> Callable[[re.Match[str]], str]:
    """A replacement for ``re.sub`` that inserts ``text`` as is (no escapes, no groups)."""
    return lambda _match: text


def _cause(reason: str) -> str:
    """What a reason says without its ", got <value>" tail.

    >>> _cause("Only 'saga' solver supports elasticnet penalty, got solver='liblinear'.")
    "Only 'saga' solver supports elasticnet penalty"
    """
    head = re.split(r"[,.;:]?\s+got\b", reason, maxsplit=1, flags=re.IGNORECASE)[0]
    return head.rstrip(" .") or reason
