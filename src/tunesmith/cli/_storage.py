"""Where the CLI's studies live, and what it lets a study file say about that.

The trust model (docs/security.md) in code:

* a study file may name a SQLite file beside it (or below it, or at an absolute path it
  shows); a relative path that climbs out of the file's folder (``../../x.db``) is
  refused unless given on the command line;
* a remote database (PostgreSQL) named in a study file needs ``--trust-storage``: libpq
  sends ``$PGPASSWORD`` or a ``~/.pgpass`` entry to whatever host the URL names;
* passwords in URLs are shown as ``***`` wherever the CLI prints or stores a URL;
* the inspection commands open SQLite read-only (``mode=ro``): they never create
  tables, never switch the journal mode, and refuse a file that is not a tunesmith
  database;
* what cannot work (MySQL, an in-memory database, a text file, a folder, a server that
  does not answer) is one line naming the URL and the fix, before any study is made.

Imports of SQLAlchemy and the storage stay inside functions: ``tunesmith --version``
and argument errors must not pay for them.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from tunesmith.cli._config import ConfigError
from tunesmith.cli._text import redact

if TYPE_CHECKING:
    from tunesmith.storage import Storage

__all__ = [
    "check_executor",
    "check_url",
    "is_foreign_sqlite",
    "is_remote",
    "open_for_inspection",
    "open_for_run",
    "redact",
    "sqlite_path",
]

#: Seconds to wait for a database server before saying it does not answer.
CONNECT_TIMEOUT_S = 10

_SQLITE_HEADER = b"SQLite format 3\x00"


def sqlite_path(url: str) -> str | None:
    """The file a SQLite URL names, ``""`` for an in-memory one, None for other URLs.

    >>> sqlite_path("sqlite:////tmp/x.db"), sqlite_path("sqlite://"), sqlite_path("pg://h/d")
    ('/tmp/x.db', '', None)
    """
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.split("+")[0].lower() != "sqlite":
        return None
    path = rest[1:] if rest.startswith("/") else rest
    path = path.split("?", 1)[0]
    return "" if path in ("", ":memory:") else path


def is_remote(url: str) -> bool:
    """Whether ``url`` names a database server rather than a local SQLite file."""
    return sqlite_path(url) is None


def check_executor(address: str | None, trusted: bool) -> None:
    """A study file may not send the work to another host's Dask scheduler on its own:
    the data and the code go there, and what comes back is unpickled here.

    >>> check_executor("tcp://127.0.0.1:8786", trusted=False)
    """
    if address is None or trusted:
        return
    host = address.partition("://")[2].rsplit(":", 1)[0].strip("[]")
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise ConfigError(
            "search.executor", f"the study file sends the work to the Dask scheduler "
                               f"{address!r}, which receives your data and whose results "
                               "are unpickled here; pass --trust-storage if you trust "
                               "this file")


def check_url(url: str, key: str = "storage") -> str:
    """Refuse, in one line, a storage URL that cannot keep a study: returns ``url``.

    >>> check_url("mysql://u@h/d")
    Traceback (most recent call last):
    ...
    tunesmith.cli._config.ConfigError: storage: 'mysql://u@h/d' is not supported: ...
    """
    shown = redact(url)
    if not url.strip():
        raise ConfigError(key, 'empty: give a SQLite file such as "runs.db", or leave the key '
                               "out to store the study beside the study file")
    path = sqlite_path(url)
    if path == "":
        raise ConfigError(key, f"{shown!r} is an in-memory database, which keeps nothing after "
                               'the run; give a file such as "runs.db"')
    if path is None:
        scheme = url.partition("://")[0].split("+")[0].lower()
        if scheme not in ("postgresql", "postgres") or "://" not in url:
            raise ConfigError(
                key, f"{shown!r} is not supported: tunesmith stores studies in SQLite "
                '(a file such as "runs.db") or PostgreSQL ("postgresql://user@host/db")')
        return url
    target = Path(path)
    if target.exists() and not target.is_file():
        what = "a folder" if target.is_dir() else "not a regular file"
        raise ConfigError(key, f"{path} is {what}, not a SQLite database; give a file name "
                               'such as "runs.db"')
    if target.is_file() and target.stat().st_size and not _has_sqlite_header(target):
        raise ConfigError(key, f"{path} is not a SQLite database (a text or other file?); "
                               "give another file name")
    return url


def _has_sqlite_header(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(len(_SQLITE_HEADER)) == _SQLITE_HEADER
    except OSError:
        return False


def open_for_run(url: str) -> Storage:
    """The storage a run writes to; a server that does not answer is a ConfigError."""
    from tunesmith.storage._sql import SQLStorage

    check_url(url)
    kwargs: dict[str, Any] = {}
    if is_remote(url):
        # libpq waits forever for a host that drops packets; say so after a while.
        kwargs["connect_args"] = {"connect_timeout": CONNECT_TIMEOUT_S}
    return _opened(url, lambda: SQLStorage(url, engine_kwargs=kwargs))


def open_for_inspection(url: str) -> Storage:
    """A storage opened to be read: SQLite read-only, and only a tunesmith database.

    >>> open_for_inspection("sqlite:////nonexistent/runs.db")
    Traceback (most recent call last):
    ...
    tunesmith.cli._config.ConfigError: storage: no database at /nonexistent/runs.db
    """
    from tunesmith.storage._sql import SQLStorage

    check_url(url)
    path = sqlite_path(url)
    if path is None:
        _require_remote_tables(url)
        return _opened(url, lambda: SQLStorage(
            url, engine_kwargs={"connect_args": {"connect_timeout": CONNECT_TIMEOUT_S}}))
    if not Path(path).is_file():
        raise ConfigError("storage", f"no database at {path}")
    ro_uri = f"file:{quote(str(Path(path).resolve()))}?mode=ro"
    _require_sqlite_tables(path, ro_uri)

    def connect() -> sqlite3.Connection:
        # Read-only at the SQLite level: no table is created, the journal mode stays.
        return sqlite3.connect(ro_uri, uri=True, check_same_thread=False, timeout=30)

    return _opened(url, lambda: SQLStorage(url, engine_kwargs={"creator": connect}))


def is_foreign_sqlite(url: str) -> bool:
    """Whether ``url`` names an existing SQLite database without tunesmith's tables
    (another application's file), looked at read-only."""
    path = sqlite_path(url)
    if not path or not Path(path).is_file() or not Path(path).stat().st_size:
        return False
    try:
        _require_sqlite_tables(path, f"file:{quote(str(Path(path).resolve()))}?mode=ro")
    except ConfigError:
        return True
    return False


def _require_sqlite_tables(path: str, ro_uri: str) -> None:
    try:
        with _closing(sqlite3.connect(ro_uri, uri=True)) as conn:
            found = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                ("tunesmith_version",),
            ).fetchone()
    except sqlite3.DatabaseError as exc:
        raise ConfigError("storage", f"{path} is not a SQLite database ({exc})") from None
    if found is None:
        raise ConfigError("storage", f"{path} is not a tunesmith database (it has no "
                                     "tunesmith tables); nothing to show")


def _require_remote_tables(url: str) -> None:
    import sqlalchemy as sa

    from tunesmith.storage._sql_engine import parse_url

    engine = sa.create_engine(parse_url(url),
                              connect_args={"connect_timeout": CONNECT_TIMEOUT_S})
    try:
        with engine.connect() as conn:
            found = sa.inspect(conn).has_table("tunesmith_version")
    except sa.exc.DBAPIError as exc:
        raise _unreachable(url, exc) from None
    finally:
        engine.dispose()
    if not found:
        raise ConfigError("storage", f"{redact(url)} holds no tunesmith tables; nothing to show")


class _closing:
    """``contextlib.closing`` for a sqlite3 connection (its own ``with`` only commits)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        return self.conn

    def __exit__(self, *exc: object) -> None:
        self.conn.close()


def _opened(url: str, make: Any) -> Storage:
    import sqlalchemy as sa

    try:
        return make()
    except sa.exc.DBAPIError as exc:
        raise _unreachable(url, exc) from None
    except ImportError as exc:
        raise ConfigError("storage", redact(" ".join(str(exc).split()))) from None


def _unreachable(url: str, exc: Exception) -> ConfigError:
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    first = reason[0] if reason else type(exc).__name__
    if sqlite_path(url) is not None:
        return ConfigError("storage", f"cannot use {sqlite_path(url)}: {first}")
    return ConfigError(
        "storage", f"cannot connect to {redact(url)}: {redact(first)}; check the host, port, "
                   "database name and user (the database must exist)")
