"""The verdict of a search: is the best better than the default, and than the rest?

Every front end (the drop-ins' ``verdict()``, a study, ``tunesmith run``, the report)
builds one :class:`SearchVerdict` through :func:`assess` (from fold scores) or
:func:`verdict` (from stored trials), and prints :meth:`SearchVerdict.lines`.

Scores are *oriented* inside: for a study that minimises, a lower loss is an improvement,
so every difference printed is "how much better the best is", whatever the direction.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tunesmith.records import Direction, FrozenTrial, best_trial
from tunesmith.stats._bayes import BayesComparison, bayes_compare_folds
from tunesmith.stats._bootstrap import Interval
from tunesmith.stats._simplest import SimplicityRule, check_simplest, simplest_of
from tunesmith.stats._ttest import FoldComparison, compare_folds
from tunesmith.stats._words import verdict_lines

__all__ = ["Contender", "HeldOut", "SearchVerdict", "assess", "fold_scores", "verdict"]


@dataclass(frozen=True)
class Contender:
    """One evaluated configuration: its parameters and its score on each fold."""

    label: str
    params: Mapping[str, Any]
    scores: np.ndarray
    number: int | None = None

    @property
    def mean(self) -> float:
        """The mean of the finite fold scores (NaN when none is finite)."""
        finite = self.scores[np.isfinite(self.scores)]
        return float(finite.mean()) if finite.size else math.nan


@dataclass(frozen=True)
class HeldOut:
    """Scores on a held-out set with bootstrap intervals: the tuned model, the default
    model, and their paired difference (tuned minus default, oriented: positive is
    better), each None when not computed."""

    n_rows: int
    tuned: Interval
    default: Interval | None = None
    difference: Interval | None = None


@dataclass(frozen=True)
class SearchVerdict:
    """What the statistics say about a finished search.

    ``versus_default`` is the corrected resampled t-test of the best against the default
    on the same folds (oriented: a positive ``difference`` means the best is better);
    ``tied`` the other contenders not significantly worse than the best;
    ``simplest`` the contender the simplicity rule picks among the best and the tied;
    ``notes`` say what could not be computed and why. ``points`` is True when
    differences read best as percentage points (every score between 0 and 1).
    """

    metric: str
    direction: Direction
    confidence: float
    test_fraction: float | None
    best: Contender
    default: Contender | None = None
    versus_default: FoldComparison | None = None
    tied: tuple[Contender, ...] = ()
    n_compared: int = 0
    simplest: Contender | None = None
    simplicity: Mapping[str, Any] | None = None
    held_out: HeldOut | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    points: bool = False
    #: True when ``test_fraction`` was not given and k-fold (``1 / (k - 1)``) was assumed.
    fraction_assumed: bool = False
    #: The Bayesian correlated t-test of the best against the default (with ``rope=``).
    bayes_default: BayesComparison | None = None

    @property
    def beats_default(self) -> bool | None:
        """True when the best is significantly better than the default on the folds,
        False when it is not, None when it could not be tested."""
        c = self.versus_default
        if c is None or c.n_folds == 0 or (c.n_folds == 1 and c.reason):
            return None
        return c.significant and c.difference > 0

    def lines(self) -> list[str]:
        """The verdict in plain sentences, one per line (what ``tunesmith run`` prints)."""
        return verdict_lines(self)


def _oriented(scores: np.ndarray, direction: Direction) -> np.ndarray:
    return scores if direction is Direction.MAXIMIZE else -scores


def assess(
    best: Contender,
    others: Sequence[Contender] = (),
    *,
    direction: Direction | str = Direction.MAXIMIZE,
    test_fraction: float | None = None,
    default: Contender | None = None,
    confidence: float = 0.95,
    simplest: SimplicityRule | None = None,
    held_out: HeldOut | None = None,
    metric: str = "score",
    notes: Iterable[str] = (),
    rope: float | None = None,
) -> SearchVerdict:
    """The verdict from fold scores: the best against the default and the others.

    ``test_fraction`` is ``n_test / n_train`` of a fold; None assumes k-fold
    (``1 / (k - 1)``) and says so in the notes. A contender is *tied* with the best when
    the corrected t-test of their paired folds finds no significant difference. With
    ``rope`` (a half-width in the scores' units: 0.01 is one point of accuracy) the best
    and the default are also compared by the Bayesian correlated t-test.

    >>> best = Contender("trial 0", {"C": 10}, np.array([0.84, 0.86, 0.85, 0.87, 0.83]), 0)
    >>> other = Contender("trial 1", {"C": 1}, np.array([0.83, 0.86, 0.84, 0.86, 0.83]), 1)
    >>> default = Contender("default", {}, np.array([0.80, 0.81, 0.79, 0.82, 0.80]))
    >>> v = assess(best, [other], default=default, simplest={"C": "min"})
    >>> print("\\n".join(v.lines()))
    better than default (mean 0.80400): yes, +4.6 points, 95% interval [+2.5, +6.7] (p = 0.004)
    tied with the best: 1 other candidate (of 1; not significantly worse)
    simplest of the tied (C: min): trial 1, C=1, mean 0.84400
    (corrected resampled t-test over 5 folds, test/train = 0.25 assumed (k-fold), 95% intervals)
    """
    direction = Direction.parse(direction)
    k = int(best.scores.size)
    assumed = test_fraction is None
    if test_fraction is None:
        test_fraction = 1.0 / (k - 1) if k >= 2 else 0.0
    if simplest is not None:
        check_simplest(simplest, [best, *others])
    top = _oriented(best.scores, direction)
    versus_default = bayes = None
    if default is not None and default.scores.shape != best.scores.shape:
        raise ValueError(
            f"the default has {default.scores.size} fold scores and the best "
            f"{best.scores.size}: give the default's score on each of the search's folds, "
            "in the same order")
    if default is not None:
        versus_default = compare_folds(top, _oriented(default.scores, direction),
                                       test_fraction=test_fraction, confidence=confidence)
        if rope is not None:
            bayes = bayes_compare_folds(top, _oriented(default.scores, direction),
                                        test_fraction=test_fraction, rope=rope)
    tied: list[Contender] = []
    compared = unpaired = unshared = 0
    for other in others:
        if other.scores.shape != best.scores.shape:
            unpaired += 1
            continue
        if not np.isfinite(other.scores).any():
            continue
        c = compare_folds(top, _oriented(other.scores, direction),
                          test_fraction=test_fraction, confidence=confidence)
        if c.n_folds == 0:  # no fold scored by both: untested, neither tied nor worse
            unshared += 1
            continue
        compared += 1
        if not (c.significant and c.difference > 0):
            tied.append(other)
    notes = list(notes)
    if unpaired:
        notes.append(f"{unpaired} candidates have another number of folds than the best "
                     "and were not compared")
    if unshared:
        notes.append(f"{unshared} candidates have no fold scored (not NaN) by both them "
                     "and the best and were not compared")
    chosen = simplest_of([best, *tied], simplest) if simplest is not None else None
    everything = [best.scores, *(o.scores for o in others)]
    if default is not None:
        everything.append(default.scores)
    finite = np.concatenate([s[np.isfinite(s)] for s in everything])
    points = bool(finite.size) and bool(np.all((finite >= 0.0) & (finite <= 1.0)))
    return SearchVerdict(
        metric=metric, direction=direction, confidence=float(confidence),
        test_fraction=test_fraction, best=best, default=default,
        versus_default=versus_default, tied=tuple(tied), n_compared=compared,
        simplest=chosen, simplicity=dict(simplest) if simplest is not None else None,
        held_out=held_out, notes=tuple(notes), points=points,
        fraction_assumed=assumed, bayes_default=bayes,
    )


def fold_scores(trial: FrozenTrial, metric: str = "score") -> np.ndarray | None:
    """A trial's score on each fold, in fold order (NaN for a failed fold), or None.

    Typed fold records (the drop-ins) first, then the list a native cross-validation
    objective keeps in ``attrs["test_scores"]``.

    >>> from tunesmith.records import FoldRecord, TrialState
    >>> t = FrozenTrial(0, TrialState.COMPLETE, value=0.6,
    ...                 folds=(FoldRecord(0, {"score": 0.5}), FoldRecord(1, {"score": 0.7})))
    >>> fold_scores(t).tolist()
    [0.5, 0.7]
    """
    if trial.folds:
        if not all(metric in f.test_scores for f in trial.folds):
            return None
        return np.array([float(f.test_scores[metric]) for f in trial.folds])
    stored = (trial.attrs or {}).get("test_scores")
    if isinstance(stored, list | tuple) and stored and all(
            isinstance(s, int | float) for s in stored):
        return np.array([float(s) for s in stored])
    return None


def _contender(trial: FrozenTrial, metric: str, label: str | None = None) -> Contender | None:
    scores = fold_scores(trial, metric)
    if scores is None:
        return None
    return Contender(label or f"trial {trial.number}", dict(trial.params), scores, trial.number)


def verdict(
    trials: Iterable[FrozenTrial],
    direction: Direction | str,
    *,
    default: FrozenTrial | Contender | Sequence[float] | np.ndarray | int | None = None,
    test_fraction: float | None = None,
    confidence: float = 0.95,
    simplest: SimplicityRule | None = None,
    held_out: HeldOut | None = None,
    metric: str = "score",
    scoring: str | None = None,
    rope: float | None = None,
) -> SearchVerdict:
    """The verdict of stored trials: the best (``records.best_trial``) against a default
    or baseline, and against every other complete trial, on their fold scores.

    ``default`` is the default model's fold scores (same folds, same order) or its
    :class:`Contender`, a baseline trial, or a baseline trial's number; None leaves
    that comparison out (and says so).
    Trials without fold scores (an objective that is not cross-validated) cannot be
    tested: the verdict says so instead of guessing. ``metric`` picks the fold score of
    a multi-metric search; ``scoring`` is the name printed (``metric`` by default);
    ``rope`` adds the Bayesian correlated t-test against the default (see :func:`assess`).

    >>> from tunesmith.records import FoldRecord, TrialState
    >>> def trial(n, C, scores):
    ...     folds = tuple(FoldRecord(k, {"score": s}) for k, s in enumerate(scores))
    ...     return FrozenTrial(n, TrialState.COMPLETE, {"C": C}, sum(scores) / 3, folds=folds)
    >>> trials = [trial(0, 1.0, [0.8, 0.82, 0.81]), trial(1, 10.0, [0.79, 0.8, 0.8])]
    >>> v = verdict(trials, "maximize", default=[0.7, 0.71, 0.69], test_fraction=0.5)
    >>> v.beats_default, [t.label for t in v.tied]
    (True, ['trial 1'])
    """
    direction = Direction.parse(direction)
    trials = list(trials)
    top = best_trial(trials, direction)
    if top is None:
        raise ValueError("no complete trial: a verdict needs at least one finished trial "
                         "with a finite value")
    label = scoring or metric
    notes: list[str] = []
    best = _contender(top, metric)
    if best is None:
        return SearchVerdict(
            metric=label, direction=direction, confidence=float(confidence),
            test_fraction=test_fraction,
            best=Contender(f"trial {top.number}", dict(top.params), np.array([]), top.number),
            notes=(f"trial {top.number} has no fold scores (its objective is not "
                   "cross-validated, or stored none): nothing can be tested",),
        )
    others = [c for t in trials if t.is_complete and t.number != top.number
              for c in [_contender(t, metric)] if c is not None]
    default_c = _default_contender(default, trials, metric)
    if default_c is None:
        notes.append("no default or baseline to compare with (name one: default=)")
    return assess(best, others, direction=direction, test_fraction=test_fraction,
                  default=default_c, confidence=confidence, simplest=simplest,
                  held_out=held_out, metric=label, notes=notes, rope=rope)


def _default_contender(default: Any, trials: list[FrozenTrial], metric: str
                       ) -> Contender | None:
    if default is None or isinstance(default, Contender):
        return default
    if isinstance(default, int | np.integer) and not isinstance(default, bool):
        found = [t for t in trials if t.number == int(default)]
        if not found:
            raise ValueError(f"default={int(default)} names no trial of this study; "
                             f"give a trial number between 0 and {len(trials) - 1}")
        default = found[0]
    if isinstance(default, FrozenTrial):
        c = _contender(default, metric, label=f"baseline (trial {default.number})")
        if c is None:
            raise ValueError(f"the baseline trial {default.number} has no fold scores to "
                             "compare with")
        return c
    return Contender("default", {}, np.asarray(default, dtype=float).ravel())
