"""The dashboard's pages and JSON against real SQLite studies, checked against what the
public Storage interface reads back, computed independently here."""

from __future__ import annotations

import math
import re
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from tunesmith.cli._storage import open_for_inspection
from tunesmith.dashboard import create_app
from tunesmith.dashboard._watch import Watch
from tunesmith.records import Direction, FrozenTrial, TrialState, best_trial
from tunesmith.storage import MemoryStorage
from tunesmith.storage._sql import SQLStorage

# Each test builds a stored study and an app (a few tenths of a second): the full run's.
pytestmark = pytest.mark.slow

PLOT_KEYS = ["history", "importance", "parallel", "slice", "contour", "folds"]


def _trials(url: str, study_id: int) -> list[FrozenTrial]:
    with SQLStorage(url) as storage:
        return storage.trials(study_id)


def test_studies_lists_every_study_with_counts_best_and_workers(client, small_db) -> None:
    url, expected = small_db
    data = client.get("/api/studies").json()["studies"]
    with SQLStorage(url) as storage:
        summaries = {s.study_id: s for s in storage.list_studies()}
        assert [s["id"] for s in data] == sorted(summaries)
        for row in data:
            trials = storage.trials(row["id"])
            assert row["name"] == summaries[row["id"]].name
            assert row["counts"] == dict(Counter(t.state.value for t in trials))
            assert row["n_trials"] == len(trials)
            best = best_trial(trials, Direction(row["direction"]))
            assert row["best_value"] == pytest.approx(best.value)  # type: ignore[union-attr]
    small = next(s for s in data if s["id"] == expected["study_id"])
    # One trial runs, its owner beat a moment ago (on another host): a live worker.
    assert small["status"] == "running" and small["live_workers"] == 1
    assert small["workers"][0]["owner"] == "host:1:abc"


def test_a_finished_study_and_an_abandoned_one(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    with SQLStorage(url) as storage:
        done = storage.create_study("done", direction=Direction.MINIMIZE)
        trial = storage.create_trial(done, owner="h:1:a")
        storage.finish_trial(trial.trial_id, TrialState.COMPLETE, value=1.0)  # type: ignore
        left = storage.create_study("left", direction=Direction.MINIMIZE)
        storage.create_trial(left, owner="released")  # Ctrl-C gave it up
        planned = storage.create_study("planned", direction=Direction.MINIMIZE,
                                       attrs={"cli_planned": 5})
        trial = storage.create_trial(planned, owner="h:1:a")
        storage.finish_trial(trial.trial_id, TrialState.COMPLETE, value=1.0)  # type: ignore
    with open_for_inspection(url) as storage, TestClient(create_app(storage)) as c:
        status = {s["name"]: s["status"] for s in c.get("/api/studies").json()["studies"]}
    assert status == {"done": "finished", "left": "interrupted", "planned": "interrupted"}


def test_study_page_is_a_shell_with_the_trial_count_element(client, small_db) -> None:
    sid = small_db[1]["study_id"]
    page = client.get(f"/studies/{sid}")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert 'data-testid="n-trials"' in page.text
    csp = page.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "unsafe-eval" not in csp
    assert client.get(f"/studies/{sid}/trials/5").status_code == 200
    assert client.get("/").status_code == 200
    assert client.get("/studies/999").status_code == 404
    assert client.get(f"/studies/{sid}/trials/999").status_code == 404
    boxes = re.findall(r'<div class="plot" id="plot-(\w+)" data-key="(\w+)">', page.text)
    assert [key for key, same in boxes if key == same] == PLOT_KEYS  # asked for at once


def test_plotly_js_is_the_packaged_file_gzipped_when_accepted(client) -> None:
    import gzip

    import plotly

    packaged = (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").read_bytes()
    headers, wire = _raw(client, "/static/plotly.min.js", "gzip")
    assert headers["content-encoding"] == "gzip" and headers["cache-control"] == "max-age=86400"
    # A comment first (V8's compile hint), then plotly's own file byte for byte.
    first, rest = gzip.decompress(wire).split(b"\n", 1)
    assert first == b"//# allFunctionsCalledOnLoad" and rest == packaged
    headers, wire = _raw(client, "/static/plotly.min.js", "identity")
    assert "content-encoding" not in headers and wire.split(b"\n", 1)[1] == packaged


def _raw(client: Any, url: str, encoding: str) -> tuple[Any, bytes]:
    """The headers and the body as sent (not decoded), asking for ``encoding``."""
    with client.stream("GET", url, headers={"accept-encoding": encoding}) as response:
        assert response.status_code == 200
        return response.headers, b"".join(response.iter_raw())


def test_study_api_status_and_seq(client, small_db) -> None:
    url, expected = small_db
    sid = expected["study_id"]
    trials = _trials(url, sid)
    study = client.get(f"/api/studies/{sid}").json()
    with SQLStorage(url) as storage:
        assert study["attrs"] == storage.study_attrs(sid)
        seq = storage.changed_trials(sid, 0)[1]
    status = client.get(f"/api/studies/{sid}/status").json()
    assert status["n_trials"] == len(trials) == 12
    assert status["counts"] == dict(Counter(t.state.value for t in trials))
    best = best_trial(trials, Direction.MAXIMIZE)
    assert status["best"] == {"number": best.number, "value": best.value}  # type: ignore
    assert status["seq"] == seq
    assert client.get("/api/studies/999/status").status_code == 404


def test_trial_api_has_params_folds_steps_message_owner(client, small_db) -> None:
    url, expected = small_db
    sid = expected["study_id"]
    trials = {t.number: t for t in _trials(url, sid)}
    for number in range(12):
        got = client.get(f"/api/studies/{sid}/trials/{number}").json()
        want = trials[number]
        assert got["params"] == dict(want.params)
        assert got["state"] == want.state.value
        assert got["message"] == want.message
        assert got["owner"] == want.owner == "host:1:abc"
        assert got["heartbeat_at"] == want.heartbeat_at.isoformat()  # type: ignore[union-attr]
        assert got["intermediate"] == [[s, v] for s, v in sorted(want.intermediate.items())]
        assert [f["test_scores"] for f in got["folds"]] == [dict(f.test_scores)
                                                            for f in want.folds]
        assert [f["fit_time"] for f in got["folds"]] == [f.fit_time for f in want.folds]
    pruned = client.get(f"/api/studies/{sid}/trials/3").json()
    assert pruned["intermediate"] == [[0, 0.0], [1, 0.1], [2, 0.2], [3, pytest.approx(0.3)]]
    assert client.get(f"/api/studies/{sid}/trials/11").json()["display_state"] == "running"
    assert client.get(f"/api/studies/{sid}/trials/99").status_code == 404


@pytest.fixture(scope="module")
def medium(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, list[FrozenTrial]]:
    """500 trials of the big study's kind: enough for pages, sorts and filters."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("dashboard_studies_m",
                                                  Path(__file__).with_name("studies.py"))
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    path = tmp_path_factory.mktemp("medium") / "medium.db"
    module.build_big(path, 500, name="medium")
    url = f"sqlite:///{path}"
    return url, _trials(url, 1)


def _expected(trials: list[FrozenTrial], *, sort: str, desc: bool = False,
              states: tuple[str, ...] = (), text: str = "", lo: float | None = None,
              hi: float | None = None) -> list[int]:
    """The table's rule, written out: filter; sort by the key (trials without one
    last), ties by number."""
    kept = []
    for t in trials:
        if states and t.state.value not in states:
            continue
        haystack = (str(dict(t.params)) + " " + (t.message or "")).lower()
        if text and text.lower() not in haystack:
            continue
        finite = t.value is not None and math.isfinite(t.value)
        if (lo is not None or hi is not None) and not finite:
            continue
        if lo is not None and t.value < lo:  # type: ignore[operator]
            continue
        if hi is not None and t.value > hi:  # type: ignore[operator]
            continue
        kept.append(t)
    key: dict[str, Any] = {
        "number": lambda t: t.number, "value": lambda t: t.value, "state": lambda t: t.state.value,
        "duration": lambda t: t.duration, "started": lambda t: t.started_at,
    }
    with_key = [t for t in kept if key[sort](t) is not None]
    without = [t for t in kept if key[sort](t) is None]
    with_key.sort(key=lambda t: t.number)
    with_key.sort(key=key[sort], reverse=desc)  # stable: ties keep number order
    return [t.number for t in with_key + sorted(without, key=lambda t: t.number)]


@pytest.mark.parametrize("query, rule", [
    ({"sort": "value"}, {"sort": "value"}),
    ({"sort": "value", "order": "desc"}, {"sort": "value", "desc": True}),
    ({"sort": "state"}, {"sort": "state"}),
    ({"sort": "duration", "order": "desc"}, {"sort": "duration", "desc": True}),
    ({"sort": "number", "order": "desc"}, {"sort": "number", "desc": True}),
    ({"state": ["failed", "pruned"]}, {"sort": "number", "states": ("failed", "pruned")}),
    ({"q": "POLY", "sort": "value"}, {"sort": "value", "text": "poly"}),
    ({"q": "diverged"}, {"sort": "number", "text": "diverged"}),
    ({"min": "1", "max": "4.5", "sort": "value", "order": "desc"},
     {"sort": "value", "desc": True, "lo": 1.0, "hi": 4.5}),
    ({"q": "100%_"}, {"sort": "number", "text": "100%_"}),
])
def test_table_pages_sorts_and_filters_like_the_stored_trials(medium, query, rule) -> None:
    url, trials = medium
    expected = _expected(trials, **rule)
    got: list[int] = []
    with open_for_inspection(url) as storage, TestClient(create_app(storage)) as c:
        offset = 0
        while True:
            page = c.get("/api/studies/1/trials",
                         params={**query, "offset": offset, "limit": 73}).json()
            assert page["total"] == len(expected)
            got += [row["number"] for row in page["trials"]]
            offset += 73
            if offset >= page["total"]:
                break
    assert got == expected


def test_pruned_rows_show_their_last_intermediate_value(medium) -> None:
    url, trials = medium
    pruned = [t for t in trials if t.state is TrialState.PRUNED]
    with open_for_inspection(url) as storage, TestClient(create_app(storage)) as c:
        rows = c.get("/api/studies/1/trials", params={"state": "pruned", "limit": 500}).json()
    for row, trial in zip(rows["trials"], pruned, strict=True):
        last = max(trial.intermediate)
        assert row["steps"] == {"n": len(trial.intermediate), "last_step": last,
                                "last_value": pytest.approx(trial.intermediate[last])}


@pytest.mark.parametrize("params, word", [
    ({"sort": "bogus"}, "sort"), ({"order": "up"}, "order"), ({"limit": "0"}, "limit"),
    ({"limit": "x"}, "limit"), ({"min": "abc"}, "min"), ({"state": "done"}, "state"),
    ({"offset": "-1"}, "offset"), ({"max": "nan"}, "finite"),
])
def test_a_bad_table_query_is_a_400_naming_it(client, small_db, params, word) -> None:
    response = client.get(f"/api/studies/{small_db[1]['study_id']}/trials", params=params)
    assert response.status_code == 400
    assert word in response.json()["error"]


def test_every_plot_is_a_figure_or_says_why_not(client, small_db) -> None:
    sid = small_db[1]["study_id"]
    assert [p["key"] for p in client.get(f"/api/studies/{sid}/plots").json()["plots"]] \
        == PLOT_KEYS
    for key in PLOT_KEYS:
        entry = client.get(f"/api/studies/{sid}/plots/{key}").json()
        assert entry["key"] == key
        assert entry["figure"]["data"], key  # the small study can draw them all
    history = client.get(f"/api/studies/{sid}/plots/history").json()["figure"]
    assert sorted(_array(history["data"][0]["x"])) == [0, 1, 2, 4, 6, 8, 9, 10]  # complete
    assert client.get(f"/api/studies/{sid}/plots/nope").status_code == 404
    assert client.get("/api/studies/999/plots/history").status_code == 404


def _array(data: Any) -> list[Any]:
    """A plotly JSON array: a list, or plotly's typed array (base64 and a dtype)."""
    if isinstance(data, dict):
        import base64

        import numpy as np

        return np.frombuffer(base64.b64decode(data["bdata"]), dtype=data["dtype"]).tolist()
    return list(data)


def test_verdict_on_a_cross_validated_study(client, small_db) -> None:
    verdict = client.get(f"/api/studies/{small_db[1]['study_id']}/verdict").json()["verdict"]
    assert verdict["compared"] == 8  # the complete trials: the best and 7 runners-up
    assert any("default" in line for line in verdict["lines"])


def test_the_default_a_run_stored_is_in_the_verdict_and_the_fold_spread(small_db) -> None:
    url, expected = small_db
    sid = expected["study_id"]
    with open_for_inspection(url) as storage, TestClient(create_app(storage)) as c:
        before = c.get(f"/api/studies/{sid}/verdict").json()["verdict"]["lines"]
        with SQLStorage(url) as writer:  # what `tunesmith run` stores when it ends
            writer.set_study_attr(sid, "cli_result", {
                "scoring": "accuracy", "default_scores": [0.4, None, 0.42]})
        after = c.get(f"/api/studies/{sid}/verdict").json()["verdict"]["lines"]
        folds = c.get(f"/api/studies/{sid}/plots/folds").json()["figure"]["data"]
    assert "not tested" in before[0]
    assert after[0].startswith("better than default") and ": yes, +" in after[0], after
    assert folds[-1]["name"] == "default" and len(folds) == 9  # the 8 complete, the default


def test_the_outline_follows_writes_through_the_change_sequence(small_db) -> None:
    url, expected = small_db
    sid = expected["study_id"]
    with open_for_inspection(url) as storage, TestClient(create_app(storage)) as c:
        before = c.get(f"/api/studies/{sid}/status").json()
        with SQLStorage(url) as writer:
            for k in range(3):
                t = writer.create_trial(sid, owner="w:1:x", params={"alpha": 0.5})
                writer.finish_trial(t.trial_id, TrialState.COMPLETE, value=2.0 + k)  # type: ignore
        time.sleep(0.3)  # the watch reads at most every 0.25 s
        after = c.get(f"/api/studies/{sid}/status").json()
        table = c.get(f"/api/studies/{sid}/trials", params={"sort": "value", "order": "desc"})
    assert after["n_trials"] == before["n_trials"] + 3 == 15
    assert after["seq"] == before["seq"] + 6  # create and finish each
    assert after["best"] == {"number": 14, "value": 4.0}
    assert [r["number"] for r in table.json()["trials"][:3]] == [14, 13, 12]


def test_a_watch_reads_only_what_changed(small_db) -> None:
    url, expected = small_db
    sid = expected["study_id"]
    with open_for_inspection(url) as storage:
        from tunesmith.dashboard._source import Source

        source = Source(storage)
        watch = Watch(source, sid, Direction.MAXIMIZE, min_interval=0.0)
        watch.refresh()
        seen: list[int] = []
        follow = source.follow

        def counting(outline: Any) -> bool:
            seen.append(outline.seq)
            return follow(outline)

        source.follow = counting  # type: ignore[method-assign]
        assert watch.refresh() == watch.outline.seq
        assert seen == [watch.outline.seq]  # asked from the number it had: nothing new


def test_only_sql_storages_and_allowed_hosts(small_db) -> None:
    with pytest.raises(TypeError, match="study database"):
        create_app(MemoryStorage())
    with open_for_inspection(small_db[0]) as storage:
        app = create_app(storage, allowed_hosts=["127.0.0.1", "localhost"])
        with TestClient(app, base_url="http://127.0.0.1") as c:
            assert c.get("/api/studies").status_code == 200
            assert c.get("/api/studies", headers={"host": "evil.example"}).status_code == 400
