"""Storages for the pruning integration tests: memory, SQLite, PostgreSQL.

PostgreSQL comes from the storage tests' fixtures (a fresh schema per test, dropped
afterwards; skipped when no server is reachable, failed in CI).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location(
    "_storage_conftest_for_pruners", Path(__file__).parent.parent / "storage" / "conftest.py")
assert _spec is not None and _spec.loader is not None
_storage_conftest = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_storage_conftest)


@pytest.fixture(params=[
    pytest.param("memory", id="memory"),
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
])
def storage_url(request, tmp_path) -> Iterator[str | None]:
    """None (memory), or a URL to a fresh SQLite file or PostgreSQL schema."""
    if request.param == "memory":
        yield None
    elif request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'study.db'}"
    else:
        with _storage_conftest.postgres_schema_url() as url:
            yield url
