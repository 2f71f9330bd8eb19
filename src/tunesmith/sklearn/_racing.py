"""Racing over folds: a candidate statistically worse than the leader is not fitted further.

A search with ``racing=True`` evaluates its folds in rounds: fold 0 of every
candidate, then fold 1 of every candidate still in the race, and so on (the
engine's ``rounds`` mode holds a round back until the previous one has landed, so
the decisions do not depend on the number of workers). After each round, each
candidate with at least ``min_folds`` folds is compared with the *leader* of the
candidates still in the race over the same folds. The default test,
``method="ranks"``, is F-Race's (:func:`tunesmith.stats.race_round`): folds are blocks,
the candidates are ranked within each fold, the residual variance of the ranks is
pooled over every candidate alive (``(n - 1)(m - 1)`` degrees of freedom for ``n``
candidates on ``m`` folds), Nadeau and Bengio's correction for overlapping training
sets inflates it, and the leader is the best mean rank; ``method="scores"`` fits the
same model to the scores, ``method="paired"`` is the earlier rule, a corrected paired
t-test of the candidate against the best mean (:func:`tunesmith.stats.compare_folds`,
``m - 1`` degrees of freedom). A candidate whose ``confidence`` interval of the
difference to the leader lies entirely below zero is stopped: its queued folds are
dropped and its trial is recorded PRUNED with the folds it finished, their mean,
and the reason. A model-based search (TPE) asks the same question after each fold
of each trial, against the trials with the same folds done (the finished ones
included). A candidate with a failed (NaN) fold is not judged and not pooled.

With ``Racing(tolerance=...)`` (> 0, the scores' scale) a candidate is also stopped
when, at ``confidence``, it cannot beat the leader by more than ``tolerance`` (an
indifference zone: the upper end of the ``confidence`` interval of its mean score minus
the leader's, from the pair's own fold differences, lies below ``tolerance``; see
:mod:`tunesmith.stats._race`). The leader never is, nor a candidate whose difference to
it is the same on every fold (identical scores included: on coarse scores that is as
often a tie of different models).

Copies are stopped first, whatever the test: a candidate whose fitted model predicted
exactly as an earlier candidate's (lower index, or trial number) on every fold it has
done, at least ``min_folds`` of them, stops as ``racing: the same model as ...``. The
fold tasks of a raced search return a digest of the model's most detailed output
(``decision_function``, ``predict_proba``, ``score_samples`` or ``predict``) on the
test rows (:func:`~tunesmith.sklearn._evaluate.predictions_digest`); equal digests mean
equal scores under any scorer. A parameter the others make idle
gives such copies on every fold (``C`` under ``penalty=None``: 26 copies of the
lesson's winner); fold scores cannot find them, since on coarse scores different
models tie as often. The first of a set of copies runs on, so the winner is the
full grid's (scikit-learn picks the first of tied candidates). A constraint that does
not bind on some training sets (a tree's ``max_depth`` above the depth it grows) gives
copies that part later; measured on the benchmark's grids, 21 of tree_wine's 68 copies
after 2 folds and 16 of forest_wine's 46 parted later, 2 of them ending better than
the model they copied, neither near the best (``benchmarks/results/early_stopping.md``).
The digests are stored in the trial's attrs (``fold_fingerprints``) so a resumed race
knows its copies.

A stopped candidate's row in ``cv_results_``: :mod:`tunesmith.sklearn._stopped`.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any

import numpy as np

from tunesmith.engine import Engine, Verdict
from tunesmith.executors import Outcome
from tunesmith.records import FrozenTrial, TrialState
from tunesmith.sklearn._evaluate import FoldResult
from tunesmith.sklearn._folds import MULTIMETRIC_ATTR, fold_records
from tunesmith.stats import RaceRound, compare_folds, race_round
from tunesmith.trial import Trial

__all__ = ["FINGERPRINTS_ATTR", "Race", "Racer", "Racing", "check_racing", "fold_attrs",
           "metric_score", "split_fraction"]

#: The trial attribute holding a raced trial's prediction digests, one per fold record
#: (so that a resumed race still knows its copies).
FINGERPRINTS_ATTR = "fold_fingerprints"


#: Racing's tests: F-Race's on ranks (the default), the same on scores, and the paired one.
METHODS = ("ranks", "scores", "paired")


@dataclasses.dataclass(frozen=True)
class Racing:
    """How a search races its candidates over the folds: ``racing=Racing(...)``.

    ``racing=True`` means ``Racing()``. After each round of folds, a candidate is
    stopped when the ``confidence`` interval of its difference to the leader lies
    entirely below zero, i.e. the leader is better at that level (each comparison at
    that level: see :mod:`tunesmith.stats._race` for why not a simultaneous one); no
    candidate is stopped before it has ``min_folds`` folds (at least 2: one fold has no
    spread). ``method`` is the test (see the module): ``"ranks"`` (F-Race: folds as
    blocks, ranks within each fold, the variance pooled over the candidates alive),
    ``"scores"`` (the same on the scores) or ``"paired"`` (a corrected paired t-test
    with the leader alone). The defaults were chosen on three tasks of
    ``benchmarks/early_stopping.py`` (``benchmarks/results/early_stopping.md``).

    ``tolerance`` (keyword, on the score's scale, default 0: off) is the score you
    accept to lose: a candidate is also stopped when, at ``confidence``, it cannot beat
    the leader by more than ``tolerance`` (an indifference zone, from the pair's own
    fold differences), which costs at most ``tolerance`` at that level, per comparison.

    Whatever the settings, a candidate that predicted exactly as an earlier one on each
    of its folds so far (at least ``min_folds``) stops as a copy of it (see the module).

    >>> Racing(confidence=0.9, min_folds=3)
    Racing(confidence=0.9, min_folds=3, method='ranks', tolerance=0.0)
    >>> Racing(min_folds=1)
    Traceback (most recent call last):
    ...
    ValueError: Racing min_folds must be an integer >= 2 (one fold has no spread to test), got 1
    >>> Racing(tolerance=-0.01)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: Racing tolerance must be a finite number >= 0 on the score's scale ... got -0.01
    """

    confidence: float = 0.8
    min_folds: int = 2
    method: str = "ranks"
    tolerance: float = dataclasses.field(default=0.0, kw_only=True)

    def __post_init__(self) -> None:
        level = self.confidence
        if (isinstance(level, bool) or not isinstance(level, numbers.Real)
                or not 0.0 < float(level) < 1.0):
            raise ValueError(f"Racing confidence must be a number between 0 and 1 "
                             f"(e.g. 0.9), got {level!r}")
        folds = self.min_folds
        if isinstance(folds, bool) or not isinstance(folds, numbers.Integral) or folds < 2:
            raise ValueError("Racing min_folds must be an integer >= 2 (one fold has no "
                             f"spread to test), got {folds!r}")
        if self.method not in METHODS:
            raise ValueError(f"Racing method must be one of {', '.join(map(repr, METHODS))}, "
                             f"got {self.method!r}")
        zone = self.tolerance
        if (isinstance(zone, bool) or not isinstance(zone, numbers.Real)
                or not (math.isfinite(float(zone)) and float(zone) >= 0.0)):
            raise ValueError("Racing tolerance must be a finite number >= 0 on the score's "
                             "scale (e.g. 0.002, the score you accept to lose; 0 turns it "
                             f"off), got {zone!r}")


def check_racing(racing: Any, n_splits: int | None = None) -> Racing | None:
    """A search's ``racing`` argument as settings (None: off); a clear error otherwise.

    >>> check_racing(True)
    Racing(confidence=0.8, min_folds=2, method='ranks', tolerance=0.0)
    >>> check_racing(False) is None
    True
    """
    if racing is None or racing is False or racing is np.False_:
        return None
    if racing is True or racing is np.True_:
        racing = Racing()
    if not isinstance(racing, Racing):
        raise ValueError(f"racing must be True, False or a tunesmith.sklearn.Racing, "
                         f"got {racing!r}")
    if n_splits is not None and racing.min_folds >= n_splits:
        raise ValueError(
            f"racing min_folds={racing.min_folds} leaves nothing to race with {n_splits} "
            f"folds: use Racing(min_folds=...) below {n_splits}, or more folds (cv=)")
    return racing


def split_fraction(splits: Sequence[tuple[np.ndarray, np.ndarray]]) -> float:
    """``n_test / n_train`` of the splits, for the corrected t-test (1/(k-1) for k-fold)."""
    n_test = float(np.mean([len(test) for _, test in splits]))
    n_train = float(np.mean([len(train) for train, _ in splits]))
    return n_test / max(n_train, 1.0)


def metric_score(scores: Any, metric: str | None) -> float:
    """The raced score of a fold: ``metric`` of a dict (its first when None), or the number."""
    if isinstance(scores, Mapping):
        value = scores[metric] if metric is not None and metric in scores else next(
            iter(scores.values()))
        return float(value)
    return float(scores)


def _order(key: Hashable) -> tuple[int, Any]:
    """Candidates' order (an index, a trial number): the first of copies runs on."""
    return (0, key) if isinstance(key, numbers.Real) else (1, str(key))


class Race:
    """Who is still in the race, every fold score so far, and the stopping rule.

    Candidates are keys (a candidate index, a trial number) labelled for messages by
    ``label``. Scores are those of the raced metric, NaN for a failed fold. With a
    pooled method the round's test is computed once for every candidate asked about
    the same folds until a new score is recorded, so the candidates stopped while a
    round is decided do not change the test of the others in that round.

    >>> race = Race(Racing(confidence=0.9, min_folds=2), n_splits=5, test_fraction=0.25)
    >>> for fold, scores in enumerate([(0.9, 0.5, 0.88), (0.92, 0.52, 0.93),
    ...                                (0.91, 0.49, 0.9)]):
    ...     for key, score in zip("abc", scores):
    ...         race.record(key, fold, score)
    >>> race.reason("b", [0, 1, 2])
    'racing: worse than candidate a (p=0.028 after 3 folds)'
    >>> race.reason("a", [0, 1, 2]) is None, race.reason("c", [0, 1, 2]) is None
    (True, True)
    """

    def __init__(self, settings: Racing, *, n_splits: int, test_fraction: float,
                 label: Callable[[Hashable], str] = lambda key: f"candidate {key}") -> None:
        self.settings = settings
        self.n_splits = n_splits
        self.test_fraction = test_fraction
        self.label = label
        self.scores: dict[Hashable, dict[int, float]] = {}
        #: Each candidate's prediction digests by fold (see :meth:`copy_of`).
        self.fingerprints: dict[Hashable, dict[int, str]] = {}
        self.stopped: set[Hashable] = set()
        self._rounds: dict[tuple[int, ...], tuple[list[Hashable], RaceRound]] = {}
        self._firsts: dict[tuple[int, ...], dict[tuple[str, ...], Hashable]] = {}

    def record(self, key: Hashable, fold: int, score: float,
               fingerprint: str | None = None) -> None:
        """Candidate ``key``'s score on ``fold``, and the digest of its predictions there."""
        self.scores.setdefault(key, {})[fold] = score
        if fingerprint is not None:
            self.fingerprints.setdefault(key, {})[fold] = fingerprint
        self._rounds.clear()
        self._firsts.clear()

    def copy_of(self, key: Hashable, folds: Sequence[int]) -> Hashable | None:
        """The first candidate (in key order) that predicted exactly as ``key`` did on
        every one of ``folds``, when it is not ``key`` itself; None otherwise.

        >>> race = Race(Racing(), n_splits=5, test_fraction=0.25)
        >>> for key, digests in {3: "ab", 7: "ab", 9: "ac"}.items():
        ...     for fold, digest in enumerate(digests):
        ...         race.record(key, fold, 0.5, digest)
        >>> race.copy_of(7, [0, 1]), race.copy_of(3, [0, 1]), race.copy_of(9, [0, 1])
        (3, None, None)
        """
        done = tuple(folds)
        mine = self._signature(key, done)
        if mine is None:
            return None
        if done not in self._firsts:
            firsts: dict[tuple[str, ...], Hashable] = {}
            for other in sorted(self.fingerprints, key=_order):
                signature = self._signature(other, done)
                if signature is not None:
                    firsts.setdefault(signature, other)
            self._firsts[done] = firsts
        first = self._firsts[done].get(mine)
        return None if first is None or first == key else first

    def _signature(self, key: Hashable, folds: tuple[int, ...]) -> tuple[str, ...] | None:
        digests = self.fingerprints.get(key, {})
        if any(k not in digests for k in folds):
            return None
        return tuple(digests[k] for k in folds)

    def leader(self, folds: Sequence[int], exclude: Hashable = None) -> Hashable | None:
        """The candidate not stopped, with all of ``folds``, of best mean over them."""
        best_key, best = None, -math.inf
        for key, done in self.scores.items():
            if key == exclude or key in self.stopped or any(k not in done for k in folds):
                continue
            mean = float(np.mean([done[k] for k in folds]))
            if mean > best:  # NaN (a failed fold) never leads; the first of ties does
                best_key, best = key, mean
        return best_key

    def reason(self, key: Hashable, folds: Sequence[int]) -> str | None:
        """Why ``key`` should stop after ``folds`` (its folds so far); None to go on."""
        if len(folds) < self.settings.min_folds or len(folds) >= self.n_splits:
            return None
        original = self.copy_of(key, folds)
        if original is not None:
            return (f"racing: the same model as {self.label(original)} (the same predictions "
                    f"on {len(folds)} folds)")
        if self.settings.method == "paired":
            return self._paired(key, folds)
        keys, test = self.round(folds)
        if key not in keys:
            return None  # a failed fold, or stopped: not judged
        row = keys.index(key)
        if test.worse[row]:
            return (f"racing: worse than {self.label(keys[test.leader])} "
                    f"(p={float(test.p_values[row]):.2g} after {len(folds)} folds)")
        if test.within[row]:
            return self._within(keys[test.leader], test, row, len(folds))
        return None

    def _within(self, leader: Hashable, test: RaceRound, row: int, m: int) -> str:
        return (f"racing: within {test.tolerance:g} of {self.label(leader)} "
                f"(at most {float(test.upper[row]):+.2g} better after {m} folds)")

    def round(self, folds: Sequence[int]) -> tuple[list[Hashable], RaceRound]:
        """The pooled test over ``folds`` of the candidates alive with finite scores
        on all of them: (their keys, the test), its rows in the keys' order."""
        done = tuple(folds)
        if done not in self._rounds:
            keys = [key for key, scores in self.scores.items()
                    if key not in self.stopped
                    and all(math.isfinite(scores.get(k, math.nan)) for k in done)]
            table = np.array([[self.scores[key][k] for k in done] for key in keys],
                             dtype=float).reshape(len(keys), len(done))
            self._rounds[done] = keys, race_round(
                table, test_fraction=self.test_fraction,
                confidence=self.settings.confidence,
                ranks=self.settings.method == "ranks", tolerance=self.settings.tolerance)
        return self._rounds[done]

    def _paired(self, key: Hashable, folds: Sequence[int]) -> str | None:
        leader = self.leader(folds, exclude=key)
        if leader is None:
            return None
        mine, theirs = self.scores[key], self.scores[leader]
        comparison = compare_folds([mine[k] for k in folds], [theirs[k] for k in folds],
                                   test_fraction=self.test_fraction,
                                   confidence=self.settings.confidence)
        # A degenerate test (no spread: every fold differs by the same amount) is the
        # scores' granularity on few folds (accuracy on small folds), not certainty.
        if comparison.reason is None and comparison.high < 0:
            return (f"racing: worse than {self.label(leader)} "
                    f"(p={comparison.p_value:.2g} after {len(folds)} folds)")
        # The indifference zone against the leader of all (the key itself never: the
        # leader of the others can be its duplicate, and each would stop the other).
        if (self.settings.tolerance == 0.0 or self.leader(folds) == key
                or not all(math.isfinite(mine[k]) for k in folds)):
            return None
        pair = race_round([[theirs[k] for k in folds], [mine[k] for k in folds]],
                          test_fraction=self.test_fraction,
                          confidence=self.settings.confidence, ranks=False,
                          tolerance=self.settings.tolerance)
        return self._within(leader, pair, 1, len(folds)) if pair.within[1] else None


class Racer:
    """Runs a :class:`Race` on the engine: a landed hook per trial that records each
    fold and stops the candidates the race rules out.

    ``rounds=True`` (a candidate list on an engine in rounds mode) decides when a
    round is complete, for every candidate in it; otherwise (a model-based search)
    after each fold of a trial, on the folds it has done from the first on.
    """

    def __init__(self, race: Race, engine: Engine, metric: str | None, *, rounds: bool,
                 rule: Callable[[Hashable, Sequence[int]], str | None] | None = None
                 ) -> None:
        self.race = race
        self.engine = engine
        self.metric = metric
        self.rounds = rounds
        #: Why a candidate should stop after its folds so far (a pruner's, or racing's).
        self.rule = race.reason if rule is None else rule
        self._trials: dict[Hashable, Trial] = {}
        self._folds: dict[Hashable, dict[int, FoldResult]] = {}
        self._waiting: dict[int, set[Hashable]] = {k: set() for k in range(race.n_splits)}

    def finished(self, key: Hashable, trial: FrozenTrial) -> None:
        """A candidate finished before this run: one with every fold may lead, a stopped
        one counts as stopped (a pruner compares with both)."""
        complete = trial.state is TrialState.COMPLETE and len(trial.folds) == self.race.n_splits
        if complete or trial.state is TrialState.PRUNED:
            digests = trial.attrs.get(FINGERPRINTS_ATTR) or [None] * len(trial.folds)
            for record, digest in zip(trial.folds, digests, strict=False):
                self.race.record(key, record.fold, metric_score(record.test_scores, self.metric),
                                 digest)
        if trial.state is TrialState.PRUNED:
            self.race.stopped.add(key)

    def hook(self, key: Hashable, trial: Trial) -> Callable[[int, Outcome], None]:
        """The landed hook of candidate ``key``'s trial."""
        self._trials[key] = trial
        self._folds[key] = {}
        if self.rounds:
            for waiting in self._waiting.values():
                waiting.add(key)

        def landed(fold: int, outcome: Outcome) -> None:
            if outcome.error is not None:
                raise outcome.error  # error_score="raise", or a broken worker pool
            self._folds[key][fold] = outcome.value
            self.race.record(key, fold, metric_score(outcome.value.test_scores, self.metric),
                             outcome.value.fingerprint)
            if self.rounds:
                self._waiting[fold].discard(key)
                if not self._waiting[fold]:
                    self._decide_round(fold)
            else:
                done = 0
                while done in self._folds[key]:
                    done += 1
                self._decide(key, range(done))

        return landed

    def _decide_round(self, fold: int) -> None:
        for key in list(self._trials):
            if key not in self.race.stopped and len(self._folds[key]) == fold + 1:
                self._decide(key, range(fold + 1))

    def _decide(self, key: Hashable, folds: Sequence[int]) -> None:
        reason = self.rule(key, folds)
        if reason is None:
            return
        self.race.stopped.add(key)
        for waiting in self._waiting.values():
            waiting.discard(key)
        kept = {k: self._folds[key][k] for k in folds}
        self.engine.stop(self._trials[key], self._verdict(kept, reason))

    def _verdict(self, folds: Mapping[int, FoldResult], reason: str) -> Verdict:
        """A stopped candidate: PRUNED, with its mean over the folds it finished.

        Its running means (step m: the mean of its first m folds) are its intermediate
        values in a model-based search, so the sampler ranks it by how far it got (not
        written for a candidate list: nothing reads them there).
        """
        order = sorted(folds)
        records = [dataclasses.replace(record, fold=k) for k, record in
                   zip(order, fold_records([folds[k] for k in order]), strict=True)]
        values = [metric_score(folds[k].test_scores, self.metric) for k in order]
        mean = float(np.mean(values))
        running = None if self.rounds else {
            i + 1: float(np.mean(values[:i + 1])) for i in range(len(order))
            if math.isfinite(float(np.mean(values[:i + 1])))}
        return Verdict(state=TrialState.PRUNED, value=mean if math.isfinite(mean) else None,
                       message=reason, attrs=fold_attrs([folds[k] for k in order]),
                       folds=records, intermediate=running or None)


def fold_attrs(folds: Sequence[FoldResult]) -> dict[str, Any] | None:
    """A trial's attrs from its folds: multimetric or not, and the prediction digests
    a race keeps (one per fold, in the order of the trial's fold records)."""
    attrs: dict[str, Any] = {}
    if folds and isinstance(folds[0].test_scores, dict):
        attrs[MULTIMETRIC_ATTR] = True
    if any(f.fingerprint is not None for f in folds):
        attrs[FINGERPRINTS_ATTR] = [f.fingerprint for f in folds]
    return attrs or None
