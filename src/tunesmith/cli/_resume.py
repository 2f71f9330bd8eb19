"""Resuming a study file's study: what is stored beside it, and what must match.

``tunesmith run`` stores its settings (for ``show``), a fingerprint of everything that
decides the results (to refuse a resume with another file), the planned number of
trials and the outcome as study attributes. Kept apart from the search machinery so
that the inspection commands read them without importing scikit-learn.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from tunesmith.cli._config import ConfigError, Settings
from tunesmith.cli._text import redact
from tunesmith.records import Direction, FrozenTrial
from tunesmith.storage import Storage

if TYPE_CHECKING:
    from tunesmith.cli._data import Dataset

__all__ = [
    "FINGERPRINT_ATTR",
    "PLANNED_ATTR",
    "RESULT_ATTR",
    "SETTINGS_ATTR",
    "best_trial",
    "fingerprint_of",
    "open_study",
]

# Study attributes the CLI writes (JSON): what `show` prints and what a resume checks.
SETTINGS_ATTR = "cli_settings"
FINGERPRINT_ATTR = "cli_fingerprint"
PLANNED_ATTR = "cli_planned"
RESULT_ATTR = "cli_result"

# Settings that may change between a run and its resume without changing any result.
_VOLATILE = {("name",), ("description",), ("storage",), ("search", "n_jobs"),
             ("search", "executor"), ("search", "gpus_per_trial"),
             ("search", "cpus_per_trial")}



def best_trial(trials: list[FrozenTrial]) -> FrozenTrial | None:
    """The complete trial with the highest value; ties go to the earliest candidate,
    as scikit-learn's ``best_index_`` does (then to the earliest trial).

    >>> from tunesmith.records import TrialState
    >>> t = [FrozenTrial(0, TrialState.COMPLETE, value=0.5, candidate=3),
    ...      FrozenTrial(1, TrialState.COMPLETE, value=0.5, candidate=1)]
    >>> best_trial(t).number
    1
    """
    complete = [t for t in trials if t.is_complete]
    if not complete:
        return None

    def key(t: FrozenTrial) -> tuple[float, int, int]:
        order = t.candidate if t.candidate is not None else t.number
        return (-float(t.value), order, t.number)  # type: ignore[arg-type]

    return min(complete, key=key)


def open_study(store: Storage, settings: Settings, fingerprint: dict[str, Any],
                planned: int | None) -> tuple[int, int]:
    """Create the study, or check that the stored one was made by the same settings.

    Returns its id and how many trials it had already finished.
    """
    from tunesmith.exceptions import StudyNotFoundError

    try:
        study_id = store.study_id(settings.name)
    except StudyNotFoundError:
        attrs = {
            FINGERPRINT_ATTR: fingerprint,
            SETTINGS_ATTR: _stored_settings(settings),
            PLANNED_ATTR: planned,
        }
        study_id = store.create_study(settings.name, direction=Direction.MAXIMIZE,
                                      attrs=attrs, load_if_exists=True)
        return study_id, 0
    stored = store.study_attrs(study_id).get(FINGERPRINT_ATTR)
    if stored is None:
        raise ConfigError(
            "name",
            f"a study named {settings.name!r} already exists in this storage and was not "
            "made by `tunesmith run`; set another name",
        )
    difference = _first_difference(stored, fingerprint)
    if difference is not None and not store.trials(study_id):
        # A study that a failed run left without a single trial holds nothing to lose:
        # the corrected file takes it over instead of being refused.
        store.delete_study(study_id)
        return open_study(store, settings, fingerprint, planned)
    if difference is not None:
        key, old, new = difference
        raise ConfigError(
            key,
            f"the stored study {settings.name!r} was run with {old}, this file says {new}; "
            f"to start over: tunesmith delete {settings.name} (with the same storage), "
            "or set another name",
        )
    store.set_study_attr(study_id, PLANNED_ATTR, planned)  # n_trials may have grown
    store.set_study_attr(study_id, SETTINGS_ATTR, _stored_settings(settings))
    done = sum(t.state.is_finished for t in store.trials(study_id))
    return study_id, done


def _stored_settings(settings: Settings) -> dict[str, Any]:
    """The settings as ``show`` reads them; a password in the storage URL is never
    stored (anyone who can read the database would read it)."""
    dump = settings.model_dump(mode="json", by_alias=True)
    if dump.get("storage"):
        dump["storage"] = redact(dump["storage"])
    return dump


def fingerprint_of(settings: Settings, data: Dataset, *, extendable: bool) -> dict[str, Any]:
    """Everything that decides the results: the settings, less what may change on a
    resume (n_jobs, where things are; n_trials where more trials extend the study),
    plus a digest of the data itself."""
    dump = settings.model_dump(mode="json", by_alias=True)
    volatile = _VOLATILE | ({("search", "n_trials")} if extendable else set())
    for path in volatile:
        node = dump
        for part in path[:-1]:
            node = node[part]
        node.pop(path[-1], None)
    # The data's content, not its path: the same files moved elsewhere still resume.
    dump["data"].pop("train", None)
    dump["data"].pop("test", None)
    dump["data"]["content"] = data.fingerprint
    return dump


def _first_difference(old: Any, new: Any, key: str = "") -> tuple[str, str, str] | None:
    """The first key (dotted) whose value differs, and both values as TOML would show."""
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        for name in sorted(set(old) | set(new)):
            sub = f"{key}.{name}" if key else str(name)
            found = _first_difference(old.get(name), new.get(name), sub)
            if found is not None:
                return found
        return None
    if _same(old, new):
        return None
    if key == "data.content":
        return "data", "other data", "the data as it is now (the files' content changed)"
    return key, _show(old), _show(new)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b


def _show(value: Any) -> str:
    return "nothing" if value is None else repr(value)
