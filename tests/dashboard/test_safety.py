"""The dashboard only reads, and shows every stored string as text.

Read-only: the SQLite file's bytes, journal mode and tables are the same after the
dashboard has served every page and API of it. Escaping: study names, parameters and
failure messages holding HTML, a script, an ANSI escape or rich markup come back exact
in JSON, never appear in the HTML the server sends, and reach plotly as entities it
draws literally (the browser side is in test_browser.py).
"""

from __future__ import annotations

import hashlib
import html
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from tunesmith.cli._storage import open_for_inspection
from tunesmith.dashboard import create_app
from tunesmith.dashboard._render import plot_text

# Each test builds a stored study and an app (a few tenths of a second): the full run's.
pytestmark = pytest.mark.slow

KINDS = ["html", "script", "ansi", "markup"]
PLOT_KEYS = ["history", "importance", "parallel", "slice", "contour", "folds"]


def _fingerprint(path: Path) -> tuple[str, str, list[str]]:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    finally:
        conn.close()
    return digest, mode, tables


def _every_request(c: TestClient, sid: int) -> None:
    for url in ["/", f"/studies/{sid}", f"/studies/{sid}/trials/5", "/api/studies",
                f"/api/studies/{sid}", f"/api/studies/{sid}/status",
                f"/api/studies/{sid}/trials?sort=value", f"/api/studies/{sid}/trials/3",
                f"/api/studies/{sid}/verdict", f"/api/studies/{sid}/plots",
                *(f"/api/studies/{sid}/plots/{key}" for key in PLOT_KEYS)]:
        assert c.get(url).status_code == 200, url


def test_serving_every_page_leaves_the_file_as_it_was(small_db) -> None:
    url, expected = small_db
    path = Path(url.removeprefix("sqlite:///"))
    before = _fingerprint(path)
    assert before[1] == "wal"
    with open_for_inspection(url) as storage, TestClient(create_app(storage)) as c:
        _every_request(c, expected["study_id"])
    assert _fingerprint(path) == before


def test_a_read_only_storage_cannot_be_written_through_the_dashboard(small_db) -> None:
    # The connections the dashboard reads through are read-only at the SQLite level.
    with open_for_inspection(small_db[0]) as storage, pytest.raises(Exception,
                                                                     match="readonly"):
        storage.create_study("new", direction="minimize")


@pytest.mark.parametrize("kind", KINDS)
def test_a_hostile_study_name_param_and_message_come_back_exact(client, small_db, helpers,
                                                                 kind) -> None:
    text = helpers.HOSTILE[kind]
    _url, expected = small_db
    sid = expected["study_id"]
    names = {s["id"]: s["name"] for s in client.get("/api/studies").json()["studies"]}
    assert names[expected["named"][kind]] == text
    assert client.get(f"/api/studies/{expected['named'][kind]}").json()["name"] == text
    rows = client.get(f"/api/studies/{sid}/trials", params={"limit": 20}).json()["trials"]
    assert text in {row["params"]["kind"] for row in rows}
    message = client.get(f"/api/studies/{sid}/trials/5").json()["message"]
    if kind in ("ansi", "html"):
        assert text in message
    response = client.get("/api/studies")
    assert response.headers["content-type"] == "application/json"
    assert json.loads(response.content)  # strict JSON: the escapes are JSON's own


@pytest.mark.parametrize("kind", KINDS)
def test_no_stored_string_is_in_the_html_the_server_sends(client, small_db, helpers,
                                                          kind) -> None:
    text = helpers.HOSTILE[kind]
    sid = small_db[1]["named"][kind]
    for url in ["/", f"/studies/{sid}", f"/studies/{sid}/trials/5"]:
        page = client.get(url).text
        assert text not in page and html.escape(text) not in page


@pytest.mark.parametrize("kind", KINDS)
def test_plots_receive_stored_text_as_entities(client, small_db, helpers, kind) -> None:
    text = helpers.HOSTILE[kind]
    sid = small_db[1]["study_id"]
    shown = plot_text(text)
    found = False
    for key in PLOT_KEYS:
        drawn = json.loads(client.get(f"/api/studies/{sid}/plots/{key}").content)
        # Every trace is one whose texts plotly reads with entities (parcoords, which
        # drew its tick labels as plain text, is not used).
        assert {t["type"] for t in drawn["figure"]["data"]} <= {
            "scatter", "bar", "contour", "heatmap", "box"}, key
        strings = _strings(drawn)
        assert text not in strings or text == shown  # rich markup is plain text to plotly
        if kind in ("html", "script"):
            assert not any("<script" in s or "<img" in s for s in strings), key
        if kind == "ansi":
            assert not any("\x1b" in s for s in strings), key
        found = found or any(shown[:30] in s for s in strings)
    assert found, f"{shown!r} is drawn by no plot"


def _strings(obj: Any) -> list[str]:
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, dict):
        return [s for value in obj.values() for s in _strings(value)]
    if isinstance(obj, list):
        return [s for value in obj for s in _strings(value)]
    return []


def test_plot_text_escapes_markup_and_controls() -> None:
    assert plot_text("<script>x</script>") == "&lt;script&gt;x&lt;/script&gt;"
    assert plot_text("a & b") == "a &amp; b"
    assert plot_text("\x1b[31m\u202e") == "\\x1b[31m\\u202e"
    assert plot_text("[/markup]") == "[/markup]"
