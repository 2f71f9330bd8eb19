"""The trust model of docs/security.md, item by item: what a study file may not do.

Each test here failed on the CLI before the model was written down: a study file could
make joblib load pickles (``memory``), send the user's PostgreSQL password to a host it
names, leave passwords in output and in the database, turn another application's SQLite
file into a tunesmith database (and switch it to WAL), and crash every inspection
command with a ``[/...]`` in a stored string.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tunesmith.records import Direction, TrialState
from tunesmith.storage import open_storage

AGGLOMERATIVE = """\
    [data]
    dataset = "iris"

    [estimator]
    class = "sklearn.cluster.AgglomerativeClustering"
    params = {{ {params} }}

    [space]
    n_clusters = [2, 3]

    [search]
    strategy = "grid"
    cv = 3
    scoring = "adjusted_rand_score"
"""


def _one_line(result, *needles: str) -> str:
    assert result.code == 2, (result.code, result.err)
    assert "Traceback" not in result.err
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


# -- 1. no parameter that loads files or code -------------------------------------------


@pytest.mark.parametrize("params", ['memory = "cache"', 'memory = "/tmp"'])
def test_memory_is_refused_in_fixed_params(cli, study_file, tmp_path: Path, params) -> None:
    path = study_file(AGGLOMERATIVE.format(params=params))
    line = _one_line(cli("run", path), "estimator.params.memory", "pickles")
    assert "docs/security.md" in line
    assert not path.with_suffix(".db").exists()
    assert not (tmp_path / "cache").exists()  # joblib never made its folder


def test_memory_is_refused_in_the_space(cli, study_file) -> None:
    text = AGGLOMERATIVE.format(params="").replace("n_clusters = [2, 3]",
                                                   'memory = ["a", "b"]')
    path = study_file(text)
    _one_line(cli("run", path), "space.memory", "may not be set from a study file")
    assert not path.with_suffix(".db").exists()


def test_memory_none_and_warm_start_are_fine(cli, study_file) -> None:
    # The screen names what loads things, not every parameter: these two are harmless.
    from tunesmith.cli._checks import screen_param

    screen_param("estimator.params.memory", "memory", None)
    screen_param("estimator.params.warm_start", "warm_start", True)
    screen_param("space.model__C", "model__C", 1.0)


@pytest.mark.parametrize(("name", "value", "needle"), [
    ("model__memory", "x", "memory"),
    ("input", "filename", "open the files the data names"),
    ("train_dir", "/tmp/x", "write files"),
    ("init_file", "/etc/passwd", "looks like a path"),
])
def test_other_file_parameters_are_refused(name, value, needle) -> None:
    from tunesmith.cli._checks import screen_param
    from tunesmith.cli._config import ConfigError

    with pytest.raises(ConfigError, match=needle) as caught:
        screen_param(f"space.{name}", name, value)
    assert str(caught.value).startswith(f"space.{name}: ")


def test_only_estimator_packages_are_imported(cli, study_file, iris_grid) -> None:
    for path in ("joblib.Memory", "pickle.loads", "tunesmith.Study", "sklearnx.Model"):
        result = cli("run", study_file(iris_grid.replace(
            "sklearn.neighbors.KNeighborsClassifier", path)))
        _one_line(result, "estimator.class", "is not allowed")


# -- 2. a remote storage named in a study file needs --trust-storage ---------------------


def test_remote_storage_in_a_file_needs_trust(cli, study_file, iris_grid) -> None:
    path = study_file('storage = "postgresql://victim@attacker.invalid/db"\n' + iris_grid)
    line = _one_line(cli("run", path), "storage", "--trust-storage")
    assert "attacker.invalid" in line
    # The inspection commands follow the same rule when given the study file.
    _one_line(cli("show", path), "--trust-storage")


def test_trusted_or_command_line_storage_is_tried(cli, study_file, iris_grid) -> None:
    # Port 1 answers nothing: the storage is tried (and fails in one line), not refused.
    url = "postgresql://someone@127.0.0.1:1/db"
    path = study_file(f'storage = "{url}"\n' + iris_grid)
    trusted = _one_line(cli("run", path, "--trust-storage"), "cannot connect to")
    assert "--trust-storage" not in trusted
    plain = study_file(iris_grid, name="plain.toml")
    given = _one_line(cli("run", plain, "--storage", url), "cannot connect to")
    assert "127.0.0.1:1" in given
    assert not plain.with_suffix(".db").exists()


# -- 3. passwords are never printed or stored --------------------------------------------


def test_password_is_redacted_in_errors(cli, study_file, iris_grid) -> None:
    url = "postgresql://ann:s3cret@127.0.0.1:1/db"
    result = cli("run", study_file(iris_grid), "--storage", url)
    line = _one_line(result, "ann:***@127.0.0.1:1")
    assert "s3cret" not in line
    result = cli("studies", "--storage", url)
    assert "s3cret" not in result.err and result.code == 2


def test_password_is_never_printed_nor_stored(cli, study_file, iris_grid, tmp_path) -> None:
    with postgres_schema() as base:
        # A password the server ignores (trust authentication) but a URL would show.
        import sqlalchemy as sa

        url = sa.make_url(base).set(password="s3cret").render_as_string(hide_password=False)
        assert "s3cret" in url
        path = study_file(f"storage = {json.dumps(url)}\n" + iris_grid)
        run = cli("run", path, "--trust-storage", "--no-progress")
        if run.code == 2 and "password authentication" in run.err:
            pytest.skip("the test server checks passwords")
        assert run.code == 0, run.err
        shown = [run.out, run.err]
        for args in (("show", path), ("show", path, "--format", "json"), ("trials", path),
                     ("best", path, "--format", "json")):
            result = cli(*args, "--trust-storage")
            assert result.code == 0, result.err
            shown += [result.out, result.err]
        as_json = cli("run", path, "--trust-storage", "--format", "json")
        shown += [as_json.out, as_json.err]
        for text in shown:
            assert "s3cret" not in text
        assert "***" in json.loads(as_json.out)["storage"]
        with open_storage(url) as storage:
            attrs = storage.study_attrs(storage.study_id("study"))
        assert "s3cret" not in json.dumps(attrs)
        assert "***" in attrs["cli_settings"]["storage"]


POSTGRES_URL = os.environ.get("TUNESMITH_POSTGRES_URL",
                              "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@contextlib.contextmanager
def postgres_schema() -> Iterator[str]:
    """A URL into a fresh schema of the test server, dropped afterwards (skip if none)."""
    psycopg = pytest.importorskip("psycopg")
    import sqlalchemy as sa

    parsed = sa.make_url(POSTGRES_URL)

    def admin():  # -> psycopg.Connection
        return psycopg.connect(host=parsed.host, port=parsed.port or 5432,
                               user=parsed.username, password=parsed.password,
                               dbname=parsed.database, connect_timeout=3, autocommit=True)

    try:
        admin().close()
    except Exception as error:
        if os.environ.get("TUNESMITH_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"TUNESMITH_REQUIRE_POSTGRES=1, but PostgreSQL is unreachable: {error}")
        pytest.skip(f"PostgreSQL is unreachable: {' '.join(str(error).split())}")
    name = f"tunesmith_cli_{uuid.uuid4().hex[:12]}"
    with admin() as conn:
        conn.execute(f'CREATE SCHEMA "{name}"')
    try:
        yield parsed.update_query_dict({"options": f"-csearch_path={name}"}).render_as_string(
            hide_password=False)
    finally:
        with admin() as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


# -- 4. inspection is read-only, and only of tunesmith databases ---------------------------


def _other_apps_db(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE notes (body TEXT)")
        conn.execute("INSERT INTO notes VALUES ('mine')")
    conn.close()
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _journal_mode(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA journal_mode").fetchone()[0]
    finally:
        conn.close()


@pytest.mark.parametrize("command", [("studies",), ("show", "x"), ("trials", "x"),
                                     ("best", "x"), ("delete", "x", "--yes")])
def test_another_apps_sqlite_file_is_left_alone(cli, tmp_path, command) -> None:
    other = tmp_path / "other.db"
    digest = _other_apps_db(other)
    line = _one_line(cli(*command, "--storage", other), "not a tunesmith database")
    assert str(other) in line
    assert hashlib.sha256(other.read_bytes()).hexdigest() == digest
    assert _journal_mode(other) == "delete"
    conn = sqlite3.connect(other)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    conn.close()
    assert tables == {"notes"}


def test_a_study_file_may_not_write_into_another_apps_database(cli, tmp_path,
                                                                iris_grid) -> None:
    other = tmp_path / "places.sqlite"
    digest = _other_apps_db(other)
    path = tmp_path / "study.toml"
    path.write_text(f'storage = "{other}"\n' + iris_grid)
    _one_line(cli("run", path), "storage", "another application's SQLite database",
              "--storage")
    assert hashlib.sha256(other.read_bytes()).hexdigest() == digest
    assert _journal_mode(other) == "delete"


@pytest.mark.parametrize("content", [b"just some text\n", b"\x00" * 200])
def test_a_file_that_is_not_a_database_is_refused(cli, tmp_path, content) -> None:
    other = tmp_path / "notes.txt"
    other.write_bytes(content)
    for command in (("studies",), ("show", "x")):
        _one_line(cli(*command, "--storage", other), str(other), "not a")
    assert other.read_bytes() == content


def test_inspection_does_not_write_a_tunesmith_database(cli, tmp_path) -> None:
    db = tmp_path / "runs.db"
    with open_storage(f"sqlite:///{db}") as storage:
        sid = storage.create_study("s", direction=Direction.MAXIMIZE)
        trial = storage.create_trial(sid, owner="me", params={"C": 1.0})
        storage.finish_trial(trial.trial_id, TrialState.COMPLETE, value=0.5)
    digest = hashlib.sha256(db.read_bytes()).hexdigest()
    db.chmod(0o444)  # a database someone may only read: looking at it must still work
    try:
        for command in (("studies",), ("show", "s"), ("trials", "s"), ("best", "s")):
            result = cli(*command, "--storage", db)
            assert result.code == 0, (command, result.err)
    finally:
        db.chmod(0o644)
    assert hashlib.sha256(db.read_bytes()).hexdigest() == digest


# -- storage paths stay where the user can see them ----------------------------------------


@pytest.mark.parametrize("storage", ["../elsewhere.db", "sqlite:///../elsewhere.db",
                                     "runs/../../elsewhere.db"])
def test_a_study_file_may_not_climb_out_of_its_folder(cli, tmp_path, iris_grid,
                                                       storage) -> None:
    folder = tmp_path / "project"
    folder.mkdir()
    path = folder / "study.toml"
    path.write_text(f"storage = {json.dumps(storage)}\n" + iris_grid)
    _one_line(cli("run", path), "storage", "climbs out of the study file's folder",
              "--storage")
    assert not (tmp_path / "elsewhere.db").exists()


def test_the_command_line_may_name_a_path_anywhere(cli, tmp_path, iris_grid,
                                                   monkeypatch) -> None:
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "study.toml").write_text(iris_grid)
    monkeypatch.chdir(folder)
    result = cli("run", "study.toml", "--quiet", "--storage", "../elsewhere.db")
    assert result.code == 0, result.err
    assert (tmp_path / "elsewhere.db").is_file()


def test_a_path_below_the_study_file_is_fine(tmp_path, iris_grid) -> None:
    from tunesmith.cli._config import parse_settings

    settings = parse_settings('storage = "runs/../here.db"\n' + iris_grid, name="s",
                              base_dir=tmp_path)
    assert settings.storage == f"sqlite:///{tmp_path.resolve() / 'here.db'}"


# -- 5. stored text is text: no markup, no raw escapes ---------------------------------------


HOSTILE = "[/bold] [red]x[/red] :smile:"


@pytest.fixture
def hostile_db(tmp_path) -> Path:
    db = tmp_path / "hostile.db"
    with open_storage(f"sqlite:///{db}") as storage:
        sid = storage.create_study("a[/b]", direction=Direction.MAXIMIZE,
                                   attrs={"cli_result": {"scoring": "acc[/x]"}})
        done = storage.create_trial(sid, owner="me", params={"kernel": HOSTILE, "C": 1.0})
        storage.finish_trial(done.trial_id, TrialState.COMPLETE, value=0.75)
        failed = storage.create_trial(sid, owner="me", params={"kernel": "\x1b[2J\x1b]0;t\x07",
                                                               "C": 2.0})
        storage.finish_trial(failed.trial_id, TrialState.FAILED,
                             message="boom [/] \x1b[31mred\u202e")
    return db


@pytest.mark.parametrize("command", [("studies",), ("show", "a[/b]"), ("trials", "a[/b]"),
                                     ("best", "a[/b]")])
def test_markup_and_escapes_in_stored_strings(cli, hostile_db, command) -> None:
    result = cli(*command, "--storage", hostile_db)
    assert result.code == 0, result.err
    assert "\x1b" not in result.out + result.err and "\u202e" not in result.out
    if command[0] in ("studies", "show"):
        assert "a[/b]" in result.out
    if command[0] in ("trials", "best"):
        assert HOSTILE in result.out
    if command[0] == "trials":
        assert "\\x1b[2J" in result.out and "boom [/]" in result.out


def test_csv_and_json_carry_no_raw_escapes(cli, hostile_db) -> None:
    as_csv = cli("trials", "a[/b]", "--storage", hostile_db, "--format", "csv")
    assert as_csv.code == 0 and "\x1b" not in as_csv.out and "\\x1b[31mred" in as_csv.out
    as_json = cli("trials", "a[/b]", "--storage", hostile_db, "--format", "json")
    assert "\x1b" not in as_json.out
    # JSON keeps the data exactly (escaped by the JSON encoder, decoded back).
    assert json.loads(as_json.out)[1]["message"] == "boom [/] \x1b[31mred\u202e"
