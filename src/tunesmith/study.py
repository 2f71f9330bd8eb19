"""A study: one search, its sampler, and its trials in storage (ask / tell / optimize)."""

from __future__ import annotations

import dataclasses
import logging
import math
import numbers
import os
import socket
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from tunesmith._heartbeat import Heartbeat
from tunesmith._progress import Progress
from tunesmith.exceptions import (
    InvalidSpaceError,
    SearchExhausted,
    StudyMismatchError,
    TrialPruned,
)
from tunesmith.records import Direction, FrozenTrial, TrialState
from tunesmith.samplers import Sampler, make_sampler
from tunesmith.space import Space, SpaceUnion, to_space
from tunesmith.storage import Storage, open_storage
from tunesmith.trial import Trial

__all__ = ["Study"]

logger = logging.getLogger(__name__)

_HOST = socket.gethostname()
_RELEASED = "released"  # owner of a trial given up on purpose (Ctrl-C): free to re-run


class Study:
    """One search: a space, a sampler, a direction and a stored list of trials.

    Parameters
    ----------
    space : a :class:`~tunesmith.Space`, a scikit-learn style dict (or list of dicts),
        or None for define-by-run objectives.
    direction : ``"minimize"`` or ``"maximize"``.
    sampler : a Sampler, or a name from ``tunesmith.samplers.SAMPLERS``
        (``"random"``, ``"grid"``, ...); default random.
    storage : None (in memory), a database URL (``"sqlite:///runs.db"``), or a Storage.
    name : the study's name in storage; generated when None.
    load_if_exists : continue the stored study of that name instead of failing.
    seed : seeds the sampler when it is given by name.
    stale_after : seconds without a heartbeat after which another host's running
        trial counts as abandoned (a dead process on this host is noticed at once).

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
        direction: Direction | str = "minimize",
        sampler: Sampler | str | None = None,
        storage: Storage | str | None = None,
        name: str | None = None,
        load_if_exists: bool = False,
        seed: int | None = None,
        stale_after: float = 120.0,
        heartbeat_interval: float = 10.0,
    ) -> None:
        self.space: Space | SpaceUnion | None = None if space is None else to_space(space)
        self.direction = Direction.parse(direction)
        self.sampler = make_sampler(sampler, seed=seed)
        self.sampler.direction = self.direction  # model-based samplers need to know "better"
        self.storage = open_storage(storage)
        # close() closes only a storage this study opened (from a URL or None).
        self._owns_storage = not isinstance(storage, Storage)
        self.name = name if name is not None else f"study-{uuid.uuid4().hex[:8]}"
        self.stale_after = float(stale_after)
        self.heartbeat_interval = float(heartbeat_interval)
        self.owner = f"{_HOST}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

        attrs = {"direction": self.direction.value, "sampler": repr(self.sampler)}
        if self.space is not None:
            space_json = _space_json(self.space)
            if space_json is not None:
                attrs["space"] = space_json
        self.study_id = self.storage.create_study(
            self.name, direction=self.direction, attrs=attrs, load_if_exists=load_if_exists
        )
        self._check_matches_stored(attrs)
        self._candidates: Sequence[Mapping[str, Any]] | None = None
        self._candidates_ready = False
        self._cursor = 0
        self._held: set[int] = set()  # running trials this process owns
        self._heartbeat: Heartbeat | None = None
        self._released = False
        self._next_scan = 0.0

    # -- reading --------------------------------------------------------------------

    @property
    def trials(self) -> list[FrozenTrial]:
        """All trials, ordered by number."""
        return self.storage.trials(self.study_id)

    @property
    def best_trial(self) -> FrozenTrial:
        """The complete trial with the best value (the earliest one on ties)."""
        best: FrozenTrial | None = None
        for trial in self.storage.trials(self.study_id, states=[TrialState.COMPLETE]):
            if not trial.is_complete:
                continue
            if best is None or self.direction.better(trial.value, best.value):  # type: ignore[arg-type]
                best = trial
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

    def ask(self) -> Trial:
        """Start a trial: a dead worker's trial first, then the sampler's next point.

        Raises :class:`~tunesmith.SearchExhausted` when a finite search has a trial
        for every point.
        """
        try:
            trial = self._rerun_abandoned() or self._claim_candidate() or self._propose()
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
    ) -> FrozenTrial:
        """Finish a trial with its value, or with a state (failed, pruned, skipped).

        A NaN or infinite value records a FAILED trial with the reason. Telling a
        finished trial again changes nothing.
        """
        live = trial if isinstance(trial, Trial) else None
        trial_id = live.trial_id if live is not None else self._trial_id_of(trial)
        final_state, final_value, final_message = _outcome(value, state, message)
        all_attrs = {**(live.attrs if live else {}), **(attrs or {})}
        params, dimensions = live._unsaved() if live else ({}, {})
        self.storage.finish_trial(
            trial_id,
            final_state,
            value=final_value,
            params=params or None,
            dimensions=dimensions or None,
            attrs=all_attrs or None,
            message=final_message,
        )
        self._held.discard(trial_id)
        record = self.storage.trial(trial_id)
        self.sampler.after_trial(record)
        return record

    def optimize(
        self,
        objective: Callable[[Trial], float],
        n_trials: int | None = None,
        *,
        timeout: float | None = None,
        raise_errors: bool = False,
        show_progress: bool | None = None,
        callbacks: Iterable[Callable[[Study, FrozenTrial], None]] = (),
    ) -> None:
        """Run ``objective`` on new trials until ``n_trials``, ``timeout`` or exhaustion.

        An exception, None, NaN or inf from the objective records a FAILED trial and
        the search goes on, unless ``raise_errors=True``. ``TrialPruned`` records a
        PRUNED trial. Ctrl-C leaves every finished trial stored and releases the
        running one so that the next run repeats it.
        """
        if n_trials is not None and (isinstance(n_trials, bool) or n_trials < 0):
            raise ValueError(f"n_trials must be a non-negative integer or None, got {n_trials!r}")
        if n_trials is None and timeout is None and self._finite_size() is None:
            raise ValueError(
                "optimize needs n_trials or timeout on an infinite space; "
                "e.g. study.optimize(objective, n_trials=100)"
            )
        deadline = None if timeout is None else time.monotonic() + float(timeout)
        callbacks = list(callbacks)
        total = n_trials if n_trials is not None else self._finite_size()
        done = 0
        with Progress(total, description=self.name, enabled=show_progress) as bar:
            # The bar's best is kept up to date from each record: reading every complete
            # trial back after each one made a long study quadratic.
            best = self._best_or_none() if bar.enabled else None
            try:
                while (n_trials is None or done < n_trials) and (
                    deadline is None or time.monotonic() < deadline
                ):
                    try:
                        trial = self.ask()
                    except SearchExhausted:
                        break
                    record = self._run_one(objective, trial, raise_errors)
                    done += 1
                    if record.is_complete and (
                        best is None or self.direction.better(record.value, best)  # type: ignore[arg-type]
                    ):
                        best = float(record.value)  # type: ignore[arg-type]
                    bar.advance(best=best)
                    for callback in callbacks:
                        callback(self, record)
            except KeyboardInterrupt:
                # Wherever it landed (asking, running, telling): the next run repeats it.
                self.release_all()
                raise

    def _run_one(self, objective: Callable[[Trial], float], trial: Trial,
                 raise_errors: bool) -> FrozenTrial:
        try:
            value = objective(trial)
        except TrialPruned as exc:
            return self.tell(trial, state=TrialState.PRUNED, message=str(exc) or None)
        except Exception as exc:
            record = self.tell(
                trial, state=TrialState.FAILED, message=f"{type(exc).__name__}: {exc}"
            )
            if raise_errors:
                raise
            logger.warning("trial %d failed: %s", record.number, record.message)
            return record
        record = self.tell(trial, value)
        if raise_errors and record.state is TrialState.FAILED:
            raise ValueError(f"trial {record.number} failed: {record.message}")
        return record

    def release(self, trial: Trial) -> None:
        """Give up a running trial so that the next ask (here or elsewhere) re-runs it."""
        self.storage.take_over_trial(trial.trial_id, old_owner=self.owner, new_owner=_RELEASED)
        self._held.discard(trial.trial_id)
        self._released = True

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
        released = 0
        for trial in self.storage.trials(self.study_id, states=[TrialState.RUNNING]):
            if trial.owner == self.owner and self.storage.take_over_trial(
                    trial.trial_id, old_owner=self.owner, new_owner=_RELEASED) is not None:
                released += 1
        self._held.clear()
        self._released = True
        return released

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

    def _propose_one(self, trial: Trial, name: str, dimension: Any) -> Any:
        history = self._history()
        return self.sampler.propose_one(name, dimension, history, trial.number, trial.params)

    def _history(self) -> list[FrozenTrial]:
        if not self.sampler.uses_history:
            return []
        return self.storage.trials(self.study_id)

    def _candidate_list(self) -> Sequence[Mapping[str, Any]] | None:
        if not self._candidates_ready:
            self._candidates = self.sampler.candidates(self.space)
            self._candidates_ready = True
        return self._candidates

    def _finite_size(self) -> int | None:
        candidates = self._candidate_list()
        return None if candidates is None else len(candidates)

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
        for old in self.storage.trials(self.study_id, states=[TrialState.RUNNING]):
            if old.owner == self.owner or not self._is_abandoned(old):
                continue
            taken = self.storage.take_over_trial(
                old.trial_id, old_owner=old.owner or "", new_owner=self.owner
            )
            if taken is not None:
                logger.info("re-running trial %d, abandoned by %s", taken.number, old.owner)
                # A dead worker may have left several: look again at the next ask.
                self._released = True
                return self._start(taken)
        return None

    def _is_abandoned(self, trial: FrozenTrial) -> bool:
        owner = trial.owner or ""
        if owner == _RELEASED:
            return True
        host, _, rest = owner.partition(":")
        pid = rest.partition(":")[0]
        if host == _HOST and pid.isdigit() and not _pid_alive(int(pid)):
            return True
        if trial.heartbeat_at is None or not self.storage.is_persistent:
            return False  # nothing beats in memory: only a release frees a trial there
        age = time.time() - trial.heartbeat_at.timestamp()
        return age > self.stale_after

    def _claim_candidate(self) -> Trial | None:
        candidates = self._candidate_list()
        if candidates is None:
            return None
        taken = self.storage.taken_candidates(self.study_id)
        while self._cursor < len(candidates):
            index = self._cursor
            self._cursor += 1
            if index in taken:
                continue
            record = self.storage.create_trial(self.study_id, owner=self.owner, candidate=index)
            if record is not None:
                return self._start(record)
            taken = self.storage.taken_candidates(self.study_id)
        raise SearchExhausted(
            f"every one of the {len(candidates)} candidates of study {self.name!r} has a trial"
        )

    def _propose(self) -> Trial:
        record = self.storage.create_trial(self.study_id, owner=self.owner)
        assert record is not None  # no candidate given: creation always succeeds
        return self._start(record)

    def _start(self, record: FrozenTrial) -> Trial:
        """Fix a trial's declared parameters: from its candidate, or from the sampler."""
        if record.candidate is not None:
            candidates = self._candidate_list()
            if candidates is None or record.candidate >= len(candidates):
                raise StudyMismatchError(
                    f"trial {record.number} of study {self.name!r} is candidate "
                    f"{record.candidate}, which this study's sampler does not have; "
                    "resume with the same space and sampler"
                )
            params = dict(candidates[record.candidate])
            return Trial(self, record, params, self._dimensions_for(params))
        if self.space is None:
            return Trial(self, record, {}, {})
        if record.params:  # taken over from a dead worker: run its point again
            return Trial(self, record, record.params, self._dimensions_for(record.params))
        params = self.sampler.propose(self.space, self._history(), record.number)
        dimensions = self._dimensions_for(params)
        if self.sampler.uses_history:
            # Stored before the objective runs, so that other workers' samplers count
            # the point as taken, and a re-run after a crash evaluates the same point
            # (one more write per trial; samplers that ignore history derive the point
            # from the seed and the trial number alone, so they need neither).
            self.storage.set_trial_params(record.trial_id, params, dimensions)
            record = dataclasses.replace(record, params=params, dimensions=dimensions)
        return Trial(self, record, params, dimensions)

    def _dimensions_for(self, params: Mapping[str, Any]) -> dict[str, Any]:
        if isinstance(self.space, Space):
            return {name: self.space[name] for name in params if name in self.space}
        if isinstance(self.space, SpaceUnion):
            for sub in self.space.spaces:
                if set(params) <= set(sub.names):
                    return {name: sub[name] for name in params}
        return {}

    def _trial_id_of(self, number: int) -> int:
        for trial in self.storage.trials(self.study_id):
            if trial.number == number:
                return trial.trial_id
        raise ValueError(f"study {self.name!r} has no trial number {number}")

    def _best_or_none(self) -> float | None:
        try:
            return self.best_value
        except ValueError:
            return None

    def _check_matches_stored(self, attrs: Mapping[str, Any]) -> None:
        stored = self.storage.study_attrs(self.study_id)
        if stored.get("direction", attrs["direction"]) != attrs["direction"]:
            raise StudyMismatchError(
                f"study {self.name!r} was created to {stored['direction']}, "
                f"not to {attrs['direction']}; use the same direction or a new name"
            )
        if "space" in attrs and "space" in stored and stored["space"] != attrs["space"]:
            raise StudyMismatchError(
                f"study {self.name!r} was created with another search space; "
                "resume it with the same space, or start a study under a new name"
            )

    def _ensure_heartbeat(self) -> None:
        if self.storage.is_persistent and self._heartbeat is None:
            self._heartbeat = Heartbeat(self.storage, self._held, self.heartbeat_interval)


def _outcome(value: Any, state: TrialState | str | None,
             message: str | None) -> tuple[TrialState, float | None, str | None]:
    """The state, value and message a tell records."""
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
    if value is None:
        return None
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _space_json(space: Space | SpaceUnion) -> Any:
    try:
        return space.to_json()
    except InvalidSpaceError:
        return None  # e.g. estimator objects as choices: kept in memory only


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
