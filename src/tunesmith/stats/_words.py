"""A :class:`~tunesmith.stats.SearchVerdict` in plain sentences."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tunesmith.stats._bootstrap import Interval
    from tunesmith.stats._ttest import FoldComparison
    from tunesmith.stats._verdict import SearchVerdict

__all__ = ["verdict_lines"]


def _score(value: float) -> str:
    if not math.isfinite(value):
        return "-"
    return f"{value:.5f}" if abs(value) < 1e4 else f"{value:.6g}"


def _diff(value: float, points: bool, decimals: int | None = None) -> str:
    if math.isnan(value):
        return "-"
    if math.isinf(value):
        return "+inf" if value > 0 else "-inf"
    if points:
        return f"{100 * value:+.1f}"
    return f"{value:+.{decimals}f}" if decimals is not None else f"{value:+.4g}"


def _decimals(*values: float) -> int:
    """Decimals that give the largest finite value four significant digits."""
    finite = [abs(v) for v in values if math.isfinite(v) and v != 0]
    if not finite:
        return 3
    return max(0, 3 - math.floor(math.log10(max(finite))))


def _interval(estimate: float, c: FoldComparison | Interval, points: bool) -> str:
    unit = " points" if points else ""
    k = None if points else _decimals(estimate, c.low, c.high)
    return (f"{_diff(estimate, points, k)}{unit}, {round(100 * c.confidence)}% interval "
            f"[{_diff(c.low, points, k)}, {_diff(c.high, points, k)}]")


def _p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def _params(params: Mapping[str, Any]) -> str:
    def one(v: Any) -> str:
        return f"{v:.6g}" if isinstance(v, float) else str(v)
    return " ".join(f"{k}={one(v)}" for k, v in params.items())


def _default_line(v: SearchVerdict) -> str:
    c = v.versus_default
    if v.default is None or c is None:
        return "better than default: not tested (no default or baseline evaluated)"
    head = f"better than {v.default.label} (mean {_score(v.default.mean)})"
    if c.n_folds == 0 or c.n_folds == 1:
        return f"{head}: cannot tell: {c.reason}"
    if c.reason is not None and c.difference == 0.0:
        return f"{head}: no, the same score on every fold"
    if c.significant and c.difference > 0:
        word = "yes"
    elif c.significant:
        word = "no (worse)"
    else:
        word = "no (not significant)"
    text = f"{head}: {word}, {_interval(c.difference, c, v.points)} ({_p(c.p_value)})"
    return text + (f"; {c.reason}" if c.reason else "")


def _bayes_line(v: SearchVerdict) -> str | None:
    b = v.bayes_default
    if b is None or v.default is None:
        return None
    width = f"{100 * b.rope:.1f} points" if v.points else f"{b.rope:.4g}"
    head = f"Bayesian correlated t-test, rope +-{width}"
    if b.reason and math.isnan(b.p_right):
        return f"{head}: cannot tell: {b.reason}"
    return (f"{head}: P(best better) {b.p_right:.2f}, P(equivalent) {b.p_rope:.2f}, "
            f"P({v.default.label} better) {b.p_left:.2f}")


def _tied_line(v: SearchVerdict) -> str | None:
    if v.n_compared == 0:
        return None
    n = len(v.tied)
    if n == 0:
        return (f"tied with the best: none (each of the {v.n_compared} other candidates "
                "is significantly worse)")
    noun = "candidate" if n == 1 else "candidates"
    return f"tied with the best: {n} other {noun} (of {v.n_compared}; not significantly worse)"


def _simplest_line(v: SearchVerdict) -> str | None:
    if v.simplest is None or v.simplicity is None:
        return None
    rule = ", ".join(f"{k}: {o if isinstance(o, str) else list(o)}"
                     for k, o in v.simplicity.items())
    s = v.simplest
    if s is v.best:
        return f"simplest of the tied ({rule}): the best itself"
    return f"simplest of the tied ({rule}): {s.label}, {_params(s.params)}, mean {_score(s.mean)}"


def _held_out_lines(v: SearchVerdict) -> list[str]:
    h = v.held_out
    if h is None:
        return []
    pct = round(100 * h.tuned.confidence)

    def scored(i: Any) -> str:
        return f"{_score(i.estimate)} [{_score(i.low)}, {_score(i.high)}]"

    text = f"held-out {v.metric} on {h.n_rows} rows ({pct}% bootstrap): tuned {scored(h.tuned)}"
    if h.default is not None:
        text += f", default {scored(h.default)}"
    lines = [text]
    d = h.difference
    if d is not None:
        lines.append(f"held-out difference, tuned - default: {_interval(d.estimate, d, v.points)}")
    return lines


def verdict_lines(v: SearchVerdict) -> list[str]:
    """The sentences ``SearchVerdict.lines()`` returns."""
    if v.best.scores.size == 0:
        return [f"note: {n}" for n in v.notes] + _held_out_lines(v)
    lines = [_default_line(v)]
    lines += [line for line in (_bayes_line(v), _tied_line(v), _simplest_line(v)) if line]
    lines += _held_out_lines(v)
    lines += [f"note: {n}" for n in v.notes]
    fraction = "" if v.test_fraction is None else f", test/train = {v.test_fraction:.3g}"
    if v.fraction_assumed:
        fraction += " assumed (k-fold)"
    k = v.best.scores.size
    lines.append(f"(corrected resampled t-test over {k} fold{'' if k == 1 else 's'}{fraction}, "
                 f"{round(100 * v.confidence)}% intervals)")
    return lines
