"""What a stored study says about itself, and the checks that keep a resume honest.

The one identity check of a study: its direction (a column, always stored), its
space, and the sampler it was created with (name and seed, as JSON), compared with
what the caller asks for; and how a study loaded by name gets them back.
"""

from __future__ import annotations

import dataclasses
import json
import math
import numbers
from collections.abc import Mapping
from typing import Any

from tunesmith.exceptions import InvalidSpaceError, StudyMismatchError
from tunesmith.records import Direction
from tunesmith.samplers import SAMPLERS, Sampler
from tunesmith.space import Space, SpaceUnion
from tunesmith.storage import Storage

__all__ = [
    "check_matches_stored",
    "check_seed",
    "check_timing",
    "sampler_spec",
    "space_from_json",
    "space_to_json",
    "stored_settings",
]

_MAX_SEED = 2**32 - 1  # what every numpy generator takes; portable across libraries


@dataclasses.dataclass(frozen=True)
class Stored:
    """A stored study's direction and the sampler (name, seed) it was created with."""

    direction: Direction
    sampler: str | None
    seed: int | None


def stored_settings(storage: Storage, name: str) -> Stored | None:
    """Direction and sampler of the stored study ``name``; None if there is none."""
    try:
        study_id = storage.study_id(name)
    except KeyError:
        return None
    spec = storage.study_attrs(study_id).get("sampler_spec")
    sampler = spec.get("name") if isinstance(spec, dict) else None
    seed = spec.get("seed") if isinstance(spec, dict) else None
    return Stored(storage.study_direction(study_id), sampler, seed)


def check_matches_stored(storage: Storage, study_id: int, name: str, direction: Direction,
                         attrs: Mapping[str, Any]) -> None:
    """Refuse to continue a stored study with another direction, space or sampler."""
    stored_direction = storage.study_direction(study_id)
    if stored_direction is not direction:
        raise StudyMismatchError(
            f"study {name!r} was created to {stored_direction.value}, "
            f"not to {direction.value}; use the same direction, leave it out "
            "to use the stored one, or use a new name"
        )
    stored = storage.study_attrs(study_id)
    if "space" in attrs and "space" in stored and stored["space"] != attrs["space"]:
        raise StudyMismatchError(
            f"study {name!r} was created with another search space; "
            "resume it with the same space, or start a study under a new name"
        )
    spec, old = attrs.get("sampler_spec"), stored.get("sampler_spec")
    if spec is not None and old is not None and spec != old:
        raise StudyMismatchError(
            f"study {name!r} was created with sampler {_spec_text(old)}, not "
            f"{_spec_text(spec)}; resume it with the same sampler and seed (or leave "
            "both out to use the stored ones), or start a study under a new name"
        )


def sampler_spec(sampler: Sampler) -> dict[str, Any] | None:
    """A sampler given by name as JSON (name and seed), so a loaded study can rebuild it."""
    for name, cls in SAMPLERS.items():
        if type(sampler) is cls:
            return {"name": name, "seed": getattr(sampler, "seed", None)}
    return None


def _spec_text(spec: Any) -> str:
    return json.dumps(spec, sort_keys=True) if not isinstance(spec, dict) else (
        f"{spec.get('name')!r} (seed {spec.get('seed')!r})")


def space_from_json(data: Any) -> Space | SpaceUnion | None:
    try:
        if isinstance(data, dict) and "spaces" in data:
            return SpaceUnion.from_json(data)
        return Space.from_json(data)
    except (InvalidSpaceError, KeyError, TypeError, ValueError):
        return None


def space_to_json(space: Space | SpaceUnion) -> Any:
    try:
        return space.to_json()
    except InvalidSpaceError:
        return None  # e.g. estimator objects as choices: kept in memory only


def check_seed(seed: Any) -> None:
    if seed is None:
        return
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or not (
            0 <= int(seed) <= _MAX_SEED):
        raise ValueError(f"seed must be an integer in [0, 2**32 - 1] or None, got {seed!r}")


def check_timing(stale_after: Any, heartbeat_interval: Any) -> tuple[float, float]:
    """Refuse timings under which a live trial could look abandoned.

    >>> check_timing(120, 10)
    (120.0, 10.0)
    """
    for label, value in (("stale_after", stale_after),
                         ("heartbeat_interval", heartbeat_interval)):
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not (
                math.isfinite(float(value)) and float(value) > 0):
            raise ValueError(f"{label} must be a positive number of seconds, got {value!r}")
    # Room for one late beat (a slow commit, a busy database): at most half.
    if 2 * heartbeat_interval > stale_after:
        raise ValueError(
            f"heartbeat_interval ({heartbeat_interval}) must be below stale_after "
            f"({stale_after}) with room for a late beat (at most half of it), or live "
            "trials would look abandoned and run twice; e.g. heartbeat_interval=10, "
            "stale_after=120"
        )
    return float(stale_after), float(heartbeat_interval)
