"""Distribution: anything with rvs; scipy.stats frozen distributions understood in full."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest
from scipy import stats

from tunesmith.exceptions import InvalidSpaceError
from tunesmith.space import Dimension, Distribution


class Coin:
    """A user distribution: rvs only."""

    def rvs(self, random_state: Any = None) -> str:
        return "heads" if random_state.random() < 0.5 else "tails"


def test_sample_calls_rvs_with_the_generator() -> None:
    dim = Distribution(stats.loguniform(1e-3, 1e3))
    a = [dim.sample(np.random.default_rng(7)) for _ in range(2)]
    expected = stats.loguniform(1e-3, 1e3).rvs(random_state=np.random.default_rng(7))
    assert a[0] == a[1] == expected
    assert Distribution(Coin()).sample(np.random.default_rng(0)) in ("heads", "tails")


def test_equality_scipy_by_name_args_kwds_others_by_identity() -> None:
    assert Distribution(stats.uniform(0, 2)) == Distribution(stats.uniform(0, 2))
    assert hash(Distribution(stats.uniform(0, 2))) == hash(Distribution(stats.uniform(0, 2)))
    assert Distribution(stats.uniform(0, 2)) != Distribution(stats.uniform(0, 3))
    assert Distribution(stats.uniform(0, 2)) != Distribution(stats.norm(0, 2))
    assert Distribution(stats.norm(loc=1)) == Distribution(stats.norm(loc=1))
    coin = Coin()
    assert Distribution(coin) == Distribution(coin)
    assert Distribution(coin) != Distribution(Coin())
    assert Distribution(Distribution(coin)) == Distribution(coin)


def test_never_finite() -> None:
    dim = Distribution(stats.randint(0, 5))
    assert not dim.is_finite and dim.size is None
    with pytest.raises(InvalidSpaceError, match=r"Distribution\(randint\(0, 5\)\) has "
                       r"infinitely many values"):
        dim.values()


@pytest.mark.parametrize(
    "frozen",
    [stats.uniform(0, 1), stats.loguniform(1e-4, 10), stats.norm(loc=2.0, scale=0.5),
     stats.randint(3, 9), stats.poisson(mu=2.5), stats.beta(2, 5)],
)
def test_json_round_trip_rebuilds_the_scipy_distribution(frozen: Any) -> None:
    dim = Distribution(frozen)
    data = json.loads(json.dumps(dim.to_json(), allow_nan=False))
    assert data["type"] == "distribution" and data["name"] == frozen.dist.name
    back = Dimension.from_json(data)
    assert back == dim
    rng_a, rng_b = np.random.default_rng(3), np.random.default_rng(3)
    assert back.sample(rng_a) == dim.sample(rng_b)


def test_non_scipy_distribution_cannot_be_stored() -> None:
    with pytest.raises(InvalidSpaceError, match=r"Distribution\(<.*Coin.*>\) is not "
                       r"JSON-serialisable: only scipy\.stats frozen distributions"):
        Distribution(Coin()).to_json()


@pytest.mark.parametrize(
    ("data", "match"),
    [
        ({"type": "distribution", "name": "not_a_dist", "args": [], "kwds": {}},
         r"unknown scipy\.stats distribution 'not_a_dist'"),
        ({"type": "distribution", "name": "describe", "args": [], "kwds": {}},
         r"unknown scipy\.stats distribution 'describe'"),  # a function, not a distribution
        ({"type": "distribution", "name": "norm", "args": 1, "kwds": {}},
         r"needs a list 'args' and an object 'kwds'"),
        ({"type": "distribution", "args": []}, r"needs the key 'name'"),
    ],
)
def test_bad_distribution_json(data: dict[str, Any], match: str) -> None:
    with pytest.raises(InvalidSpaceError, match=match):
        Dimension.from_json(data)


def test_unit_embedding_uses_cdf_and_ppf() -> None:
    dim = Distribution(stats.norm(0, 1))
    assert dim.from_unit(0.5) == 0.0
    assert dim.to_unit(0.0) == 0.5
    assert dim.to_unit(1.0) == pytest.approx(0.8413447460685429)
    assert dim.from_unit(0.0) == -math.inf  # ppf(0) of an unbounded distribution
    discrete = Distribution(stats.randint(1, 5))
    assert discrete.from_unit(0.6) == 3 and type(discrete.from_unit(0.6)) is int
    log = Distribution(stats.loguniform(1e-2, 1e2))
    assert log.from_unit(0.75) == pytest.approx(10.0)


def test_unit_embedding_needs_cdf_and_ppf() -> None:
    dim = Distribution(Coin())
    with pytest.raises(InvalidSpaceError, match=r"from_unit needs the distribution's ppf\(\), "
                       r"which Distribution\(.*Coin.*\) lacks"):
        dim.from_unit(0.5)
    with pytest.raises(InvalidSpaceError, match=r"to_unit needs the distribution's cdf\(\)"):
        dim.to_unit("heads")


def test_contains_uses_the_support() -> None:
    assert Distribution(stats.uniform(0, 2)).contains(1.5)
    assert not Distribution(stats.uniform(0, 2)).contains(2.5)
    assert not Distribution(stats.uniform(0, 2)).contains("1")
    assert Distribution(stats.randint(0, 5)).contains(4)
    assert not Distribution(stats.randint(0, 5)).contains(2.5)
    assert not Distribution(stats.randint(0, 5)).contains(5)
    assert Distribution(Coin()).contains("anything")  # no domain to check against


def test_repr_names_the_distribution() -> None:
    assert repr(Distribution(stats.uniform(loc=1, scale=2))) == (
        "Distribution(uniform(loc=1, scale=2))")
