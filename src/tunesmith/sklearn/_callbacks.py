"""scikit-learn's fit callbacks (``sklearn.callback``, new in 1.9) on the drop-ins.

A search's callbacks see the same task tree as scikit-learn's own searches:

* the root task ``fit`` (its subtasks: the search, then the refit when ``refit``),
* ``search``, whose subtasks are the candidate x split evaluations (task id
  ``candidate * n_splits + split`` within the batch, like scikit-learn),
* ``candidate-split-evaluation``: one per fold fitted; the fold's estimator gets the
  search's auto-propagated callbacks, its own task tree joined under this one,
* ``refit-with-best-params``, around the refit of the best candidate.

Every hook receives the search itself as ``estimator``. Folds of candidates that
were skipped as invalid or resumed from storage were not fitted in this ``fit``
and have no task. With scikit-learn < 1.9 there is no callback API: the helpers
here do nothing and ``set_callbacks`` does not exist.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

__all__ = [
    "HAS_CALLBACKS",
    "CallbackSupportMixin",
    "managed_callbacks",
    "root_context",
    "search_task",
    "uses_callbacks",
]

try:
    from sklearn.callback import CallbackSupportMixin
    from sklearn.callback._callback_support import callback_management_context

    HAS_CALLBACKS = True
except ImportError:  # scikit-learn < 1.9: no callbacks

    class CallbackSupportMixin:  # type: ignore[no-redef]
        """Stands in for scikit-learn's mixin where it does not exist."""

    callback_management_context = None  # type: ignore[assignment]
    HAS_CALLBACKS = False


def managed_callbacks(search: Any) -> contextlib.AbstractContextManager[Any]:
    """Around ``fit``: the callbacks' ``teardown`` runs however fit ends."""
    if callback_management_context is None:
        return contextlib.nullcontext()
    return callback_management_context(search)


def root_context(search: Any, *, max_subtasks: int) -> Any:
    """The root ``fit`` task's context (callbacks set up), or None without the API."""
    init = getattr(search, "_init_callback_context", None)
    if init is None:
        return None
    return init(max_subtasks=max_subtasks)


def uses_callbacks(search: Any) -> bool:
    """Whether a fold needs a task context: the search or its estimator has callbacks.

    Without any, the contexts would be built and shipped to the workers for nothing.
    """
    return bool(getattr(search, "_skl_callbacks", None)
                or getattr(search.estimator, "_skl_callbacks", None))


@contextlib.contextmanager
def search_task(search: Any, callback_ctx: Any, n_candidates: int) -> Iterator[Any]:
    """The ``search`` task around a batch of candidates; yields its context or None.

    As in scikit-learn, its end hook is not called when the batch raises.
    """
    if callback_ctx is None:
        yield None
        return
    ctx = callback_ctx.subcontext(
        task_name="search",
        max_subtasks=n_candidates * search.n_splits_,
        sequential_subtasks=False,
    ).call_on_fit_task_begin(estimator=search)
    yield ctx
    ctx.call_on_fit_task_end(estimator=search)
