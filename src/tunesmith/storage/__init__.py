"""Where studies live: in memory, or in a database that outlives the process."""

from __future__ import annotations

from tunesmith.storage._base import Storage, StudySummary
from tunesmith.storage._memory import MemoryStorage

__all__ = ["MemoryStorage", "Storage", "StudySummary", "open_storage"]


def open_storage(storage: Storage | str | None) -> Storage:
    """Turn ``None`` (memory), a database URL or a Storage into a Storage.

    >>> type(open_storage(None)).__name__
    'MemoryStorage'
    """
    if storage is None:
        return MemoryStorage()
    if isinstance(storage, Storage):
        return storage
    if isinstance(storage, str):
        from tunesmith.storage._sql import SQLStorage  # SQLAlchemy is only needed here

        return SQLStorage(storage)
    raise TypeError(
        f"storage must be None, a database URL such as 'sqlite:///study.db', or a Storage; "
        f"got {type(storage).__name__}"
    )
