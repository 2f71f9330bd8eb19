"""Shared by the drop-in tests: the lesson's data, and comparing a search with scikit-learn's.

Fixtures rather than an importable helper module: pytest runs in importlib mode.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

#: The lesson's data, in the shared/ folder beside the repository.
TITANIC = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "titanic"

#: cv_results_ keys that measure time: they differ from run to run by nature.
TIMING = ("mean_fit_time", "std_fit_time", "mean_score_time", "std_score_time")


def assert_same_results(ours: Any, theirs: Any, *, check_refit: bool = True) -> None:
    """Every cv_results_ key of scikit-learn's search equals ours, plus best_* attributes.

    Scores, ranks and params are compared exactly (float-equal, same dtype); masked
    param columns by mask, dtype and unmasked data. The one key scikit-learn lacks,
    ``skip_reason`` (present only when a candidate was skipped), is left out of the
    comparison.
    """
    a, b = ours.cv_results_, theirs.cv_results_
    assert [k for k in a if k != "skip_reason"] == list(b), "keys or their order differ"
    for key, expected in b.items():
        got = a[key]
        if key in TIMING:
            assert got.shape == expected.shape and got.dtype == expected.dtype, key
            continue
        if isinstance(expected, np.ma.MaskedArray):
            assert isinstance(got, np.ma.MaskedArray), key
            assert got.dtype == expected.dtype, key
            np.testing.assert_array_equal(np.ma.getmaskarray(got), np.ma.getmaskarray(expected))
            assert list(got.compressed()) == list(expected.compressed()), key
        elif isinstance(expected, np.ndarray):
            assert isinstance(got, np.ndarray) and got.dtype == expected.dtype, key
            np.testing.assert_array_equal(got, expected, err_msg=key)
        else:
            assert got == expected, key
            assert [[type(v) for v in p.values()] for p in got] == [
                [type(v) for v in p.values()] for p in expected
            ], key
    assert ours.multimetric_ == theirs.multimetric_
    assert ours.n_splits_ == theirs.n_splits_
    for attr in ("best_index_", "best_params_", "best_score_"):
        assert hasattr(ours, attr) == hasattr(theirs, attr), attr
        if hasattr(theirs, attr):
            assert getattr(ours, attr) == getattr(theirs, attr), attr
            assert type(getattr(ours, attr)) is type(getattr(theirs, attr)), attr
    if check_refit and hasattr(theirs, "best_estimator_"):
        assert repr(ours.best_estimator_) == repr(theirs.best_estimator_)


@pytest.fixture
def same_results() -> Callable[..., None]:
    """``same_results(ours, theirs)``: see :func:`assert_same_results`."""
    return assert_same_results


@pytest.fixture(scope="session")
def titanic() -> tuple[Any, Any]:
    """The lesson's training set: (X, y) as pandas objects."""
    pd = pytest.importorskip("pandas")
    path = TITANIC / "clean_train.csv"
    if not path.exists():
        pytest.skip(f"the lesson's data is not at {path} (shared/data/titanic beside the repo)")
    frame = pd.read_csv(path)
    return frame.drop(columns="Survived"), frame["Survived"]


def pytest_configure(config: pytest.Config) -> None:
    """Markers scikit-learn's own tests use (its conftest registers them; ours must)."""
    config.addinivalue_line(
        "markers", "thread_unsafe: (scikit-learn's) run the test function single-threaded"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark xfail(strict=True) the tests a module lists in ``SKLEARN_XFAIL``, with the reason.

    A key is a test's name (all its parametrizations) or its name with the ids.
    """
    for item in items:
        listed = getattr(getattr(item, "module", None), "SKLEARN_XFAIL", None)
        if not listed:
            continue
        name = item.name
        reason = listed.get(name) or listed.get(name.split("[", 1)[0])
        if reason is not None:
            item.add_marker(pytest.mark.xfail(strict=True, reason=reason))
