"""Define-by-run: the branches a known space leaves out, inferred from the trials.

A define-by-run study hands the sampler, at each ask, the *known space*: the
parameters every complete trial recorded alike. On a tree-structured objective
(``if trial.categorical("model", ...) == "logreg": trial.float("lr_C", ...)``) that
is the root only (``model``); each branch's parameters would then be asked one at a
time, each on its own one-dimensional model (``propose_one``), and the branch chosen
without the two-stage logic of a declared tree (``_branches``). The sampler must not
depend on how the user wrote the objective.

The trials say more: each recorded its parameters' dimensions, and a parameter that
only some trials have is conditional on a root parameter when the root's values
separate the trials that have it from those that do not (every complete trial whose
``model`` is ``"logreg"`` has ``lr_C``, no other has). ``InferredTree`` keeps these
counts as trials complete (each trial read once) and builds the declared space the
objective implies: the known space plus every parameter whose condition is so
explained, as :class:`~tunesmith.space.Condition` on the root parameter. The sampler
proposes a whole point on it, as on a declared space, and hands out the branch's
values when the objective asks for them. A parameter no root categorical explains
(asked on some other whim of the objective) is left to ``propose_one``.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

from tunesmith.exceptions import InvalidSpaceError
from tunesmith.records import FrozenTrial, TrialState
from tunesmith.space import Categorical, Condition, Dimension, Space
from tunesmith.space._keys import value_key

__all__ = ["InferredTree"]


class InferredTree:
    """The space a define-by-run objective implies, grown from ``known`` as trials complete.

    >>> from tunesmith.space import Float
    >>> known = Space({"model": Categorical(["a", "b"])})
    >>> def trial(number, model, extra):
    ...     name, dim = extra
    ...     return FrozenTrial(number=number, state=TrialState.COMPLETE, value=1.0,
    ...                        params={"model": model, name: 0.5},
    ...                        dimensions={"model": known["model"], name: dim})
    >>> tree = InferredTree(known)
    >>> full = tree.space([trial(0, "a", ("x", Float(0, 1))), trial(1, "b", ("y", Float(0, 1)))])
    >>> [(c.param, c.parent, c.values) for c in full.conditions]
    [('x', 'model', ('a',)), ('y', 'model', ('b',))]
    """

    def __init__(self, known: Space) -> None:
        self.known = known
        # Root categoricals: the only parents a condition is inferred on.
        self._parents = [n for n in known.names if isinstance(known[n], Categorical)]
        self._counted: set[tuple[int, int]] = set()
        self._prefix = 0  # history[:_prefix] is finished and read
        self._order: list[str] = []  # parameters outside ``known``, first seen first
        self._dims: dict[str, Dimension | None] = {}  # None: recorded two ways
        # (parent, value key) -> the value, the outside names some trial with it had,
        # and those every trial with it had.
        self._value: dict[tuple[str, Hashable], Any] = {}
        self._some: dict[tuple[str, Hashable], set[str]] = {}
        self._every: dict[tuple[str, Hashable], set[str]] = {}
        self._signature: tuple[Any, ...] = ()
        self._space: Space = known

    def space(self, history: Sequence[FrozenTrial]) -> Space:
        """The known space with the branches the complete trials of ``history`` imply.

        ``known`` itself while nothing is outside it; the same object while the
        inferred structure does not change (the sampler keys its caches on it).
        """
        if not self._parents:
            return self.known
        if len(history) < self._prefix:
            self.__init__(self.known)  # type: ignore[misc]  # another study's history
        start, all_finished = self._prefix, True
        for i in range(start, len(history)):
            trial = history[i]
            finished = trial.state is not TrialState.RUNNING
            if trial.state is TrialState.COMPLETE:
                self._read(trial)
            if all_finished and finished:
                self._prefix = i + 1
            else:
                all_finished = False
        return self._build()

    def _read(self, trial: FrozenTrial) -> None:
        key = (trial.trial_id, trial.number)
        if key in self._counted:
            return
        self._counted.add(key)
        params, dims = trial.params, trial.dimensions
        outside = set()
        for name in params:
            if name in self.known.names:
                continue
            dim = dims.get(name)
            if name not in self._dims:
                self._order.append(name)
                self._dims[name] = dim
            elif self._dims[name] != dim:
                self._dims[name] = None
            outside.add(name)
        for parent in self._parents:
            if parent not in params:
                continue
            k = (parent, value_key(params[parent]))
            if k not in self._value:
                self._value[k] = params[parent]
                self._some[k] = set(outside)
                self._every[k] = set(outside)
            else:
                self._some[k] |= outside
                self._every[k] &= outside

    def _build(self) -> Space:
        conditions = []
        for name in self._order:
            if self._dims[name] is None:
                continue
            for parent in self._parents:
                with_it = [k for k in self._some if k[0] == parent and name in self._some[k]]
                # The parent's values with the parameter must always have it.
                if with_it and all(name in self._every[k] for k in with_it):
                    conditions.append((name, parent, tuple(self._value[k] for k in with_it)))
                    break
        signature = tuple((name, parent, tuple(value_key(v) for v in values))
                          for name, parent, values in conditions)
        if signature == self._signature:
            return self._space
        dims = {n: self.known[n] for n in self.known.names}
        dims.update({name: self._dims[name] for name, _, _ in conditions})  # type: ignore[misc]
        try:
            space = Space(dims, conditions=list(self.known.conditions) + [
                Condition(name, parent, list(values)) for name, parent, values in conditions])
        except InvalidSpaceError:
            space = self.known
        self._signature, self._space = signature, space
        return space
