"""The lesson's grid report in a real browser: every plot drawn, no error, no network.

``tunesmith run examples/titanic_grid.toml`` into a temporary storage, then
``tunesmith report examples/titanic_grid.toml --html FILE``, opened in headless
Chromium (Debian's ``chromium`` driven by Playwright) with every request routed: any
URL other than the file itself fails the test.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from tunesmith.cli import main

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "titanic_grid.toml"
TITANIC = REPO.parent / "shared" / "data" / "titanic" / "clean_train.csv"
PLOTS = ("history", "importance", "parallel", "slices", "contour", "fold_spread")


def _readme_verdict() -> list[str]:
    """The verdict lines under ``$ tunesmith run examples/titanic_grid.toml`` in the README."""
    after = (REPO / "README.md").read_text(encoding="utf-8").split(
        "$ tunesmith run examples/titanic_grid.toml\n", 1)[1]
    lines = after.split("Verdict\n", 1)[1].splitlines()
    shown = []
    for line in lines:
        if not line.startswith("  "):
            break
        shown.append(line.strip())
    return shown


def _chromium() -> str:
    for candidate in ("/usr/bin/chromium", shutil.which("chromium"),
                      shutil.which("chromium-browser")):
        if candidate and Path(candidate).is_file():
            return candidate
    pytest.skip("no chromium executable (Debian's chromium package; .ci/run installs it)")


@pytest.mark.slow
def test_the_lessons_report_draws_every_plot_offline(tmp_path, capsys, monkeypatch) -> None:
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="playwright is not installed (the test extra)")
    pytest.importorskip("plotly", reason="the plots extra is not installed")
    chromium = _chromium()
    if not TITANIC.is_file():
        pytest.skip(f"the lesson's Titanic data is not at {TITANIC.parent}")
    monkeypatch.delenv("TUNESMITH_STORAGE", raising=False)

    url = f"sqlite:///{tmp_path / 'titanic.db'}"
    assert main(["run", str(EXAMPLE), "--storage", url, "-q", "--no-progress"]) == 0
    html = tmp_path / "report.html"
    capsys.readouterr()
    assert main(["report", str(EXAMPLE), "--storage", url, "--html", str(html)]) == 0
    text = capsys.readouterr().out
    assert text.startswith("titanic_grid: maximize, 140 trials (84 complete, 56 skipped)")
    assert "better than default" in text  # the verdict tunesmith run stored
    # ... and the README shows it under the command that produced it: still the same.
    readme = _readme_verdict()
    assert len(readme) >= 4 and readme[0].startswith("better than default")
    shown = text.splitlines()
    start = shown.index(readme[0])
    assert shown[start:start + len(readme)] == readme

    errors: list[str] = []
    outside: list[str] = []
    requests: list[str] = []

    def route(r: object) -> None:
        request_url = r.request.url  # type: ignore[attr-defined]
        requests.append(request_url)
        if request_url.startswith("file://"):
            r.continue_()  # type: ignore[attr-defined]
        else:
            outside.append(request_url)
            r.abort()  # type: ignore[attr-defined]

    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.route("**/*", route)
            page.goto(html.as_uri())
            # Wait until plotly has drawn every figure (not a fixed time).
            page.wait_for_function(
                "names => names.every(n => { const gd = document.querySelector("
                "`[data-plot=\"${n}\"] .js-plotly-plot`); return gd && gd._fullLayout "
                "&& gd.querySelector('svg.main-svg'); })", arg=list(PLOTS), timeout=60_000)
            drawn = page.evaluate(
                """names => Object.fromEntries(names.map(n => {
                    const gd = document.querySelector(`[data-plot="${n}"] .js-plotly-plot`);
                    return [n, {
                        traces: gd._fullData.length,
                        svg: gd.querySelectorAll('svg.main-svg').length,
                        marks: gd.querySelectorAll(
                            '.trace, .hm, canvas').length,
                        points: gd._fullData.reduce((s, t) =>
                            s + ((t.y && t.y.length) || (t.dimensions && t.dimensions[0]
                                 && t.dimensions[0].values.length) || 0), 0),
                    }];
                }))""", list(PLOTS))
            shot = tmp_path / "report.png"
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()

    assert not outside, f"the report asked the network for {outside}"
    assert requests == [html.as_uri()]
    assert not errors, errors
    for name in PLOTS:
        assert drawn[name]["traces"] >= 1 and drawn[name]["svg"] >= 1, (name, drawn[name])
        assert drawn[name]["marks"] >= 1, (name, drawn[name])
        assert drawn[name]["points"] > 0, (name, drawn[name])
    assert drawn["history"]["points"] == 2 * 84  # each complete trial, and the running best
    assert drawn["parallel"]["points"] == 84
    assert drawn["fold_spread"]["traces"] == 11  # the top ten and the default model

    from matplotlib.image import imread

    pixels = imread(shot)[..., :3]
    assert pixels.shape[0] > 2000  # the whole page: every section below the fold too
    assert float(np.var(pixels)) > 0.01  # not blank
    assert (pixels.min(axis=2) < 0.9).mean() > 0.05  # a good part of it drawn on
