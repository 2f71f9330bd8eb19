"""Opening a database for the SQL storage: the URL check, the pool, SQLite's pragmas.

* Only SQLite and PostgreSQL are accepted, each with a message that names the fix;
  a plain ``postgresql://`` URL uses psycopg 3 (our ``[postgres]`` extra).
* SQLite files run in WAL mode with a busy timeout, and writes begin with ``BEGIN
  IMMEDIATE`` (see :func:`_configure_sqlite` for why); ``sqlite://`` is one shared
  in-memory connection.
* Pools are bounded, so that many workers cannot exhaust a server's connections.
* :class:`Transactions` runs each piece of work in one transaction, retrying while
  the database is busy.

>>> parse_url("postgresql://user@host/db").drivername
'postgresql+psycopg'
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import event, exc
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.pool import StaticPool

from tunesmith.exceptions import StorageError

__all__ = ["BUSY_TIMEOUT_S", "Transactions", "make_engine", "parse_url"]

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: How long SQLite waits for another writer's lock before "database is locked".
BUSY_TIMEOUT_S = 30.0
_MAX_RETRIES = 8
# PostgreSQL's "serialization failure" and "deadlock detected": the transaction was
# rolled back whole, so running it again is safe.
_PG_RETRY_SQLSTATES = frozenset({"40001", "40P01"})


def parse_url(url: str) -> URL:
    if not isinstance(url, str):
        raise TypeError(f"a storage URL must be a str, got {type(url).__name__}")
    try:
        parsed = sa.make_url(url)
    except exc.ArgumentError:
        raise ValueError(
            f"{url!r} is not a database URL; use e.g. 'sqlite:///study.db' or "
            "'postgresql+psycopg://user:password@host/dbname'"
        ) from None
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise ValueError(
            f"tunesmith stores studies in SQLite or PostgreSQL, not {backend!r} ({url!r}); "
            "use e.g. 'sqlite:///study.db' or 'postgresql+psycopg://user@host/dbname'"
        )
    if parsed.drivername == "postgresql":
        # Our [postgres] extra installs psycopg 3, not SQLAlchemy's default psycopg2.
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def make_engine(url: URL, engine_kwargs: Mapping[str, Any], *, in_memory: bool) -> Engine:
    kwargs: dict[str, Any] = {}
    if url.get_backend_name() == "sqlite":
        if in_memory:
            # One connection for all: each new connection would see its own empty DB.
            kwargs.update(poolclass=StaticPool, connect_args={"check_same_thread": False})
        else:
            folder = os.path.dirname(os.path.abspath(url.database or ""))
            if not os.path.isdir(folder):
                raise StorageError(
                    f"cannot create the SQLite file {url.database!r}: the folder {folder!r} "
                    "does not exist; create it first or choose another path"
                )
            # Threads check connections out of the pool in turn, never at once.
            kwargs.update(
                pool_size=2,
                max_overflow=4,
                connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_S},
            )
    else:
        # Bounded, so that many workers cannot exhaust max_connections ("too many clients").
        kwargs.update(pool_size=2, max_overflow=4, pool_timeout=60, pool_recycle=1800)
    kwargs.update(engine_kwargs)
    try:
        engine = sa.create_engine(url, **kwargs)
    except ImportError as error:
        raise ImportError(
            f"the storage URL {url.render_as_string(hide_password=True)!r} needs the "
            f"database driver {url.drivername!r}, which is not installed ({error}); "
            'for PostgreSQL run: pip install "tunesmith[postgres]"'
        ) from error
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine, wal=not in_memory)
    return engine


def _configure_sqlite(engine: Engine, *, wal: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # We emit BEGIN ourselves (below): pysqlite's own transaction handling would
        # start reads without BEGIN and writes with a deferred one.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            cursor.execute("PRAGMA foreign_keys = ON")
            mode = cursor.execute("PRAGMA journal_mode").fetchone()[0]
            # A read-only connection (the inspection commands, the dashboard) leaves
            # the file's journal mode as it finds it: switching needs a write.
            if wal and str(mode).lower() != "wal":
                # Switching to WAL needs a moment's exclusive lock, which a process
                # starting at the same time may hold: retry briefly.
                for attempt in range(20):
                    try:
                        cursor.execute("PRAGMA journal_mode = WAL")
                        break
                    except Exception as error:
                        if "readonly" in str(error).lower().replace(" ", ""):
                            break  # opened with mode=ro: the file stays as it is
                        if "locked" not in str(error).lower() or attempt == 19:
                            raise
                        time.sleep(0.05 * (attempt + 1))
            if wal:
                # In WAL mode NORMAL is crash-safe (a power cut may lose the last
                # commits, never corrupt the file) and saves an fsync per commit.
                cursor.execute("PRAGMA synchronous = NORMAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # Writes lock at once: a deferred transaction that reads and then writes can
        # fail with "database is locked" without waiting (the lock-upgrade deadlock).
        # Reads stay deferred, so they never take the write lock.
        write = conn.get_execution_options().get("tunesmith_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")



class Transactions:
    """One engine's transactions: each piece of work in one, retried while busy.

    ``owner`` names the storage in the message a closed one raises.
    """

    def __init__(self, engine: Engine, *, in_memory: bool, owner: str) -> None:
        self.engine = engine
        self.is_sqlite = engine.dialect.name == "sqlite"
        self.closed = False
        self._owner = owner
        # In memory there is one shared connection: threads (the heartbeat) take turns.
        self._serial: contextlib.AbstractContextManager[Any] = (
            threading.RLock() if in_memory else contextlib.nullcontext()
        )
        self._jitter = random.Random()  # our own generator: never touch the global one

    def run(self, work: Callable[[Connection], T], *, write: bool) -> T:
        """Run ``work`` in one transaction, retrying while the database is busy.

        ``work`` must only touch the database, so that running it again is safe.
        """
        if self.closed:
            raise StorageError(
                f"{self._owner} was closed; open a new storage with open_storage(url)"
            )
        delay = 0.02
        for attempt in range(_MAX_RETRIES + 1):
            try:
                with self._serial, self.engine.connect() as conn:
                    if write:
                        conn.execution_options(tunesmith_write=True)  # -> BEGIN IMMEDIATE
                    with conn.begin():
                        return work(conn)
            except exc.DBAPIError as error:
                if attempt == _MAX_RETRIES or not self._is_transient(error):
                    raise
                logger.debug("database busy (%s); retry %d", error.orig, attempt + 1)
                time.sleep(delay * (0.5 + self._jitter.random()))
                delay = min(delay * 2, 2.0)
        raise AssertionError("unreachable")  # pragma: no cover

    def read(self, statement: Any, **params: Any) -> Sequence[Any]:
        """All rows of one read-only statement."""
        return self.run(lambda conn: conn.execute(statement, params).all(), write=False)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.engine.dispose()

    def _is_transient(self, error: exc.DBAPIError) -> bool:
        if self.is_sqlite:
            text = str(error.orig).lower()
            return "locked" in text or "busy" in text
        return getattr(error.orig, "sqlstate", None) in _PG_RETRY_SQLSTATES
