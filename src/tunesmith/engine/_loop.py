"""The one run loop: trials asked from a study, their tasks run on an executor, told back.

Every front end drives this loop: ``Study.optimize`` (one task per trial: the
objective), the scikit-learn drop-ins (one task per fold of a candidate), and the
model-based drop-ins (the same, one candidate at a time per worker). A front end
says, for each trial the study hands out, what evaluating it takes
(:class:`TrialWork`: tasks, and how their results become the trial's
:class:`Verdict`); the engine decides when to ask, what to submit and in which
order, tells storage as each trial's last task lands, and cancels what is no
longer needed.

Call order inside :meth:`Engine.run`::

    while the budget allows and nothing stops it:
        while the executor has a free slot:
            next task of an open trial, or study.ask() -> plan(trial) -> its tasks
        executor.collect() -> each landed task; a trial whose tasks all landed
            -> work.finish(results) -> study.tell(...) -> callbacks
    on any exception (Ctrl-C, error_score="raise"): queued tasks cancelled, every
    trial this study object holds released (the next run repeats it), re-raised

With ``rounds=True`` the engine asks every trial it may before submitting, then
runs task ``i`` of every open trial before task ``i + 1`` of any, and holds round
``i + 1`` back until every task of round ``i`` has landed: a front end's
``TrialWork.landed`` hook sees each round complete and may :meth:`Engine.stop`
trials between rounds (racing over folds), whatever the number of workers.

The loop knows nothing of scikit-learn or of objectives: tasks are plain callables
that run wherever the executor puts them.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tunesmith._progress import Progress
from tunesmith.exceptions import SearchExhausted
from tunesmith.executors import Executor, Outcome
from tunesmith.records import FoldRecord, FrozenTrial, TrialState, best_trial
from tunesmith.space import Dimension

if TYPE_CHECKING:  # the study imports the engine, never the other way round
    from tunesmith.study import Study
    from tunesmith.trial import Trial

__all__ = ["Engine", "TrialWork", "Verdict"]


@dataclass(frozen=True)
class Verdict:
    """How a trial ended: what :meth:`Study.tell` records.

    ``value`` for a complete trial; ``state`` (failed, pruned, skipped) otherwise.
    ``params`` / ``dimensions`` are parameters chosen while the trial ran (define-by-run
    in a worker process), ``intermediate`` the values it reported there, ``folds`` its
    cross-validation folds. ``raise_after`` is an exception to raise once the trial
    is recorded (``raise_errors=True``).

    >>> Verdict(value=0.5).state is None
    True
    """

    #: A number, or what the objective returned instead (recorded as a failure).
    value: Any = None
    state: TrialState | None = None
    message: str | None = None
    attrs: Mapping[str, Any] | None = None
    params: Mapping[str, Any] | None = None
    dimensions: Mapping[str, Dimension] | None = None
    intermediate: Mapping[int, float] | None = None
    folds: Sequence[FoldRecord] | None = None
    raise_after: BaseException | None = None


@dataclass
class TrialWork:
    """What evaluating one trial takes: tasks to run, and how their results combine.

    Each task is ``(fn, args)``; ``fn(*args)`` runs on the executor (a worker process,
    or this process). ``finish`` gets the tasks' outcomes in task order, once every
    one has landed, and returns the trial's verdict; it runs here, in the process
    that holds the study. A task that raised comes back as an ``Outcome`` with
    ``error`` set: ``finish`` decides whether that fails the trial or the search.

    >>> work = TrialWork([(pow, (2, 3))], lambda outcomes: Verdict(value=outcomes[0].value))
    >>> len(work.tasks)
    1
    """

    tasks: Sequence[tuple[Callable[..., Any], tuple[Any, ...]]]
    finish: Callable[[list[Outcome]], Verdict]
    #: Called here as each task lands, with its index and outcome (before ``finish``
    #: when it is the last); it may :meth:`Engine.stop` this trial or others.
    landed: Callable[[int, Outcome], None] | None = None


#: What a front end gives the engine for each trial: its work, or at once its verdict
#: (a candidate skipped as invalid costs no task).
Plan = Callable[["Trial"], "TrialWork | Verdict"]


@dataclass
class _Open:
    """A trial being evaluated: its work and the outcomes landed so far."""

    trial: Trial
    work: TrialWork
    outcomes: list[Outcome | None]
    remaining: int
    queued: list[int] = field(default_factory=list)  # task ids not yet landed


class Engine:
    """Runs a study's trials on an executor, as many at a time as it has workers.

    ``max_open`` bounds how many trials are in evaluation at once (None: as many as
    the executor's capacity keeps busy; a model-based search sets its number of
    workers, so each proposal sees every result but the ones still running).
    ``count`` says what the progress bar counts: ``"trials"`` or ``"tasks"`` (fits).

    >>> import tunesmith
    >>> from tunesmith.executors import SerialExecutor
    >>> study = tunesmith.Study(space={"x": tunesmith.Float(0.0, 1.0)}, seed=0)
    >>> plan = lambda trial: TrialWork([(abs, (trial.params["x"],))],
    ...                                lambda out: Verdict(value=out[0].value))
    >>> Engine(study, SerialExecutor()).run(plan, max_trials=5)
    5
    """

    def __init__(
        self,
        study: Study,
        executor: Executor,
        *,
        max_open: int | None = None,
        progress: Progress | None = None,
        count: str = "trials",
        callbacks: Iterable[Callable[[Study, FrozenTrial], None]] = (),
        rounds: bool = False,
    ) -> None:
        if count not in ("trials", "tasks"):
            raise ValueError(f"count must be 'trials' or 'tasks', got {count!r}")
        self.study = study
        self.executor = executor
        self.max_open = max_open
        self.progress = progress
        self.count = count
        self.callbacks = list(callbacks)
        self.rounds = rounds
        self._open: dict[int, _Open] = {}  # trial id -> trial in evaluation
        self._in_flight: dict[int, tuple[_Open, int]] = {}  # task id -> (trial, index)
        self._queue: deque[tuple[_Open, int]] = deque()  # tasks not yet submitted
        self._best: float | None = None
        self._told = 0  # trials told by this engine (its run's return value)
        self._running_round: dict[int, int] = {}  # task index -> tasks in flight
        self._sorted = True  # rounds mode: whether the queue is in round order

    def run(self, plan: Plan, *, max_trials: int | None = None,
            timeout: float | None = None) -> int:
        """Evaluate trials until the study has ``max_trials`` trials, ``timeout`` seconds
        have passed, or a finite search is done; return how many this call finished.

        ``max_trials`` is a budget of the study, counted in storage at each ask, so
        several processes running one study stop at it together.
        """
        deadline = None if timeout is None else time.monotonic() + float(timeout)
        told_before = self._told
        exhausted = False
        if self.progress is not None:  # a resumed study's bar starts from its own best
            found = best_trial(self.study.trials, self.study.direction)
            self._best = None if found is None else found.value
        try:
            while True:
                while self.executor.free_slots():
                    if not self._queue or self.rounds:  # rounds: every trial asked first
                        stop = exhausted or (
                            deadline is not None and time.monotonic() >= deadline)
                        if not stop and self._may_open():
                            try:
                                trial = self.study.ask(max_trials=max_trials)
                            except SearchExhausted:  # the budget is spent (BudgetReached)
                                exhausted = True
                            else:
                                self._start(trial, plan(trial))
                                continue
                    task = self._next_task()
                    if task is None:
                        break
                    self._submit(*task)
                landed = self.executor.collect()
                if not landed:
                    if self._queue:
                        continue  # a zero-capacity executor would spin; it has none
                    break
                for outcome in landed:
                    self._land(outcome)
        except BaseException as exc:
            self.executor.shutdown(kill=isinstance(exc, KeyboardInterrupt))
            self._queue.clear()
            # Storage knows every trial this study object runs, one created by an ask
            # that was interrupted before it returned included.
            self.study.release_all()
            raise
        return self._told - told_before

    def cancel(self, trial: Trial) -> int:
        """Drop the queued tasks of an open trial; returns how many were dropped.

        Tasks already running finish; their outcomes are ignored. The trial stays open
        until the caller tells it (racing stops a candidate this way).
        """
        entry = self._open.get(trial.trial_id)
        if entry is None:
            return 0
        before = len(self._queue)
        self._queue = deque(item for item in self._queue if item[0] is not entry)
        dropped = before - len(self._queue)
        for task_id in list(entry.queued):
            if self.executor.cancel(task_id):
                self._forget(task_id)
                entry.queued.remove(task_id)
                dropped += 1
        return dropped

    def stop(self, trial: Trial, verdict: Verdict) -> int:
        """Finish an open trial now with ``verdict``: its queued tasks are dropped, the
        outcomes of those already running ignored. Returns how many tasks were dropped.

        A landed hook calls it (racing stops a candidate between rounds).
        """
        entry = self._open.get(trial.trial_id)
        if entry is None:
            return 0
        dropped = self.cancel(trial)
        del self._open[trial.trial_id]
        if self.count == "tasks" and self.progress is not None and dropped:
            self.progress.advance(dropped, best=self._best)  # the bar counts work left
        self._tell(trial, verdict)
        return dropped

    # -- internals --------------------------------------------------------------------

    def _may_open(self) -> bool:
        return self.max_open is None or len(self._open) < self.max_open

    def _start(self, trial: Trial, work: TrialWork | Verdict) -> None:
        """Queue a trial's tasks, or tell it at once (a verdict)."""
        if isinstance(work, Verdict):
            self._tell(trial, work)
            return
        if not work.tasks:
            raise ValueError(f"trial {trial.number}: a TrialWork needs at least one task")
        entry = _Open(trial, work, [None] * len(work.tasks), len(work.tasks))
        self._open[trial.trial_id] = entry
        self._queue.extend((entry, index) for index in range(len(work.tasks)))
        self._sorted = not self.rounds

    def _next_task(self) -> tuple[_Open, int] | None:
        """The next queued task to submit; None when there is none, or (rounds mode)
        when the lowest queued round waits for an earlier one to land."""
        if not self._queue:
            return None
        if not self.rounds:
            return self._queue.popleft()
        if not self._sorted:  # stable: task i of every trial, in queue order, before i + 1
            self._queue = deque(sorted(self._queue, key=lambda item: item[1]))
            self._sorted = True
        index = self._queue[0][1]
        if any(n and i < index for i, n in self._running_round.items()):
            return None  # the barrier: round `index` waits for the earlier ones to land
        return self._queue.popleft()

    def _submit(self, entry: _Open, index: int) -> None:
        fn, args = entry.work.tasks[index]
        task_id = self.executor.submit(fn, *args)
        entry.queued.append(task_id)
        self._in_flight[task_id] = (entry, index)
        self._running_round[index] = self._running_round.get(index, 0) + 1

    def _forget(self, task_id: int) -> tuple[_Open, int] | None:
        found = self._in_flight.pop(task_id, None)
        if found is not None:
            self._running_round[found[1]] -= 1
        return found

    def _land(self, outcome: Outcome) -> None:
        """Record one landed task; tell its trial when it was the last."""
        found = self._forget(outcome.task_id)
        if found is None:
            return  # a cancelled task that ran anyway
        entry, index = found
        entry.queued.remove(outcome.task_id)
        if self.count == "tasks" and self.progress is not None:
            self.progress.advance(best=self._best)
        if entry.trial.trial_id not in self._open:
            return  # the trial was stopped while this task ran
        entry.outcomes[index] = outcome
        entry.remaining -= 1
        if entry.work.landed is not None:
            entry.work.landed(index, outcome)
            if entry.trial.trial_id not in self._open:
                return  # the hook stopped it
        if entry.remaining:
            return
        del self._open[entry.trial.trial_id]
        verdict = entry.work.finish([o for o in entry.outcomes if o is not None])
        self._tell(entry.trial, verdict)

    def _tell(self, trial: Trial, verdict: Verdict) -> None:
        self._told += 1
        record = self.study.tell(
            trial, verdict.value, state=verdict.state, message=verdict.message,
            attrs=verdict.attrs, params=verdict.params, dimensions=verdict.dimensions,
            intermediate=verdict.intermediate, folds=verdict.folds,
        )
        if record.is_complete:
            value = float(record.value)  # type: ignore[arg-type]
            if self._best is None or self.study.direction.better(value, self._best):
                self._best = value
        if self.count == "trials" and self.progress is not None:
            self.progress.advance(best=self._best)
        for callback in self.callbacks:
            callback(self.study, record)
        if verdict.raise_after is not None:
            raise verdict.raise_after
