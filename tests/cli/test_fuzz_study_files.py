"""A property-based fuzzer of study files: whatever the file says, ``tunesmith run``
answers with a result or one line.

Hypothesis writes study files that are near-valid (each key either a plausible value, a
random TOML value of any type, or missing; sometimes unknown keys, sometimes a mangled
text). For every one: never a traceback, exit status 0 or 2 (or 1 with the documented
"no trial completed" line, when every fit of a valid file fails on the data), and on an
error exactly one line on stderr.

Runs that are valid do search, so they are kept small: bundled datasets, ``--n-jobs 1``
and ``--timeout`` (1 s; 3 s in the slow run) on the command line. The default run tries
25 files; the slow one (``-m slow``) 400.
"""

from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tunesmith.cli import main

# -- TOML text ---------------------------------------------------------------------------


def toml_value(value: Any) -> str:
    """``value`` as a TOML value (inline tables and arrays; floats with nan and inf)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a TOML basic string (\\uXXXX escapes are TOML too)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(str(k))} = {toml_value(v)}"
                                for k, v in value.items()) + " }"
    raise TypeError(type(value))


def render(doc: dict[str, Any]) -> str:
    top = [f"{json.dumps(k)} = {toml_value(v)}" for k, v in doc.items()
           if not isinstance(v, dict)]
    tables = []
    for name, table in doc.items():
        if isinstance(table, dict):
            tables.append(f"[{json.dumps(name)}]")
            tables += [f"{json.dumps(str(k))} = {toml_value(v)}" for k, v in table.items()]
    return "\n".join(top + tables) + "\n"


# -- strategies --------------------------------------------------------------------------

scalars = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.integers(min_value=-3, max_value=10),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.text(max_size=12),
    st.sampled_from(["None", "", "[/bold]", "\x1b[31m", "../x", "iris", "grid", "tpe"]),
)
anything = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.text(max_size=6), inner, max_size=3)),
    max_leaves=8,
)


def key(plausible: list[Any]) -> st.SearchStrategy[Any]:
    """A plausible value most of the time, anything at all sometimes."""
    return st.one_of(st.sampled_from(plausible), st.sampled_from(plausible), anything)


SPACES = [
    {"n_neighbors": [1, 3]},
    {"max_depth": {"low": 1, "high": 4, "type": "int"}},
    {"C": {"logspace": [-2, 2, 3]}},
    {"alpha": {"low": 0.01, "high": 1.0, "log": True}},
    {"n_neighbors": {"range": [1, 9, 4]}, "weights": ["uniform", "distance"]},
    {"criterion": ["gini", "entropy"], "max_depth": [1, 2, "None"]},
    {"memory": ["cache"]},
]


@st.composite
def study_documents(draw: st.DrawFn) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    for name, strategy in (
        ("name", key(["fuzz", "a.b-c", "x" * 3])),
        ("storage", key(["runs.db", "", ":memory:", "mysql://u:pw@h/d", "../up.db",
                         "sub/../here.db", "postgresql://u:pw@127.0.0.1:1/db"])),
        ("description", key(["a study"])),
    ):
        if draw(st.integers(0, 3)) == 0:
            doc[name] = draw(strategy)
    tables = {
        "data": {"dataset": key(["iris", "wine", "breast_cancer", "diabetes", "digits"]),
                 "test_size": key([0.2, 0.5]), "split_seed": key([0, 7]),
                 "train": key(["train.csv", "absent.csv", "/dev/null"]),
                 "target": key(["y", "label"])},
        "estimator": {"class": key([
            "sklearn.neighbors.KNeighborsClassifier", "sklearn.tree.DecisionTreeClassifier",
            "sklearn.linear_model.Ridge", "sklearn.linear_model.LogisticRegression",
            "sklearn.cluster.AgglomerativeClustering", "os.system", "sklearn.svm.SVC"]),
            "params": key([{}, {"max_depth": 2}, {"memory": "x"}, {"random_state": 0}])},
        "preprocess": {"scale": key([True, False]), "numeric_impute": key(["mean"]),
                       "max_categories": key([2, 5])},
        "search": {"strategy": key(["grid", "random", "sobol", "tpe"]),
                   "n_trials": key([1, 2, 3]), "cv": key([2, 3]),
                   "scoring": key(["accuracy", "r2", "adjusted_rand_score"]),
                   "seed": key([0, 42, -1, 2**32]), "n_jobs": key([1, 0])},
    }
    for table, keys in tables.items():
        if table == "preprocess" and draw(st.booleans()):
            continue
        chosen = {k: draw(v) for k, v in keys.items() if draw(st.integers(0, 2))}
        if draw(st.integers(0, 9)) == 0:
            chosen[draw(st.text(min_size=1, max_size=6))] = draw(anything)  # unknown key
        doc[table] = chosen
    if draw(st.integers(0, 4)):
        doc["space"] = draw(st.one_of(st.sampled_from(SPACES), st.sampled_from(SPACES),
                                      st.dictionaries(st.text(max_size=8), anything,
                                                      max_size=3)))
    return doc


def _mangle(text: str, cut: int, insert: str) -> str:
    """The text with a piece cut out and something put in its place."""
    at = cut % (len(text) + 1)
    return text[:at] + insert + text[at + len(insert):]


@st.composite
def study_texts(draw: st.DrawFn) -> str:
    text = render(draw(study_documents()))
    if draw(st.integers(0, 5)) == 0:
        text = _mangle(text, draw(st.integers(0, 10_000)),
                       draw(st.sampled_from(["[", "]", "=", '"', "{", "\n[x]\n", "\\", "\x00",
                                             "[[a]]", "'''"])))
    return text


# -- the property --------------------------------------------------------------------------

TRAIN_CSV = "a,b,y\n" + "".join(f"{i % 7},{(i * 3) % 5},{i % 2}\n" for i in range(40))


def _check(text: str, capsys: pytest.CaptureFixture[str], timeout: str = "1") -> None:
    with tempfile.TemporaryDirectory() as folder:
        study = Path(folder) / "project" / "study.toml"
        study.parent.mkdir()
        (study.parent / "train.csv").write_text(TRAIN_CSV)
        (study.parent / "sub").mkdir()
        study.write_text(text, encoding="utf-8")
        capsys.readouterr()
        # A valid file searches: --timeout bounds it (a file may ask for 10**7 trials).
        code = main(["run", str(study), "--quiet", "--no-progress", "--n-jobs", "1",
                     "--timeout", timeout])
        _, err = capsys.readouterr()
    assert "Traceback" not in err, err
    assert "unexpected" not in err, err
    errors = err.strip().splitlines()
    if code == 0:
        return
    assert code in (1, 2), (code, err)
    assert len(errors) == 1, err
    assert errors[0].startswith("error: "), err
    if code == 1:  # a valid file whose every fit failed on the data: documented, exit 1
        assert "trials completed" in errors[0], err


_COMMON = dict(deadline=None, derandomize=True, database=None,
               suppress_health_check=[HealthCheck.function_scoped_fixture,
                                      HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.mark.slow  # hypothesis runs the CLI many times
@settings(max_examples=25, **_COMMON)
@given(text=study_texts())
def test_fuzzed_study_files_fail_in_one_line(text: str, capsys, monkeypatch) -> None:
    monkeypatch.delenv("TUNESMITH_STORAGE", raising=False)
    _check(text, capsys)


@pytest.mark.slow
@settings(max_examples=400, **{**_COMMON, "derandomize": False})
@given(text=study_texts())
def test_fuzzed_study_files_fail_in_one_line_many(text: str, capsys, monkeypatch) -> None:
    monkeypatch.delenv("TUNESMITH_STORAGE", raising=False)
    _check(text, capsys, timeout="3")
