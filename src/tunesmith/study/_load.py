"""Reopening a stored study by name, with what it was created with."""

from __future__ import annotations

from typing import Any

from tunesmith.storage import Storage, open_storage
from tunesmith.study._identity import space_from_json
from tunesmith.study._study import Study

__all__ = ["load_study"]


def load_study(name: str, storage: Storage | str, **kwargs: Any) -> Study:
    """Open a stored study with the direction, space and sampler it was created with.

    ``kwargs`` go to :class:`Study` (e.g. ``stale_after``); a direction or sampler
    given there must agree with the stored one.

    >>> import tunesmith
    >>> from tunesmith.storage import MemoryStorage
    >>> storage = MemoryStorage()
    >>> made = tunesmith.Study(name="demo", storage=storage, direction="maximize",
    ...                        space={"x": tunesmith.Float(0.0, 1.0)}, sampler="tpe", seed=3)
    >>> made.optimize(lambda t: t.params["x"], n_trials=3)
    >>> again = load_study("demo", storage)
    >>> again.direction.value, again.sampler, again.best_value == made.best_value
    ('maximize', TPESampler(seed=3), True)
    """
    opened = open_storage(storage)
    study_id = opened.study_id(name)  # StudyNotFoundError naming the study if absent
    stored_space = opened.study_attrs(study_id).get("space")
    space = kwargs.pop("space", None)
    if space is None and stored_space is not None:
        space = space_from_json(stored_space)
    study = Study(name=name, storage=opened, space=space, load_if_exists=True, **kwargs)
    study._owns_storage = not isinstance(storage, Storage)
    return study
