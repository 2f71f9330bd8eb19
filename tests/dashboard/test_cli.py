"""``tunesmith dashboard``: a real server on a free port, and one-line refusals."""

from __future__ import annotations

import hashlib
import socket
import sqlite3
from pathlib import Path

import httpx
import pytest

from tunesmith.cli import main

# The dashboard's command end to end (servers, ports): the full run's.
pytestmark = pytest.mark.slow


def test_serves_on_loopback_and_prints_the_address(small_db, serve) -> None:
    url, expected = small_db
    server = serve(url)
    assert server.address.startswith("http://127.0.0.1:")
    assert "(Ctrl-C to stop)" in server.first_line
    studies = httpx.get(server.address + "/api/studies", timeout=30).json()["studies"]
    assert expected["study_id"] in [s["id"] for s in studies]
    page = httpx.get(f"{server.address}/studies/{expected['study_id']}", timeout=30)
    assert 'data-testid="n-trials"' in page.text
    # Another site's page that resolves its name to 127.0.0.1 gets nothing.
    rebound = httpx.get(server.address + "/api/studies", headers={"host": "evil.example"},
                        timeout=30)
    assert rebound.status_code == 400


def test_a_study_file_stands_for_its_storage(tmp_path: Path, helpers, serve) -> None:
    helpers.build_small(f"sqlite:///{tmp_path / 'runs.db'}", name="from-file")
    study = tmp_path / "study.toml"
    study.write_text('storage = "runs.db"\n[data]\ndataset = "iris"\n'
                     '[estimator]\nclass = "sklearn.tree.DecisionTreeClassifier"\n'
                     '[space]\nmax_depth = [1, 2]\n[search]\nstrategy = "grid"\ncv = 3\n')
    server = serve(str(study))
    names = [s["name"] for s in httpx.get(server.address + "/api/studies", timeout=30)
             .json()["studies"]]
    assert names == ["from-file"]


def _one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err, err
    return err


def test_a_taken_port_is_one_line(small_db, capsys) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        status = main(["dashboard", "--storage", small_db[0], "--port", str(port)])
    assert status == 2
    assert f"cannot listen on 127.0.0.1:{port}" in _one_line_error(capsys)


@pytest.mark.parametrize("args, words", [
    (["dashboard"], "which storage?"),
    (["dashboard", "--storage", "/nonexistent/x.db"], "no database at"),
    (["dashboard", "--storage", "sqlite://"], "in-memory"),
    (["dashboard", "notes.txt", "--storage", "x.db"], "not a study file"),
    (["dashboard", "--storage", "x.db", "--port", "70000"], "between 0 and 65535"),
    (["dashboard", "--storage", "x.db", "--host", "no-such-host.invalid", "--port", "0"],
     "cannot listen on"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, monkeypatch, capsys, helpers, args,
                                          words) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TUNESMITH_STORAGE", raising=False)
    helpers.build_small(f"sqlite:///{tmp_path / 'x.db'}")
    assert main(args) == 2
    assert words in _one_line_error(capsys)


def test_another_applications_sqlite_file_is_refused_untouched(tmp_path, capsys) -> None:
    path = tmp_path / "app.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (body TEXT)")
    conn.execute("INSERT INTO notes VALUES ('<b>mine</b>')")
    conn.commit()
    conn.close()
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    assert main(["dashboard", "--storage", str(path), "--port", "0"]) == 2
    assert "not a tunesmith database" in _one_line_error(capsys)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master")] == ["notes"]
    finally:
        conn.close()
