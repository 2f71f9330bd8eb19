"""A fresh storage per test for every backend: memory, a SQLite file, PostgreSQL.

PostgreSQL is looked for at ``TUNESMITH_POSTGRES_URL`` (default
``postgresql+psycopg://postgres@127.0.0.1:5432/test``). When it cannot be reached its
tests are skipped with the reason, unless ``TUNESMITH_REQUIRE_POSTGRES=1`` (CI), which
turns the skip into a failure. Each PostgreSQL test gets its own schema (through
``search_path`` in the URL), dropped afterwards, so tests never see each other's rows.

Helpers for other test files: :func:`postgres_url_or_skip` (the server's URL, or a
skip) and :func:`postgres_schema_url` (a URL into a new, empty schema).
"""

from __future__ import annotations

import contextlib
import functools
import os
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from tunesmith.storage import MemoryStorage, Storage

POSTGRES_URL = os.environ.get(
    "TUNESMITH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REQUIRE_POSTGRES = os.environ.get("TUNESMITH_REQUIRE_POSTGRES") == "1"


def _connect_admin(url: str):  # -> psycopg.Connection
    import psycopg

    parsed = sa.make_url(url)
    return psycopg.connect(
        host=parsed.host,
        port=parsed.port or 5432,
        user=parsed.username,
        password=parsed.password,
        dbname=parsed.database,
        connect_timeout=3,
        autocommit=True,
    )


@functools.cache
def _postgres_problem() -> str | None:
    """Why PostgreSQL tests cannot run here, or None; asked once per session."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return 'psycopg is not installed (pip install "tunesmith[postgres]")'
    try:
        _connect_admin(POSTGRES_URL).close()
    except Exception as error:
        shown = sa.make_url(POSTGRES_URL).render_as_string(hide_password=True)
        detail = " ".join(str(error).split())  # one line in the skip summary
        return f"PostgreSQL at {shown} is unreachable ({type(error).__name__}: {detail})"
    return None


def postgres_url_or_skip() -> str:
    """The test server's URL; skips the calling test (fails it in CI) if unreachable."""
    problem = _postgres_problem()
    if problem is not None:
        if REQUIRE_POSTGRES:
            pytest.fail(f"TUNESMITH_REQUIRE_POSTGRES=1, but {problem}", pytrace=False)
        pytest.skip(problem)
    return POSTGRES_URL


@contextlib.contextmanager
def postgres_schema_url() -> Iterator[str]:
    """A URL whose unqualified tables land in a new schema, dropped on exit."""
    base = postgres_url_or_skip()
    name = f"tunesmith_test_{uuid.uuid4().hex[:12]}"
    with _connect_admin(base) as admin:
        admin.execute(f'CREATE SCHEMA "{name}"')
    try:
        url = sa.make_url(base).update_query_dict({"options": f"-csearch_path={name}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with _connect_admin(base) as admin:
            admin.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A PostgreSQL URL into a fresh schema (skipped when no server)."""
    with postgres_schema_url() as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'study.db'}"


BACKENDS = [
    pytest.param("memory", id="memory"),
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]


@pytest.fixture(params=BACKENDS)
def storage(request, tmp_path) -> Iterator[Storage]:
    """A fresh, empty storage of each kind; closed after the test."""
    from tunesmith.storage._sql import SQLStorage

    if request.param == "memory":
        yield MemoryStorage()
        return
    with contextlib.ExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path / 'study.db'}"
        else:
            url = stack.enter_context(postgres_schema_url())
        sql = SQLStorage(url)
        stack.callback(sql.close)  # closed before the schema is dropped
        yield sql
