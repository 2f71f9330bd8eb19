"""A study: one search, its sampler, and its trials in storage (ask / tell / optimize)."""

from __future__ import annotations

import dataclasses
import logging
import numbers
import time
import uuid
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

from tunesmith._heartbeat import Heartbeat, HeldTrials
from tunesmith._progress import Progress
from tunesmith.engine import Detached, Engine, StudyHistory, objective_work, outcome_of
from tunesmith.exceptions import (
    SearchExhausted,
    StudyMismatchError,
)
from tunesmith.executors import Executor, make_executor
from tunesmith.pruners import Pruner, make_pruner
from tunesmith.records import Direction, FoldRecord, FrozenTrial, TrialState, best_trial
from tunesmith.report._mixin import StudyReportMixin
from tunesmith.samplers import Sampler, make_sampler
from tunesmith.space import Dimension, Space, SpaceUnion, to_space
from tunesmith.storage import Storage, open_storage
from tunesmith.study._frame import FrameMixin
from tunesmith.study._identity import (
    check_matches_stored,
    check_seed,
    check_timing,
    sampler_spec,
    space_to_json,
    stored_settings,
)
from tunesmith.study._owners import RELEASED, new_owner, take_over_abandoned
from tunesmith.study._pruning import Pruning, last_value
from tunesmith.trial import Trial

__all__ = ["Study"]

logger = logging.getLogger(__name__)



class Study(StudyReportMixin, FrameMixin):
    """One search: a space, a sampler, a direction and a stored list of trials.

    Parameters
    ----------
    space : a :class:`~tunesmith.Space`, a scikit-learn style dict (or list of dicts),
        or None for define-by-run objectives.
    direction : ``"minimize"`` or ``"maximize"``; None (the default) means minimize for
        a new study and the stored direction for one loaded with ``load_if_exists``.
    sampler : a Sampler, or a name from ``tunesmith.samplers.SAMPLERS``
        (``"random"``, ``"tpe"``, ...); None means random search for a new study and
        the stored sampler (name and seed) for a loaded one.
    storage : None (in memory), a database URL (``"sqlite:///runs.db"``), or a Storage.
    name : the study's name in storage; generated when None.
    load_if_exists : continue the stored study of that name instead of failing.
    seed : seeds the sampler when it is given by name (an integer in [0, 2**32 - 1]).
    pruner : a Pruner, a name (``"median"``, ``"asha"``, ``"hyperband"``) or None.
    stale_after : seconds without a heartbeat after which another host's running
        trial counts as abandoned (a dead process on this host is noticed at once).
    heartbeat_interval : seconds between heartbeats; below ``stale_after``.

    >>> import tunesmith
    >>> study = tunesmith.Study(space={"x": tunesmith.Float(-2.0, 2.0)}, seed=1)
    >>> study.optimize(lambda t: (t.params["x"] - 1) ** 2, n_trials=30)
    >>> round(study.best_params["x"], 1)
    1.0
    """

    def __init__(
        self,
        *,
        space: Any = None,
        direction: Direction | str | None = None,
        sampler: Sampler | str | None = None,
        storage: Storage | str | None = None,
        name: str | None = None,
        load_if_exists: bool = False,
        seed: int | None = None,
        stale_after: float = 120.0,
        heartbeat_interval: float = 10.0,
        pruner: Pruner | str | None = None,
    ) -> None:
        check_seed(seed)
        self.stale_after, self.heartbeat_interval = check_timing(stale_after,
                                                                  heartbeat_interval)
        if name is not None and (not isinstance(name, str) or not name.strip()):
            raise ValueError(f"name must be a non-empty string or None, got {name!r}")
        self.space: Space | SpaceUnion | None = None if space is None else to_space(space)
        self.storage = open_storage(storage)
        # close() closes only a storage this study opened (from a URL or None).
        self._owns_storage = not isinstance(storage, Storage)
        self.name = name if name is not None else f"study-{uuid.uuid4().hex[:8]}"
        self.owner = new_owner()

        stored = stored_settings(self.storage, self.name) if load_if_exists else None
        self.direction = (Direction.parse(direction) if direction is not None
                          else stored.direction if stored is not None else Direction.MINIMIZE)
        if sampler is None and stored is not None and stored.sampler is not None:
            sampler = stored.sampler
            seed = stored.seed if seed is None else seed
        self.sampler = make_sampler(sampler, seed=seed)
        self.sampler.direction = self.direction  # model-based samplers need to know "better"

        attrs: dict[str, Any] = {"direction": self.direction.value,
                                 "sampler": repr(self.sampler)}
        spec = sampler_spec(self.sampler)
        if spec is not None:
            attrs["sampler_spec"] = spec
        if self.space is not None:
            space_json = space_to_json(self.space)
            if space_json is not None:
                attrs["space"] = space_json
        self.study_id = self.storage.create_study(
            self.name, direction=self.direction, attrs=attrs, load_if_exists=load_if_exists
        )
        check_matches_stored(self.storage, self.study_id, self.name, self.direction, attrs)
        self._history = StudyHistory(self.storage, self.study_id)
        self.pruner = make_pruner(pruner, seed=seed)
        self._pruning = Pruning(self.pruner, self.storage, self.study_id, self.direction)
        self._candidates: Sequence[Mapping[str, Any]] | None = None
        self._candidates_ready = False
        self._cursor = 0
        self._held: set[int] = HeldTrials()  # running trials this process owns
        self._heartbeat: Heartbeat | None = None
        self._released = False
        self._next_scan = 0.0

    # -- reading --------------------------------------------------------------------

    @property
    def trials(self) -> list[FrozenTrial]:
        """All trials, ordered by number."""
        return list(self._history.trials())

    @property
    def best_trial(self) -> FrozenTrial:
        """The complete trial with the best value; on ties the earliest
        (:func:`tunesmith.records.best_trial`, the one definition of best)."""
        best = best_trial(self._history.trials(), self.direction)
        if best is None:
            raise ValueError(
                f"study {self.name!r} has no complete trial yet; run optimize() first"
            )
        return best

    @property
    def best_value(self) -> float:
        return float(self.best_trial.value)  # type: ignore[arg-type]

    @property
    def best_params(self) -> dict[str, Any]:
        return dict(self.best_trial.params)

    # -- ask / tell -----------------------------------------------------------------

    def ask(self, *, max_trials: int | None = None) -> Trial:
        """Start a trial: a dead worker's trial first, then the sampler's next point.

        Raises :class:`~tunesmith.SearchExhausted` when a finite search has a trial
        for every point, and its child :class:`~tunesmith.BudgetReached` when the
        study already holds ``max_trials`` trials (counted in storage, so several
        processes sharing the study stop at the same total).
        """
        try:
            trial = (self._rerun_abandoned() or self._claim_candidate(max_trials)
                     or self._propose(max_trials))
        except SearchExhausted:
            # Every point has a trial, but a worker may have died holding one since
            # the last look (looks are rate-limited): look once more before giving up.
            self._released = True
            found = self._rerun_abandoned()
            if found is None:
                raise
            trial = found
        self._held.add(trial.trial_id)
        self._ensure_heartbeat()
        return trial

    def tell(
        self,
        trial: Trial | int,
        value: float | None = None,
        *,
        state: TrialState | str | None = None,
        message: str | None = None,
        attrs: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        dimensions: Mapping[str, Dimension] | None = None,
        intermediate: Mapping[int, float] | None = None,
        folds: Sequence[FoldRecord] | None = None,
    ) -> FrozenTrial:
        """Finish a trial with its value, or with a state (failed, pruned, skipped).

        A NaN or infinite value records a FAILED trial with the reason. Telling a
        finished trial again changes nothing. ``params`` / ``dimensions`` add
        parameters chosen while the trial ran elsewhere, ``intermediate`` the values
        it reported there, ``folds`` its cross-validation folds.
        """
        live = trial if isinstance(trial, Trial) else None
        trial_id = trial.trial_id if isinstance(trial, Trial) else self._trial_id_of(trial)
        final_state, final_value, final_message = outcome_of(value, state, message)
        if final_state is TrialState.PRUNED and final_value is None:
            final_value = last_value(live, self.storage, trial_id)  # stopped where it was
        all_attrs = {**(live.attrs if live else {}), **(attrs or {})}
        all_params, all_dims = live._unsaved() if live else ({}, {})
        all_params.update(params or {})
        all_dims.update(dimensions or {})
        reported = {**(live.intermediate if live else {}), **(intermediate or {})}
        for step, step_value in sorted(reported.items()):
            self.storage.report(trial_id, step, step_value)
        changed = self.storage.finish_trial(
            trial_id,
            final_state,
            value=final_value,
            params=all_params or None,
            dimensions=all_dims or None,
            attrs=all_attrs or None,
            message=final_message,
            folds=folds,
        )
        self._held.discard(trial_id)
        if changed and live is not None:
            # What storage now holds, without reading it back (a query per trial).
            old = live._record
            record = dataclasses.replace(
                old, state=final_state, value=final_value, message=final_message,
                params={**old.params, **all_params}, attrs={**old.attrs, **all_attrs},
                dimensions={**old.dimensions, **all_dims},
                intermediate={**old.intermediate, **live.reported, **reported},
                folds=tuple(folds) if folds else old.folds,
                finished_at=datetime.now(timezone.utc))
        else:
            record = self.storage.trial(trial_id)
        self._history.update(record)
        self.sampler.after_trial(record)
        return record

    def optimize(
        self,
        objective: Callable[[Trial], float],
        n_trials: int | None = None,
        *,
        timeout: float | None = None,
        n_jobs: int | None = 1,
        executor: Executor | str | Any = None,
        raise_errors: bool = False,
        show_progress: bool | None = None,
        callbacks: Iterable[Callable[[Study, FrozenTrial], None]] = (),
    ) -> None:
        """Run ``objective`` on new trials until the study has ``n_trials``, ``timeout``
        seconds pass, or a finite space is exhausted.

        ``n_trials`` is the study's budget, counted in storage: a resumed study runs
        only what is missing, and several processes running one study stop at
        ``n_trials`` together. ``n_jobs`` worker processes (-1: every CPU) or an
        ``executor`` run the trials; a seeded grid or random study gives the same
        trials whatever ``n_jobs`` is. An exception, None, NaN or inf from the
        objective records a FAILED trial and the search goes on, unless
        ``raise_errors=True``; ``TrialPruned`` records a PRUNED trial. Ctrl-C leaves
        every finished trial stored and releases the running ones, so that the next
        run repeats them.
        """
        if not callable(objective):
            raise TypeError(f"objective must be a function that takes a trial, got "
                            f"{type(objective).__name__} {objective!r:.60}")
        if n_trials is not None and (isinstance(n_trials, bool)
                                     or not isinstance(n_trials, numbers.Integral)
                                     or n_trials < 0):
            raise ValueError(f"n_trials must be a non-negative integer or None, got {n_trials!r}")
        if timeout is not None and (isinstance(timeout, bool)
                                    or not isinstance(timeout, numbers.Real)
                                    or not timeout > 0):
            raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
        if n_trials is None and timeout is None and self._finite_size() is None:
            raise ValueError(
                "optimize needs n_trials or timeout on an infinite space; "
                "e.g. study.optimize(objective, n_trials=100)"
            )
        runner = make_executor(n_jobs, executor=executor)  # a Client, an address too
        in_process = getattr(runner, "in_process", False)

        def plan(trial: Trial) -> Any:
            target: Trial | Detached = trial if in_process else self._detach(trial)
            return objective_work(objective, target, raise_errors)

        done_before = len(self._history.trials())
        budget = None if n_trials is None else int(n_trials)
        total = self._finite_size() if budget is None else budget
        if total is not None:
            total = max(total - done_before, 0)
        failed_before = self._count(TrialState.FAILED)
        try:
            with Progress(total, description=self.name, enabled=show_progress) as bar:
                engine = Engine(self, runner, max_open=max(1, runner.n_workers), progress=bar,
                                callbacks=callbacks)
                finished = engine.run(plan, max_trials=budget, timeout=timeout)
        finally:
            self._pruning.stop()
            if runner is not executor:  # made here: ours to shut down
                runner.shutdown()
        if finished and self._count(TrialState.FAILED) - failed_before == finished:
            warnings.warn(
                f"every one of the {finished} trials of study {self.name!r} failed; the "
                f"last said: {self._last_message()}. Pass raise_errors=True to see the "
                "traceback", RuntimeWarning, stacklevel=2)

    def release(self, trial: Trial) -> None:
        """Give up a running trial so that the next ask (here or elsewhere) re-runs it."""
        self._give_up(trial.trial_id)

    def release_all(self) -> int:
        """Give up every trial this study object is running; returns how many.

        What Ctrl-C and a failing worker pool call. It asks storage, not the trials
        this object has handed out: a Ctrl-C can land after a trial was created and
        before ``ask`` returned it, and that trial must not be left in a live owner's
        name (only a release, a dead process or a stale heartbeat frees a trial).

        >>> import tunesmith
        >>> study = tunesmith.Study(space={"x": tunesmith.Float(0.0, 1.0)}, seed=0)
        >>> first = study.ask()
        >>> study.release_all()
        1
        >>> study.ask().number == first.number  # the released trial is asked again
        True
        """
        running = self.storage.trials(self.study_id, states=[TrialState.RUNNING])
        released = sum(self._give_up(t.trial_id) for t in running if t.owner == self.owner)
        self._held.clear()
        self._released = True
        return released

    def _give_up(self, trial_id: int) -> bool:
        """Put a trial of ours in no one's name, for the next ask; False if it was not ours."""
        self._held.discard(trial_id)
        self._released = True
        return self.storage.take_over_trial(trial_id, old_owner=self.owner,
                                            new_owner=RELEASED) is not None

    def close(self) -> None:
        """Stop the heartbeat and close the storage's connections.

        A Storage passed in by the caller stays open: the caller owns it.
        """
        if self._heartbeat is not None:
            self._heartbeat.stop()
            self._heartbeat = None
        if self._owns_storage:
            self.storage.close()

    # -- internals ------------------------------------------------------------------

    def _propose_one(self, number: int, name: str, dimension: Dimension,
                     params: dict[str, Any]) -> Any:
        # The history as of the ask: define-by-run parameters read nothing more.
        history = self._history.trials(refresh=False) if self.sampler.uses_history else []
        return self.sampler.propose_one(name, dimension, history, number, params)

    def _trial(self, record: FrozenTrial, params: Mapping[str, Any],
               presampled: Mapping[str, tuple[Any, Dimension]] | None = None) -> Trial:
        return Trial(record, params, self._dimensions_for(params), propose=self._propose_one,
                     report=self._pruning.report, presampled=presampled,
                     judge=self._pruning.judge if self._pruning.active else None)

    def _detach(self, trial: Trial) -> Detached:
        """What a worker process needs to run this trial (no study, no storage)."""
        return Detached(trial._record, trial.params, trial.dimensions,
                        dict(trial._presampled), self.sampler, self._pruning.channel())

    def _candidate_list(self) -> Sequence[Mapping[str, Any]] | None:
        if not self._candidates_ready:
            self._candidates = self.sampler.candidates(self.space)
            self._candidates_ready = True
        return self._candidates

    def _finite_size(self) -> int | None:
        candidates = self._candidate_list()
        return None if candidates is None else len(candidates)

    def _count(self, state: TrialState) -> int:
        return sum(t.state is state for t in self._history.trials(refresh=False))

    def _last_message(self) -> str:
        for trial in reversed(self._history.trials(refresh=False)):
            if trial.message:
                return trial.message
        return "no message"

    def _rerun_abandoned(self) -> Trial | None:
        # Looking costs a query, so look at the first ask, after a release, and then
        # a few times per stale_after period: abandoned trials are rare.
        now = time.monotonic()
        first = self._next_scan == 0.0  # also in memory: a shared storage may hold releases
        if not (self._released or first
                or (self.storage.is_persistent and now >= self._next_scan)):
            return None
        self._released = False
        self._next_scan = now + self.stale_after / 4
        taken = take_over_abandoned(self.storage, self.study_id, self.owner,
                                    stale_after=self.stale_after)
        if taken is None:
            return None
        self._released = True  # a dead worker may have left several: look at the next ask
        return self._start(taken)

    def _claim_candidate(self, max_trials: int | None) -> Trial | None:
        candidates = self._candidate_list()
        if candidates is None:
            return None
        taken = self.storage.taken_candidates(self.study_id)
        while self._cursor < len(candidates):
            index = self._cursor
            self._cursor += 1
            if index in taken:
                continue
            record = self.storage.create_trial(self.study_id, owner=self.owner,
                                               candidate=index, max_trials=max_trials,
                                               budget=self.sampler.candidate_budget(index))
            if record is not None:
                return self._start(record)
            taken = self.storage.taken_candidates(self.study_id)
        raise SearchExhausted(
            f"every one of the {len(candidates)} candidates of study {self.name!r} has a trial"
        )

    def _propose(self, max_trials: int | None) -> Trial:
        record = self.storage.create_trial(self.study_id, owner=self.owner,
                                           max_trials=max_trials)
        assert record is not None  # no candidate given: creation always succeeds
        try:
            return self._start(record)
        except BaseException:  # the sampler failed: the next ask takes this trial again
            self._give_up(record.trial_id)
            raise

    def _start(self, record: FrozenTrial) -> Trial:
        """Fix a trial's declared parameters: from its candidate, or from the sampler."""
        self._history.update(record)
        if record.candidate is not None:
            candidates = self._candidate_list()
            if candidates is None or record.candidate >= len(candidates):
                raise StudyMismatchError(
                    f"trial {record.number} of study {self.name!r} is candidate "
                    f"{record.candidate}, which this study's sampler does not have; "
                    "resume with the same space and sampler"
                )
            return self._trial(record, dict(candidates[record.candidate]))
        if self.space is None:
            return self._trial(record, {}, self._presample(record))
        if record.params:  # taken over from a dead worker: run its point again
            return self._trial(record, record.params)
        history = self._history.trials() if self.sampler.uses_history else []
        params = self.sampler.propose(self.space, history, record.number)
        dimensions = self._dimensions_for(params)
        if self.sampler.uses_history:
            # Stored before the objective runs, so that other workers' samplers count
            # the point as taken, and a re-run after a crash evaluates the same point
            # (one more write per trial; samplers that ignore history derive the point
            # from the seed and the trial number alone, so they need neither).
            self.storage.set_trial_params(record.trial_id, params, dimensions)
            record = dataclasses.replace(record, params=params, dimensions=dimensions)
        return self._trial(record, params)

    def _presample(self, record: FrozenTrial) -> dict[str, tuple[Any, Dimension]]:
        """Define-by-run: the parameters complete trials agree on, proposed jointly (a
        model-based sampler sees how they interact); the objective still decides which
        it asks for, a value it does not ask for is never recorded. A finite known space
        with a trial at every point is not the end (the objective may ask for more, as a
        branch's parameters): its parameters are then proposed one at a time."""
        if not self.sampler.uses_history:
            return {}  # independent draws: one at a time gives the same values
        known = self._history.known_space()
        if known is None:
            return {}
        try:
            point = self.sampler.propose(known, self._history.trials(refresh=False), record.number)
        except SearchExhausted:
            return {}
        return {name: (value, known[name]) for name, value in point.items()}

    def _dimensions_for(self, params: Mapping[str, Any]) -> dict[str, Any]:
        return {} if self.space is None else self.space.dimensions_of(params)

    def _trial_id_of(self, number: int) -> int:
        for trial in self._history.trials():
            if trial.number == number:
                return trial.trial_id
        raise ValueError(f"study {self.name!r} has no trial number {number}")

    def _ensure_heartbeat(self) -> None:
        if self.storage.is_persistent and self._heartbeat is None:
            self._heartbeat = Heartbeat(self.storage, self._held, self.heartbeat_interval)
