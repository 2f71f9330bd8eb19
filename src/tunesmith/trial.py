"""The live handle an objective receives: it asks for parameters and reports progress."""

from __future__ import annotations

import builtins
import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from tunesmith.exceptions import InvalidSpaceError
from tunesmith.records import FrozenTrial
from tunesmith.space import Categorical, Dimension, Float, Int, encode_value

__all__ = ["Judge", "Proposer", "Trial"]

#: Chooses a define-by-run parameter: ``(trial number, name, dimension, params so far)``.
#: In the study's process it is the study's sampler over the history; in a worker
#: process, a copy of the sampler that sees no history (a parameter the study did not
#: know when the trial was asked has no history to learn from anyway).
Proposer = Callable[[int, str, Dimension, dict[str, Any]], Any]

#: Asks the study's pruner about a trial: ``(trial id, number, {step: value} reported
#: in this run) -> prune?``. In the study's process it reads the study's history; in a
#: worker process it asks the study's process over the prune channel.
Judge = Callable[[int, int, dict[int, float]], bool]


class Trial:
    """One evaluation in progress.

    Parameters of a declared space are fixed when the trial starts; parameters asked
    for define-by-run (``trial.float("lr", 1e-4, 1e-1, log=True)``) are proposed by the
    study's sampler on first use, and the same call again returns the same value.

    >>> import tunesmith
    >>> study = tunesmith.Study(seed=0)
    >>> trial = study.ask()
    >>> x = trial.float("x", -1.0, 1.0)
    >>> -1.0 <= x <= 1.0 and trial.float("x", -1.0, 1.0) == x
    True
    """

    def __init__(
        self,
        record: FrozenTrial,
        params: Mapping[str, Any],
        dimensions: Mapping[str, Dimension],
        *,
        propose: Proposer,
        report: Callable[[int, int, float], None] | None = None,
        presampled: Mapping[str, tuple[Any, Dimension]] | None = None,
        judge: Judge | None = None,
    ) -> None:
        self._record = record
        self._params: dict[str, Any] = dict(params)
        self._dimensions: dict[str, Dimension] = dict(dimensions)
        self._attrs: dict[str, Any] = {}
        self._propose = propose
        # None in a worker process: reports are kept and stored when the trial is told.
        self._report = report
        self._intermediate: dict[int, float] = {}
        # Every value reported in this run, wherever it went: what the pruner judges,
        # and a pruned trial's last value. (A trial re-run after a crash starts afresh.)
        self._reported: dict[int, float] = {}
        self._judge = judge  # None: no pruner, never prune
        # Values chosen jointly when the trial was asked, for define-by-run parameters
        # the study already knows: used when the objective asks for the same dimension.
        self._presampled: dict[str, tuple[Any, Dimension]] = dict(presampled or {})

    def _unsaved(self) -> tuple[dict[str, Any], dict[str, Dimension]]:
        """Parameters (and their dimensions) chosen since the trial was stored."""
        saved = self._record.params
        params = {k: v for k, v in self._params.items() if k not in saved}
        return params, {k: d for k, d in self._dimensions.items() if k in params}

    @property
    def number(self) -> int:
        """The trial's number within its study, from 0."""
        return self._record.number

    @property
    def trial_id(self) -> int:
        return self._record.trial_id

    @property
    def candidate(self) -> int | None:
        """The index in a finite candidate list (grid point), if any."""
        return self._record.candidate

    @property
    def params(self) -> dict[str, Any]:
        """The parameters chosen so far (a copy)."""
        return dict(self._params)

    @property
    def dimensions(self) -> dict[str, Dimension]:
        return dict(self._dimensions)

    @property
    def attrs(self) -> dict[str, Any]:
        return dict(self._attrs)

    # -- asking for parameters ----------------------------------------------------

    def suggest(self, name: str, dimension: Dimension) -> Any:
        """The value of parameter ``name`` drawn from ``dimension``."""
        if not isinstance(name, str) or not name:
            raise InvalidSpaceError(f"a parameter name must be a non-empty string, got {name!r}")
        known = self._dimensions.get(name)
        if name in self._params:
            if known is not None and known != dimension:
                raise InvalidSpaceError(
                    f"parameter {name!r} was already defined as {known!r}; "
                    f"it cannot change to {dimension!r} within one study"
                )
            return self._params[name]
        ready = self._presampled.pop(name, None)
        if ready is not None and ready[1] == dimension:
            value = ready[0]
        else:
            value = self._propose(self.number, name, dimension, dict(self._params))
        self._params[name] = value
        self._dimensions[name] = dimension
        return value

    def float(self, name: str, low: float, high: float, *, log: bool = False,
              step: float | None = None) -> float:
        """A float in [low, high], optionally on a log scale or a step grid."""
        return self.suggest(name, _named(name, Float, low, high, log=log, step=step))

    def int(self, name: str, low: int, high: int, *, log: bool = False, step: int = 1) -> int:
        """An integer in [low, high] (both included)."""
        return self.suggest(name, _named(name, Int, low, high, log=log, step=step))

    def categorical(self, name: str, choices: Sequence[Any]) -> Any:
        """One of ``choices``."""
        return self.suggest(name, _named(name, Categorical, choices))

    # -- reporting ------------------------------------------------------------------

    def report(self, value: builtins.float, step: builtins.int) -> None:
        """Record an intermediate value (e.g. validation loss after an epoch).

        Steps are integers (epochs, iterations, resources); a step reported again
        replaces its value. A NaN or infinite value is ignored: it is no evidence a
        pruner can use.
        """
        if isinstance(step, bool) or not isinstance(step, numbers.Integral):
            raise TypeError(f"step must be an integer (an epoch, an iteration), got {step!r}")
        value = builtins.float(value)
        if not math.isfinite(value):
            return
        step = builtins.int(step)
        self._reported[step] = value
        if self._report is not None:
            self._report(self.trial_id, step, value)
        else:
            self._intermediate[step] = value

    @property
    def intermediate(self) -> dict[builtins.int, builtins.float]:
        """Values reported and not yet stored (in a worker process: all of them)."""
        return dict(self._intermediate)

    @property
    def reported(self) -> dict[builtins.int, builtins.float]:
        """Every value reported in this run, by step (stored or not)."""
        return dict(self._reported)

    @property
    def last_report(self) -> tuple[builtins.int, builtins.float] | None:
        """The latest step reported and its value; None before the first report."""
        if not self._reported:
            return None
        step = max(self._reported)
        return step, self._reported[step]

    def should_prune(self) -> bool:
        """Whether the study's pruner asks to stop this trial now; ask after each report.

        The pruner judges the values this trial reported against the study's trials
        (see :mod:`tunesmith.pruners`). If True, raise :class:`~tunesmith.TrialPruned`:
        the trial is recorded PRUNED with its last reported value. Without a pruner, or
        before the first report, False.

        >>> import tunesmith
        >>> study = tunesmith.Study(pruner=tunesmith.MedianPruner(n_startup_trials=1))
        >>> def objective(trial):
        ...     slope = trial.float("slope", 0.1, 1.0)
        ...     for epoch in range(1, 4):
        ...         trial.report(slope / epoch, epoch)
        ...         if trial.should_prune():
        ...             raise tunesmith.TrialPruned()
        ...     return slope / 3
        >>> study.optimize(objective, n_trials=10)
        >>> pruned = [t for t in study.trials if t.state is tunesmith.TrialState.PRUNED]
        >>> all(t.value == t.intermediate[max(t.intermediate)] for t in pruned)
        True
        """
        if self._judge is None or not self._reported:
            return False
        return bool(self._judge(self.trial_id, self.number, dict(self._reported)))

    def set_attr(self, key: str, value: Any) -> None:
        """Attach a JSON-serialisable attribute, stored with the trial.

        A value storage cannot keep (an object, a set) raises here, where the
        objective can see it, not when the trial is stored.
        """
        try:
            encode_value(value)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"trial attribute {key!r} must be JSON-like (numbers, strings, "
                            f"lists, dicts of those): {exc}") from None
        self._attrs[str(key)] = value

    def __repr__(self) -> str:
        return f"Trial(number={self.number}, params={self._params!r})"


def _named(name: str, cls: type, *args: Any, **kwargs: Any) -> Dimension:
    """Build a dimension, naming the parameter in any error."""
    try:
        return cls(*args, **kwargs)
    except InvalidSpaceError as exc:
        raise InvalidSpaceError(f"parameter {name!r}: {exc}") from None
