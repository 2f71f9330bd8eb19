"""Running a user's objective as the engine's task, in this process or in a worker.

In this process the objective gets the live :class:`~tunesmith.Trial`: define-by-run
parameters come from the study's sampler over the whole history, reports go straight
to storage. In a worker process it gets a trial rebuilt from what the ask decided
(the candidate's or sampler's point, and the define-by-run parameters the study
already knew, chosen jointly); anything new is drawn by a copy of the sampler that
sees no history, and reports travel back with the result, or, when the study has a
pruner, go to the study's process as they happen over the prune channel
(``_channel``), which also answers ``trial.should_prune()``. Either way the outcome is
a :class:`~tunesmith.engine.Verdict`, so the study records it the same way; a pruned
trial's value is its last report.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from typing import Any

from tunesmith.engine._channel import PruneChannel, PruneClient
from tunesmith.engine._loop import TrialWork, Verdict
from tunesmith.exceptions import InvalidSpaceError, TrialPruned
from tunesmith.executors import Outcome
from tunesmith.records import FrozenTrial, TrialState
from tunesmith.samplers import Sampler
from tunesmith.space import Dimension
from tunesmith.trial import Trial

__all__ = ["Detached", "objective_work", "outcome_of", "run_objective"]

Objective = Callable[[Trial], Any]


class Detached:
    """What a worker process needs to rebuild a trial: no study, no storage.

    >>> from tunesmith.records import FrozenTrial, TrialState
    >>> from tunesmith.samplers import RandomSampler
    >>> d = Detached(FrozenTrial(number=0, state=TrialState.RUNNING), {}, {}, {},
    ...              RandomSampler(seed=0))
    >>> t = d.trial()
    >>> t.float("x", 0.0, 1.0) == d.trial().float("x", 0.0, 1.0)  # seeded by (seed, number)
    True
    """

    def __init__(self, record: FrozenTrial, params: dict[str, Any],
                 dimensions: dict[str, Dimension],
                 presampled: dict[str, tuple[Any, Dimension]], sampler: Sampler,
                 channel: PruneChannel | None = None) -> None:
        self.record = record
        self.params = params
        self.dimensions = dimensions
        self.presampled = presampled
        self.sampler = sampler
        self.channel = channel  # the study's pruner, reached from a worker; None: no pruner

    def trial(self, client: PruneClient | None = None) -> Trial:
        """The trial, its reports and prune questions going through ``client`` if given."""
        sampler = self.sampler

        def propose(number: int, name: str, dimension: Dimension,
                    params: dict[str, Any]) -> Any:
            return sampler.propose_one(name, dimension, [], number, params)

        return Trial(self.record, self.params, self.dimensions, propose=propose,
                     presampled=self.presampled,
                     report=None if client is None else client.report,
                     judge=None if client is None else client.should_prune)


def run_objective(objective: Objective, trial: Trial | Detached,
                  raise_errors: bool) -> Verdict:
    """Call the objective on a trial; every way it can end, as a verdict.

    A misuse of tunesmith's API inside the objective (inverted bounds, a parameter
    redefined) is a programming error, not a result: it is raised after the trial is
    recorded as failed, whatever ``raise_errors`` says.
    """
    channel = trial.channel if isinstance(trial, Detached) else None
    client = None if channel is None else channel.connect()
    try:
        live = trial.trial(client) if isinstance(trial, Detached) else trial
        return _run(objective, live, raise_errors)
    finally:
        if client is not None:
            client.close()  # returns once the study has stored every report


def _run(objective: Objective, live: Trial, raise_errors: bool) -> Verdict:
    try:
        value = objective(live)
    except TrialPruned as exc:
        return _verdict(live, state=TrialState.PRUNED, message=str(exc) or None)
    except (Exception, SystemExit) as exc:
        fatal = raise_errors or isinstance(exc, (InvalidSpaceError, SystemExit))
        return _verdict(live, state=TrialState.FAILED,
                        message=f"{type(exc).__name__}: {exc}",
                        raise_after=exc if fatal else None)
    verdict = _verdict(live, value=value)
    state, _, message = outcome_of(value, None, None)
    if raise_errors and state is TrialState.FAILED:
        return _verdict(live, value=value,
                        raise_after=ValueError(f"trial {live.number} failed: {message}"))
    return verdict


def objective_work(objective: Objective, trial: Trial | Detached,
                   raise_errors: bool) -> TrialWork:
    """One task: the objective on the trial; its verdict is the trial's."""
    return TrialWork([(run_objective, (objective, trial, raise_errors))], _only_verdict)


def _only_verdict(outcomes: list[Outcome]) -> Verdict:
    (outcome,) = outcomes
    if outcome.error is not None:  # the worker itself failed: a dead process, no pickle
        return Verdict(state=TrialState.FAILED,
                       message=f"{type(outcome.error).__name__}: {outcome.error}",
                       raise_after=outcome.error)
    verdict: Verdict = outcome.value
    return verdict


def _verdict(trial: Trial, *, value: Any = None, state: TrialState | None = None,
             message: str | None = None, raise_after: BaseException | None = None) -> Verdict:
    params, dimensions = trial._unsaved()
    attrs = trial.attrs
    last = trial.last_report
    if state is TrialState.PRUNED and value is None and last is not None:
        value = last[1]  # a pruned trial keeps its last reported value
    return Verdict(
        value=value if isinstance(value, numbers.Real) or value is None else _describe(value),
        state=state, message=message, attrs=attrs or None, params=params or None,
        dimensions=dimensions or None, intermediate=trial.intermediate or None,
        raise_after=raise_after,
    )


class _NotANumber:
    """What an objective returned instead of a number, kept as text for the message.

    The object itself might not pickle back from a worker; its repr does.
    """

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def _describe(value: Any) -> _NotANumber:
    try:
        return _NotANumber(repr(value)[:200])
    except Exception:
        return _NotANumber(f"<{type(value).__name__}>")


def outcome_of(value: Any, state: TrialState | str | None,
               message: str | None) -> tuple[TrialState, float | None, str | None]:
    """The state, value and message a tell records.

    >>> outcome_of(float("nan"), None, None)
    (<TrialState.FAILED: 'failed'>, None, 'the objective returned nan')
    """
    if state is not None:
        state = TrialState.parse(state)
        if state is TrialState.RUNNING:
            raise ValueError("tell needs a final state, not 'running'")
        if state is not TrialState.COMPLETE:
            return state, _as_float_or_none(value), message
    if value is None:
        return TrialState.FAILED, None, message or "the objective returned None"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return (TrialState.FAILED, None,
                message or f"the objective returned {value!r}, not a number")
    value = float(value)
    if not math.isfinite(value):
        return TrialState.FAILED, None, message or f"the objective returned {value}"
    return TrialState.COMPLETE, value, message


def _as_float_or_none(value: Any) -> float | None:
    if value is None or isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    value = float(value)
    return value if math.isfinite(value) else None
