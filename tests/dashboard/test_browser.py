"""The dashboard in headless Chromium, served by ``tunesmith dashboard`` in its own
process: a 100,000-trial study's plots draw after a click, its page follows another
process writing to it, stored strings render as text, and every page draws.

The time from the click to the plots is recorded (``plots_drawn_s``; the issue's target
is 5 s, measured in ``benchmarks/dashboard.py``); the bound here is a generous one.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow

PLOT_KEYS = ["history", "importance", "parallel", "slice", "contour", "folds"]
KINDS = ["html", "script", "ansi", "markup"]
#: Generous: the target is 5 s (the benchmark's figure); a loaded CI machine is slower.
PLOTS_WITHIN_S = 60.0


def _shown(text: str) -> str:
    """What the pages' show() makes of stored text: control characters as escapes."""
    return "".join(f"\\x{ord(c):02x}" if ord(c) < 0x20 and c not in "\t\n" else c
                   for c in text)


def _not_blank(path: Path) -> float:
    from PIL import Image, ImageStat

    with Image.open(path) as image:
        spread = ImageStat.Stat(image.convert("L")).stddev[0]
    assert spread > 8, f"{path.name} looks blank (pixel standard deviation {spread:.1f})"
    return spread


def _plots_drawn(page: Any) -> None:
    for key in PLOT_KEYS:
        box = page.locator(f"#plot-{key}")
        assert box.get_attribute("data-drawn") == "figure", (key, box.inner_text())
        assert box.locator(".main-svg").count() >= 1, key
    # No WebGL plot (plotly's message when one cannot draw, or its canvas)
    assert page.locator("#plots .no-webgl, #plots canvas.gl-canvas").count() == 0


def _errors(page: Any) -> list[str]:
    # Software WebGL's performance notes are not errors of the page.
    return [e for e in page.errors if "GL Driver Message" not in e]


def test_a_100k_study_draws_and_follows_a_writer(big_db, tmp_path, serve, page, helpers,
                                                 record_property) -> None:
    db = tmp_path / "big.db"
    shutil.copy(big_db, db)
    url = f"sqlite:///{db}"
    server = serve(url)
    loads: list[str] = []
    page.on("load", lambda p: loads.append(p.url))
    page.goto(server.address + "/")
    link = page.get_by_role("link", name="big", exact=True)
    link.wait_for()
    start = time.monotonic()
    link.click()
    page.wait_for_selector('#plots[data-state="drawn"]', timeout=PLOTS_WITHIN_S * 1000)
    drawn_s = time.monotonic() - start
    record_property("plots_drawn_s", round(drawn_s, 2))
    print(f"\n100,000 trials: plots drawn {drawn_s:.2f} s after the click")
    _plots_drawn(page)
    assert page.text_content('[data-testid="n-trials"]') == "100000"
    study_url = page.url
    page.screenshot(path=str(tmp_path / "big.png"))
    _not_blank(tmp_path / "big.png")

    writer = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("studies.py")), "write", url, "big",
         "300"], capture_output=True, text=True, timeout=300)
    assert writer.returncode == 0, writer.stderr
    result = json.loads(writer.stdout)
    assert result["errors"] == 0 and result["n"] == 300, writer.stderr
    record_property("writer_ms_per_trial", round(result["per_trial_ms"], 2))
    helpers.wait_until(
        lambda: page.text_content('[data-testid="n-trials"]') == "100300", 60,
        "the page's trial count to follow the writer")
    # The plots follow too (redrawn at most every eight seconds): the history's title
    # counts the writer's trials.
    helpers.wait_until(
        lambda: "of 100,300 trials" in (page.text_content("#plot-history") or ""), 60,
        "the history plot to be redrawn with the writer's trials")
    _plots_drawn(page)
    assert page.url == study_url and len(loads) == 2  # the studies page, the click
    assert _errors(page) == []


def test_every_page_draws(small_site, page, tmp_path) -> None:
    address, expected = small_site
    sid = expected["study_id"]
    page.goto(address + "/")
    page.wait_for_selector("a.study-link")
    assert page.locator("#studies tbody tr").count() == 5
    page.screenshot(path=str(tmp_path / "studies.png"))
    _not_blank(tmp_path / "studies.png")

    page.goto(f"{address}/studies/{sid}")
    page.wait_for_selector('#plots[data-state="drawn"]', timeout=60_000)
    page.wait_for_selector("#verdict p:not(.muted)")
    page.wait_for_selector("#trials tbody tr")
    _plots_drawn(page)
    assert page.text_content('[data-testid="n-trials"]') == "12"
    assert page.locator("#trials tbody tr").count() == 12
    page.locator("#plot-history .nsewdrag").first.hover()  # plotly's hover code, too
    page.click('#trials th[data-sort="value"]')  # sorted by the server: best last (asc)
    page.wait_for_selector('#trials th.sorted[data-sort="value"]')
    page.screenshot(path=str(tmp_path / "study.png"), full_page=True)
    _not_blank(tmp_path / "study.png")

    page.goto(f"{address}/studies/{sid}/trials/3")  # pruned: intermediate values
    page.wait_for_selector("#intermediate-plot .main-svg")
    assert page.locator("#params tbody tr").count() == 2
    assert "host:1:abc" in page.inner_text("#facts")
    page.screenshot(path=str(tmp_path / "trial.png"), full_page=True)
    _not_blank(tmp_path / "trial.png")
    assert _errors(page) == []


@pytest.fixture(scope="module")
def rendered(small_site, chromium) -> dict[str, Any]:
    """What the pages show of the hostile strings, read once: the studies page (a study
    named with each), the small study's page (a parameter with each, in the table and
    the plots) and its failed trial's page (HTML and an ANSI escape in the message)."""
    address, expected = small_site
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    errors: list[str] = []
    dialogs: list[str] = []
    page.on("pageerror", lambda error: errors.append(f"page error: {error}"))
    page.on("console", lambda m: m.type == "error" and "GL Driver" not in m.text
            and errors.append(f"console error: {m.text}"))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    try:
        page.goto(address + "/")
        page.wait_for_selector("a.study-link")
        seen: dict[str, Any] = {"names": page.locator("a.study-link").all_text_contents()}
        page.goto(f"{address}/studies/{expected['named']['script']}")
        page.wait_for_selector('#plots[data-state="drawn"]', timeout=60_000)
        page.wait_for_selector("#trials tbody tr")
        seen["title"] = page.text_content("#name")
        seen["cells"] = page.locator("#trials td.params").all_text_contents()
        seen["plots"] = {key: " ".join(page.locator(f"#plot-{key} .main-svg")
                                       .all_text_contents()) for key in ("slice", "parallel")}
        seen["pwned_study"] = page.evaluate("() => window.__pwned")
        seen["images_study"] = page.locator("main img").count()
        page.goto(f"{address}/studies/{expected['study_id']}/trials/5")
        page.wait_for_selector("#failure-box:not([hidden])")
        seen["message"] = page.text_content("#message")
        seen["images_trial"] = page.locator("main img").count()
        seen["scripts"] = page.locator("script").count()
        seen["pwned_trial"] = page.evaluate("() => window.__pwned")
        seen["errors"], seen["dialogs"] = errors, dialogs
        return seen
    finally:
        context.close()


@pytest.mark.parametrize("kind", KINDS)
def test_stored_strings_render_as_text(rendered, helpers, kind) -> None:
    text = helpers.HOSTILE[kind]
    shown = _shown(text)
    assert shown in rendered["names"]  # a study named with it, on the studies page
    assert any(f"kind={shown}" in cell for cell in rendered["cells"])  # a parameter
    if kind == "script":
        assert rendered["title"] == shown  # that study's own page
    if kind != "markup":  # no complete trial has the markup kind: no plot shows it
        # Drawn by plotly as the characters themselves (tick labels are cut at 40).
        for key, svg_text in rendered["plots"].items():
            assert shown[:20] in svg_text, key
    if kind in ("ansi", "html"):
        assert shown in (rendered["message"] or "")  # a failure message
    # Nothing was made of it: no element, no script run, no dialog, no error.
    assert rendered["images_study"] == rendered["images_trial"] == 0
    assert rendered["scripts"] == 3  # ours: common, plotly, the page's
    assert rendered["pwned_study"] is None and rendered["pwned_trial"] is None
    assert rendered["dialogs"] == [] and rendered["errors"] == []
