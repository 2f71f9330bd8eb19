"""On a finite space TPE never proposes a point twice: the points that have a trial.

Running trials count, so parallel asks never repeat a point either. Points are
compared by their encoded keys (bin centres rounded), per subspace.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tunesmith.exceptions import SearchExhausted
from tunesmith.samplers._tpe._encoding import Rows
from tunesmith.samplers._tpe._history import EncodedHistory, View

__all__ = ["Seen", "first_usable"]

#: Random draws tried for an unseen point before listing what is left.
_UNSEEN_TRIES = 256


class Seen:
    """The points of the history (``view``) of a finite space.

    >>> import tunesmith
    >>> from tunesmith.samplers._tpe._history import EncodedHistory
    >>> space = tunesmith.Space({"k": tunesmith.Categorical(["a", "b"])})
    >>> study = tunesmith.Study(space=space, sampler="grid")
    >>> study.optimize(lambda t: 0.0, n_trials=1)
    >>> state = EncodedHistory(space)
    >>> seen = Seen(state, state.view(study.trials, {}, exclude=-1))
    >>> {"k": "a"} in seen, {"k": "b"} in seen
    (True, False)
    >>> seen.unseen_point(space, np.random.default_rng(0))
    {'k': 'b'}
    """

    def __init__(self, state: EncodedHistory, view: View) -> None:
        self._state = state
        self._keys: set[tuple[int, bytes]] = set()
        for sub in range(len(state.spaces)):
            rows = state.rows(sub, view.row[view.sub == sub])
            self._keys.update((sub, key) for key in rows.point_keys())

    def __contains__(self, point: object) -> bool:
        if not isinstance(point, dict):
            return False
        sub = self._state.subspace_of(point)
        if sub is None:
            return False
        return (sub, self._state.encodings[sub].encode([point]).point_keys()[0]) in self._keys

    def unseen_point(self, space: Any, rng: np.random.Generator) -> dict[str, Any]:
        """A random valid point without a trial; SearchExhausted when none is left."""
        for _ in range(_UNSEEN_TRIES):
            point = space.sample(rng)
            if point not in self:
                return point
        # Nearly exhausted: list what is left (rare, and only on finite spaces).
        grid = space.grid()
        left = [i for i in grid.valid_indices() if dict(grid[i]) not in self]
        if not left:
            raise SearchExhausted(
                f"every one of the {grid.n_valid} valid points has a trial; "
                "the TPE search is complete"
            )
        return dict(grid[left[int(rng.integers(len(left)))]])


def first_usable(state: EncodedHistory, sub: int, cands: Rows, score: np.ndarray,
                 seen: Seen | None) -> dict[str, Any] | None:
    """The best-scoring candidate of subspace ``sub`` that is valid and, when ``seen`` is
    given, untried; None when every one is ruled out (or scores -inf).

    >>> import tunesmith
    >>> space = tunesmith.Space({"k": tunesmith.Categorical(["a", "b", "c"])})
    >>> state = EncodedHistory(space)
    >>> cands = state.encodings[0].encode([{"k": "a"}, {"k": "b"}, {"k": "c"}])
    >>> first_usable(state, 0, cands, np.array([0.5, 2.0, 1.0]), None)
    {'k': 'b'}
    >>> print(first_usable(state, 0, cands, np.array([-np.inf] * 3), None))
    None
    """
    for i in np.argsort(-score, kind="stable"):
        if score[i] == -np.inf:
            break
        point = state.encodings[sub].decode(cands.take(np.array([i])))[0]
        if state.spaces[sub].is_valid(point) and (seen is None or point not in seen):
            return point
    return None
