"""Settings for every test folder."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # A PostgreSQL variant repeats its SQLite twin against a server: the full run (CI)
    # has it, the fast run (-m "not slow") leaves it out.
    for item in items:
        if item.get_closest_marker("postgres") is not None:
            item.add_marker(pytest.mark.slow)
