"""A corpus of hostile and malformed study files: every one is refused the same way.

Each case is one study file (plus, where it needs them, files beside it and command-line
arguments) with one thing wrong. ``tunesmith run`` must answer every one with exit
status 2, exactly one line on stderr that names the offending key (and, where there is
one, the value), no traceback, and nothing left behind: no database file, no study.

The cases come from a table: a valid base file, and per case the keys it changes
(``"search.cv": '"5"'`` sets ``cv = "5"`` under ``[search]``; None removes the key).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest

# A valid, fast study: KNN on iris, a 2-point grid, 3 folds. Values are TOML text.
BASE: dict[str, dict[str, str]] = {
    "": {},
    "data": {"dataset": '"iris"'},
    "estimator": {"class": '"sklearn.neighbors.KNeighborsClassifier"'},
    "space": {"n_neighbors": "[1, 5]"},
    "search": {"strategy": '"grid"', "cv": "3"},
}
RANDOM = {"search.strategy": '"random"', "search.n_trials": "2"}
CSV = {"data.dataset": None, "data.train": '"train.csv"', "data.target": '"y"'}
GOOD_CSV = "a,b,y\n" + "".join(f"{i % 7},{(i * 3) % 5},{i % 2}\n" for i in range(30))


def render(changes: Mapping[str, str | None]) -> str:
    """The base study file with ``changes`` applied, as TOML text."""
    sections = {name: dict(keys) for name, keys in BASE.items()}
    for dotted, value in changes.items():
        section, _, key = dotted.rpartition(".")
        table = sections.setdefault(section, {})
        if value is None:
            table.pop(key, None)
        else:
            table[key] = value
    lines = [f"{k} = {v}" for k, v in sections.pop("").items()]
    for name, keys in sections.items():
        lines.append(f"\n[{name}]")
        lines += [f"{_key(k)} = {v}" for k, v in keys.items()]
    return "\n".join(lines) + "\n"


def _key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else f'"{key}"'


@dataclass(frozen=True)
class Case:
    id: str
    #: The study file's text.
    text: str
    #: A regex the one error line must match (after "error: <file>: ").
    pattern: str
    #: Files to write beside the study file: name -> content (bytes or text).
    files: Mapping[str, str | bytes] = field(default_factory=dict)
    #: Extra command-line arguments.
    args: tuple[str, ...] = ()
    #: Whether the line starts with the study file's path (errors about the file do).
    prefixed: bool = True


CASES: list[Case] = []


def case(id: str, changes: Mapping[str, str | None] | str, pattern: str, **kw) -> None:
    text = changes if isinstance(changes, str) else render(changes)
    CASES.append(Case(id, text, pattern, **kw))


# -- wrong types are refused, never converted (strict) ---------------------------------

_WRONG = {'"5"': r'"5"', "true": "true", "2.5": "2.5", "[3]": r"\[3\]", "{ n = 3 }": ""}
for key, extra in (("search.cv", {}), ("search.seed", RANDOM), ("search.n_trials", RANDOM),
                   ("search.n_jobs", {}), ("data.split_seed", {}),
                   ("preprocess.max_categories", {})):
    for value, shown in _WRONG.items():
        case(f"type-{key}-{value}", {**extra, key: value},
             rf"^{re.escape(key)}: must be (an integer|a valid integer).*{shown}")
for key in ("preprocess.scale", "space.n_neighbors.log"):
    for value in ('"yes"', "1", "0", '"true"'):
        changes = {key: value} if key.startswith("preprocess") else {
            **RANDOM, "space.n_neighbors": f'{{ low = 1, high = 9, type = "int", log = {value} }}'}
        case(f"type-{key}-{value}", changes, rf"^{re.escape(key)}: must be true or false")
for value in ('"0.2"', "true", "[0.2]"):
    case(f"type-data.test_size-{value}", {"data.test_size": value},
         r"^data\.test_size: must be a (number|valid number)")
for bound in ("low", "high", "step"):
    for value in ('"1"', "true", "[1]"):
        entry = {"low": "1", "high": "9", bound: value}
        body = ", ".join(f"{k} = {v}" for k, v in entry.items())
        case(f"type-space-{bound}-{value}", {**RANDOM, "space.n_neighbors": f"{{ {body} }}"},
             rf"^space\.n_neighbors\.{bound}: must be a (number|valid number)")
for value in ('"None"', "5", '"tpe"', "true"):
    case(f"type-strategy-{value}", {"search.strategy": value.replace('"tpe"', '"TPE"')},
         r"^search\.strategy: must be 'grid', 'random', 'sobol', 'tpe'")
for value in ("5", "true", "[\"iris\"]"):
    case(f"type-dataset-{value}", {"data.dataset": value}, r"^data\.dataset: ")
for value in ("5", "[1]", "{ a = 1 }"):
    case(f"type-scoring-{value}", {"search.scoring": value}, r"^search\.scoring: must be")
    case(f"type-class-{value}", {"estimator.class": value}, r"^estimator\.class: must be")
    case(f"type-storage-{value}", {"storage": value}, r"^storage: must be")
    case(f"type-name-{value}", {"name": value}, r"^name: must be")

# -- numbers out of range ---------------------------------------------------------------

for value in ("-1", "4294967296", "9223372036854775807", "-9223372036854775808"):
    case(f"seed-{value}", {**RANDOM, "search.seed": value},
         rf"^search\.seed: must be (greater|less) than or equal to .*got {value}")
    case(f"split-seed-{value}", {"data.split_seed": value}, r"^data\.split_seed: must be")
for value in ("0", "1", "-3", "1001"):
    case(f"cv-{value}", {"search.cv": value}, rf"^search\.cv: must be .*got {value}")
for value in ("0", "-1", "10000001"):
    case(f"n-trials-{value}", {**RANDOM, "search.n_trials": value},
         rf"^search\.n_trials: must be .*got {value}")
for value in ("0", "1", "1.5", "-0.1"):
    case(f"test-size-{value}", {"data.test_size": value}, rf"^data\.test_size: must be .*{value}")
case("n-jobs-0", {"search.n_jobs": "0"}, r"^search\.n_jobs: must not be 0")
case("max-categories-1", {"preprocess.max_categories": "1"}, r"^preprocess\.max_categories: ")

# -- space entries ---------------------------------------------------------------------

_SPACE = {
    "range-huge-float": ("{ range = [1, 1e12] }", r"must be an integer, got 1000000000000\.0"),
    "range-huge": ("{ range = [0, 1000000000000] }", r"range \[0, 1000000000000\] has "),
    "range-empty": ("{ range = [5, 1] }", r"range \[5, 1\] is empty"),
    "range-step-0": ("{ range = [1, 5, 0] }", r"range needs"),
    "range-4": ("{ range = [1, 2, 3, 4] }", r"range needs"),
    "logspace-count-huge": ("{ logspace = [0, 1, 1e9] }", r"logspace count 1e\+09 is more"),
    "logspace-count-0": ("{ logspace = [0, 1, 0] }", r"logspace needs \[start, stop, count\]"),
    "logspace-nan": ("{ logspace = [0, nan, 3] }", r"logspace needs"),
    "linspace-inf": ("{ linspace = [0, inf, 3] }", r"linspace needs"),
    "linspace-frac": ("{ linspace = [0, 1, 2.5] }", r"linspace needs"),
    "linspace-short": ("{ linspace = [0, 1] }", r"linspace needs"),
    "empty-list": ("[]", r"empty list"),
    "scalar": ("5", r"expected a list of values"),
    "string": ('"5"', r"expected a list of values"),
    "two-forms": ("{ values = [1], range = [3] }", r"give exactly one of"),
    "nothing": ("{}", r"give exactly one of"),
    "low-only": ("{ low = 1 }", r"^space\.n_neighbors\.high: missing"),
    "nan-low": ("{ low = nan, high = 5 }", r"low and high must be finite"),
    "inf-high": ("{ low = 1, high = inf }", r"low and high must be finite"),
    "inverted": ("{ low = 9, high = 1 }", r"low must be <= high, got low=9, high=1"),
    "span-overflows": ("{ low = -1e308, high = 1e308 }", r"high - low must be a finite"),
    "int-2-63": ('{ low = 0, high = 9223372036854775807, type = "int" }',
                 r"an int range must lie within -2\*\*53 and 2\*\*53"),
    "log-zero": ("{ low = 0, high = 9, log = true }", r"log scale needs low > 0, got 0"),
    "step-zero": ("{ low = 1, high = 9, step = 0 }", r"must be > 0, got 0"),
    "step-negative": ("{ low = 1, high = 9, step = -1 }", r"must be > 0, got -1"),
    "log-and-step": ("{ low = 1, high = 9, step = 1, log = true }", r"either log = true or"),
    "int-frac": ('{ low = 0.5, high = 9, type = "int" }',
                 r"must be a whole number for type = \"int\", got 0\.5"),
    "type-bad": ('{ low = 1, high = 9, type = "complex" }',
                 r"must be 'float' or 'int', got \"complex\""),
    "log-without-range": ("{ values = [1], log = true }", r"log, step and type go with low"),
    "unknown-key": ("{ low = 1, high = 9, lwo = 2 }", r"unknown key \(did you mean 'low'\?\)"),
    "bad-value": ("[-1, 5]", r"n_neighbors.*Got -1 instead"),
    "nested-list": ("[[1, 2], [3]]", r"Got \(1, 2\) instead"),
}
for name, (value, pattern) in _SPACE.items():
    changes = {**RANDOM, "space.n_neighbors": value}
    case(f"space-{name}", changes, rf"^space\.n_neighbors[\w.\[\]]*: .*{pattern}"
         if not pattern.startswith("^") else pattern)
case("space-grid-int-huge", {"space.n_neighbors": '{ low = 1, high = 1e9, type = "int" }'},
     r"^space\.n_neighbors: .* values, more than the 100000")
case("space-empty-table", {"space.n_neighbors": None}, r"^space: empty")
case("space-not-a-name", {"space.1abc": "[1]"}, r"^space\.1abc: not a parameter name")
case("space-unknown-param", {"space.n_neighbours": "[1]"},
     r"^space\.n_neighbours: KNeighborsClassifier has no parameter")
case("space-grid-continuous", {"space.n_neighbors": "{ low = 1, high = 5 }"},
     r"^space\.n_neighbors: grid search needs a finite set")

# -- the estimator: only estimator packages, no file-loading parameters ----------------

for path in ("os.system", "builtins.eval", "subprocess.Popen", "pickle.loads",
             "joblib.load", "importlib.import_module", "tunesmith.Study", "numpy.load",
             "sklearnx.Model", "xsklearn.svm.SVC"):
    case(f"class-{path}", {"estimator.class": f'"{path}"'},
         rf"^estimator\.class: '{re.escape(path)}' is not allowed")
for path in ("sklearn", "", "sklearn.svm.SVC()", "sklearn..svm", "sklearn.svm.SVC; rm -rf",
             "sklearn/svm/SVC", "__import__('os')"):
    case(f"class-malformed-{path}", {"estimator.class": f'"{path}"'},
         r"^estimator\.class: expected an import path")
for path, pattern in (("sklearn._config.get_config", r"is private"),
                      ("sklearn.svm._classes.SVC", r"is private"),
                      ("sklearn.svm.NoSuchModel", r"sklearn\.svm has no 'NoSuchModel'"),
                      ("sklearn.model_selection.KFold", r"is not an estimator"),
                      ("sklearn.pipeline.Pipeline", r"cannot create Pipeline\(\) without"),
                      ("nosuchpkg_x.Model", r"is not allowed")):
    case(f"class-{path}", {"estimator.class": f'"{path}"'}, rf"^estimator\.class: .*{pattern}")
for params, key in (('{ memory = "cache" }', "memory"), ('{ memory = "/tmp" }', "memory"),
                    ('{ memory = "." }', "memory")):
    case(f"params-{key}-{params}", {
        "estimator.class": '"sklearn.cluster.AgglomerativeClustering"',
        "estimator.params": params, "space.n_neighbors": None, "space.n_clusters": "[2, 3]",
        "search.scoring": '"adjusted_rand_score"'},
        rf"^estimator\.params\.{key}: may not be set from a study file")
case("space-memory-in-pipeline", {"preprocess.scale": "true", "space.memory": '["x"]'},
     r"^space\.memory: may not be set from a study file")
case("space-preprocess-memory", {"preprocess.scale": "true",
                                 "space.preprocess__numeric__memory": '["x"]'},
     r"^space\.preprocess__numeric__memory: may not be set")
case("vectorizer-input-filename", {
    "estimator.class": '"sklearn.feature_extraction.text.TfidfVectorizer"',
    "estimator.params": '{ input = "filename" }'},
    r"^estimator\.params\.input: input = 'filename' may not be set")
case("params-unknown", {"estimator.params": "{ n_neighbours = 3 }"},
     r"^estimator\.params\.n_neighbours: KNeighborsClassifier has no parameter")
case("params-invalid", {"estimator.params": '{ weights = "heavy" }'},
     r"^estimator\.params\.weights: The 'weights' parameter")
case("params-not-a-table", {"estimator.params": "[1, 2]"}, r"^estimator\.params: must be")
case("no-score-no-scoring", {"estimator.class": '"sklearn.cluster.AgglomerativeClustering"',
                             "space.n_neighbors": None, "space.n_clusters": "[2, 3]"},
     r"^search\.scoring: AgglomerativeClustering has no score method: set scoring")
case("transformer-no-score", {"estimator.class": '"sklearn.preprocessing.StandardScaler"',
                              "space.n_neighbors": None, "space.with_mean": "[true, false]"},
     r"^search\.scoring: StandardScaler has no score method")
case("scoring-unknown", {"search.scoring": '"acuracy"'}, r"^search\.scoring: unknown scorer")

# -- storage ---------------------------------------------------------------------------

for value, pattern in (('""', r"empty"), ('"   "', r"empty"),
                       ('":memory:"', r"in-memory database"),
                       ('"sqlite://"', r"in-memory database"),
                       ('"sqlite:///:memory:"', r"in-memory database"),
                       ('"mysql://root@localhost/db"', r"'mysql://root@localhost/db' is not "
                                                       r"supported"),
                       ('"mysql+pymysql://u:pw@h/d"', r"u:\*\*\*@h/d' is not supported"),
                       ('"mongodb://h/d"', r"is not supported"),
                       ('"oracle://h/d"', r"is not supported"),
                       ('"http://example.com/db"', r"is not supported"),
                       ('"postgresql://victim@attacker.invalid/db"', r"--trust-storage"),
                       ('"postgresql://u:hunter2@attacker.invalid/db"',
                        r"u:\*\*\*@attacker\.invalid.*--trust-storage"),
                       ('"../outside.db"', r"climbs out of the study file's folder"),
                       ('"sqlite:///../outside.db"', r"climbs out"),
                       ('"a/../../outside.db"', r"climbs out"),
                       ('"/dev/null"', r"/dev/null is not a regular file"),
                       ('"."', r"is a folder"),
                       ('"sub"', r"is a folder"),
                       ('"notes.txt"', r"notes\.txt is not a SQLite database"),
                       ('"binary.db"', r"binary\.db is not a SQLite database")):
    case(f"storage-{value}", {"storage": value}, rf"^storage: .*{pattern}",
         files={"notes.txt": "hello\n", "binary.db": b"\x89PNG\r\n\x1a\n" + bytes(100),
                "sub/keep": ""})

# -- the data --------------------------------------------------------------------------

_DATA = [
    ("one-row", "a,b,y\n1,2,0\n", {}, r"^search\.cv: cv = 3 folds, but the training set has "
                                      r"only 1 row"),
    ("two-rows", "a,b,y\n1,2,0\n3,4,1\n", {}, r"^search\.cv: cv = 3 folds, but .* 2 rows"),
    ("constant-target", "a,b,y\n" + "1,2,7\n3,4,7\n" * 10, {},
     r"^data\.target: column 'y' has the same value \(7\) in every row"),
    ("too-few-per-class", "a,b,y\n" + "1,2,0\n3,4,1\n" * 2, {},
     r"^search\.cv: cv = 3 stratified folds, but no class of 'y' has that many rows"),
    ("nan-feature", "a,b,y\n" + "1,,0\n3,4,1\n" * 10, {},
     r"^data: column 'b' has 10 empty values and KNeighborsClassifier does not accept "
     r"missing values: add a \[preprocess\] table"),
    ("inf-feature", "a,b,y\n" + "1,inf,0\n3,4,1\n" * 10, {},
     r"^data: column 'b' holds an infinite value"),
    ("neg-inf-feature", "a,b,y\n" + "1,-inf,0\n3,4,1\n" * 10, {}, r"infinite value"),
    ("empty-target", "a,b,y\n" + "1,2,\n3,4,1\n" * 10, {},
     r"^data\.target: column 'y' has 10 empty values"),
    ("no-target-column", GOOD_CSV, {"data.target": '"label"'},
     r"^data\.target: no column 'label'"),
    ("text-feature", "a,b,y\n" + "x,2,0\nz,4,1\n" * 10, {}, r"^data: column a is not numeric"),
    ("empty-file", "", {}, r"^data\.train: cannot read train\.csv as CSV"),
    ("header-only", "a,b,y\n", {}, r"^data\.train: train\.csv has no rows"),
    ("binary", b"\x00\xff\xfe" * 50, {}, r"^data\.train: "),
    ("drop-target", GOOD_CSV, {"data.drop": '["y"]'}, r"^data\.drop: 'y' is the target"),
    ("drop-unknown", GOOD_CSV, {"data.drop": '["zz"]'}, r"^data\.drop: no column 'zz'"),
    ("test-size-too-big", "a,b,y\n" + "1,2,0\n3,4,1\n" * 2, {"data.test_size": "0.9",
                                                            "search.cv": "2"},
     r"^data\.test_size: cannot hold out 0\.9 of 4 rows"),
    ("train-is-dev-null", GOOD_CSV, {"data.train": '"/dev/null"'}, r"^data\.train: "),
    ("train-is-dev-zero", GOOD_CSV, {"data.train": '"/dev/zero"'},
     r"^data\.train: /dev/zero is not a regular file"),
    ("train-is-folder", GOOD_CSV, {"data.train": '"sub"'}, r"^data\.train: .* is a directory"),
    ("train-missing", GOOD_CSV, {"data.train": '"absent.csv"'}, r"^data\.train: no such file"),
    ("train-and-dataset", GOOD_CSV, {"data.dataset": '"iris"'},
     r"^data\.dataset: give either train"),
    ("test-and-test-size", GOOD_CSV, {"data.test": '"train.csv"', "data.test_size": "0.2"},
     r"^data\.test_size: give either test"),
]
for name, content, extra, pattern in _DATA:
    case(f"data-{name}", {**CSV, **extra}, pattern,
         files={"train.csv": content, "sub/keep": ""})
case("data-missing-source", {"data.dataset": None}, r"^data: give train = ")
case("data-target-without-train", {"data.dataset": None, "data.target": '"y"'}, r"^data: ")
case("data-unknown-dataset", {"data.dataset": '"titanic"'}, r"^data\.dataset: must be")

# -- names, keys, sections -------------------------------------------------------------

for value in ('""', '"a/b"', '"../escape"', '"-x"', '"a b"', f'"{"n" * 201}"',
              '"[/bold]"', '"\\u001b[31m"'):
    case(f"name-{value[:12]}", {"name": value}, r"^name: ")
for dotted in ("serach.strategy", "search.n_trails", "data.datset", "estimator.parmas",
               "preprocess.impute", "descrption", "space.n_neighbors.valeus"):
    if dotted == "space.n_neighbors.valeus":
        changes = {"space.n_neighbors": "{ valeus = [1] }"}
    else:
        changes = {dotted: "1"}
    # The key named is the misspelt one, with the section it sits in.
    key = "serach" if dotted.startswith("serach") else dotted
    case(f"unknown-key-{dotted}", changes, rf"^{re.escape(key)}: unknown key")
case("missing-search", {"search.strategy": None, "search.cv": None},
     r"^search(\.strategy)?: missing")
case("missing-estimator", {"estimator.class": None}, r"^estimator(\.class)?: missing")
case("grid-with-n-trials", {"search.n_trials": "5"}, r"^search\.n_trials: grid search runs")
case("random-without-n-trials", {"search.strategy": '"random"'},
     r"^search\.n_trials: missing required key")

# -- not a study file at all -----------------------------------------------------------

_RAW = {
    "nested-arrays-5000": "x = " + "[" * 5000 + "]" * 5000 + "\n",
    "nested-tables-5000": "x = " + "{a = " * 5000 + "1" + "}" * 5000 + "\n",
    "nested-params-20": render({}) .replace(
        "[estimator]", "[estimator]\nparams = { a = " + "[" * 20 + "]" * 20 + " }"),
    "empty": "",
    "comment-only": "# nothing here\n",
    "binary": "\x00\x01\x02garbage",
    "unclosed-string": 'name = "abc\n',
    "duplicate-key": render({}) + "\n[search]\ncv = 4\n",
    "duplicate-table-key": 'name = "a"\nname = "b"\n',
    "json-not-toml": '{"data": {"dataset": "iris"}}',
    "yaml-not-toml": "data:\n  dataset: iris\n",
    "bad-escape": 'name = "\\q"\n',
    "array-of-tables": "[[search]]\nstrategy = 'grid'\n",
    "top-level-list": "data = [1, 2]\n",
    "section-is-value": 'search = "grid"\n',
}
for name, text in _RAW.items():
    case(f"raw-{name}", text, r".")
# Study files that are not regular files.
case("study-file-is-dev-null", "", r"cannot read the study file|missing",
     args=("--study-path", "/dev/null"))
case("study-file-is-folder", "", r"cannot read the study file: .* is a folder",
     args=("--study-path", "sub"), files={"sub/keep": ""})
case("study-file-is-huge", "# " + "x" * 1_100_000 + "\n", r"larger than 1000 kB")
case("study-file-not-utf8", "", r"cannot read the study file",
     files={"study.toml": b"name = \"\xff\xfe\"\n"})

# -- the command line ------------------------------------------------------------------

for args, pattern in ((("--n-jobs", "0"), r"--n-jobs: must not be 0"),
                      (("--n-jobs", "x"), r"--n-jobs: must be an integer, got 'x'"),
                      (("--n-jobs", "1.5"), r"--n-jobs: must be an integer"),
                      (("--n-trials", "0"), r"--n-trials: must be at least 1, got 0"),
                      (("--n-trials", "-4"), r"--n-trials: must be at least 1"),
                      (("--n-trials", "5"), r"--n-trials: a grid search runs every point"),
                      (("--timeout", "0"), r"--timeout: must be a positive number"),
                      (("--timeout", "nan"), r"--timeout: must be a positive number"),
                      (("--timeout", "-1"), r"--timeout: must be a positive number"),
                      (("--timeout", "soon"), r"--timeout: must be a number of seconds"),
                      (("--storage", ""), r"--storage: empty"),
                      (("--storage", ":memory:"), r"--storage: .*in-memory"),
                      (("--storage", "mysql://u:pw@h/d"), r"--storage: 'mysql://u:\*\*\*@h/d'"),
                      (("--format", "xml"), r"--format: invalid choice"),
                      # No such database on the test server, or no server: one line either way.
                      (("--storage", "postgresql://postgres@127.0.0.1:5432/tunesmith_absent_db"),
                       r"^storage: cannot connect to postgresql://postgres@127\.0\.0\.1:5432/"
                       r"tunesmith_absent_db: .*the database must exist"),
                      (("--storage", "postgresql://u:pw@127.0.0.1:1/db"),
                       r"^storage: cannot connect to postgresql://u:\*\*\*@127\.0\.0\.1:1/db")):
    # Argument errors come from the parser (no study file named); the others do name it.
    case(f"args-{' '.join(args)}", {}, pattern, args=args, prefixed=False)


def test_the_corpus_is_large() -> None:
    assert len(CASES) >= 150, len(CASES)
    assert len({c.id for c in CASES}) == len(CASES), "case ids must be unique"


@pytest.mark.parametrize("c", CASES, ids=[c.id for c in CASES])
def test_hostile_study_file(cli, tmp_path: Path, c: Case) -> None:
    for name, content in c.files.items():
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content)
    args = list(c.args)
    study = tmp_path / "study.toml"
    if "--study-path" in args:
        where = args.pop(args.index("--study-path") + 1)
        args.remove("--study-path")
        study = Path(where) if where.startswith("/") else tmp_path / where
    elif "study.toml" not in c.files:
        study.write_text(c.text, encoding="utf-8")
    before = {p for p in tmp_path.rglob("*")}

    result = cli("run", study, *args)

    assert result.code == 2, (result.code, result.out, result.err)
    assert "Traceback" not in result.err
    lines = result.err.splitlines()
    assert len(lines) == 1, result.err
    line = lines[0]
    assert line.startswith("error: "), line
    message = line.removeprefix("error: ")
    if c.prefixed:
        assert message.startswith(f"{study}: "), line
    message = message.removeprefix(f"{study}: ")
    assert re.search(c.pattern, message), (c.pattern, line)
    assert "\x1b" not in line
    # Nothing left behind: no database, no journal, nothing else.
    after = {p for p in tmp_path.rglob("*")}
    assert after == before, sorted(map(str, after - before))
