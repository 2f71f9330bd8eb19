"""The study file's limits, and where its paths may lead.

Kept beside :mod:`tunesmith.cli._config`: the numbers that bound what a study file may
ask for (so that checking a hostile file cannot exhaust memory), and the rules for the
storage path it names (docs/security.md).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = [
    "MAX_DEPTH",
    "MAX_FILE_BYTES",
    "MAX_SEED",
    "MAX_TRIALS",
    "MAX_VALUES",
    "check_inside",
    "depth",
    "normalize_storage",
]

#: Seeds are what numpy's ``RandomState`` accepts: 0 to 2**32 - 1.
MAX_SEED = 2**32 - 1
#: The most values one ``[space]`` key may list (a helper's count, a range's length).
MAX_VALUES = 100_000
#: The most trials a study file may ask for.
MAX_TRIALS = 10_000_000
#: How deep tables and lists may nest: a study file needs three or four levels.
MAX_DEPTH = 12
#: A study file is a page of TOML; anything far larger is not one.
MAX_FILE_BYTES = 1_000_000


def normalize_storage(storage: str, base_dir: Path) -> str:
    """A storage URL with a relative SQLite path made absolute against ``base_dir``.

    A bare file path is read as a SQLite database.

    >>> normalize_storage("runs.db", Path("/data"))
    'sqlite:////data/runs.db'
    >>> normalize_storage("sqlite:///runs.db", Path("/data"))
    'sqlite:////data/runs.db'
    >>> normalize_storage("postgresql://u@host/db", Path("/data"))
    'postgresql://u@host/db'
    """
    if "://" not in storage:
        storage = "sqlite:///" + storage
    prefix, sep, rest = storage.partition(":///")
    if sep and prefix.split("+")[0] == "sqlite" and rest and rest != ":memory:":
        path = Path(rest).expanduser()
        if not path.is_absolute():
            path = Path(base_dir) / path
        return f"{prefix}:///{path.resolve()}"
    return storage


def check_inside(given: str, url: str, base: Path | None) -> None:
    """A relative SQLite path in a study file stays in the file's folder (or below).

    A study file from elsewhere must not point the run at a database beside other
    projects' files without the person seeing it; ``--storage`` may say so instead.
    """
    if base is None or ("://" in given and not given.lower().startswith("sqlite")):
        return
    raw = given.partition(":///")[2] if "://" in given else given
    if not raw or raw.startswith(("/", "~")) or Path(raw).is_absolute():
        return
    target = Path(url.partition(":///")[2])
    base = Path(base).resolve()
    if target != base and base not in target.parents:
        raise ValueError(
            f"{json.dumps(given)} climbs out of the study file's folder ({base}); keep the "
            "database beside the study file, or pass --storage on the command line"
        )


def depth(value: Any) -> int:
    """How deeply tables and lists nest in ``value`` (without recursion)."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        if isinstance(node, dict):
            stack.extend((v, level + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, level + 1) for v in node)
    return deepest
