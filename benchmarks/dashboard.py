"""The dashboard's done-when figures (issue 18), measured in headless Chromium.

1. On a SQLite study of 100,000 trials, the seconds from clicking the study on the
   studies page to every plot of its page drawn (a fresh server each time: nothing
   cached but what the studies page itself starts).
2. Another process writes 300 trials to that study while its page is open: the page's
   trial count follows without a reload, the writer sees no error, and its time per
   trial is compared with its time while no dashboard runs (runs alternate, so that
   the machine's load drifts alike over both).

Writes ``benchmarks/results/dashboard.md`` and the README's screenshot
(``docs/dashboard.png``)::

    python benchmarks/dashboard.py [--trials 100000] [--repeats 3] [--writes 300]
                                   [--swiftshader] [--out FILE] [--screenshot PNG]

Chromium runs with its default flags (the pages draw no WebGL); ``--swiftshader`` runs
it with software WebGL, as the tests once did. The results page's prose (what changed,
where the time goes) is written by hand below the tables this writes.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
STUDIES = ROOT / "tests" / "dashboard" / "studies.py"
CHROMIUM = os.environ.get("TUNESMITH_CHROMIUM", "/usr/bin/chromium")

_spec = importlib.util.spec_from_file_location("dashboard_studies", STUDIES)
assert _spec is not None and _spec.loader is not None
studies = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(studies)


class Server:
    """``tunesmith dashboard`` on a free port, in its own process."""

    def __init__(self, url: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tunesmith.cli", "dashboard", "--storage", url, "--port",
             "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()  # type: ignore[union-attr]
        found = re.search(r"at (http://\S+)/ ", line)
        if found is None:
            self.proc.kill()
            raise SystemExit(f"the dashboard did not start: {line!r} {self.proc.stderr}")
        self.address = found.group(1)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.communicate(timeout=30)


def write(url: str, n: int) -> dict[str, Any]:
    done = subprocess.run([sys.executable, str(STUDIES), "write", url, "big", str(n)],
                          capture_output=True, text=True, timeout=600, check=True)
    return json.loads(done.stdout)  # type: ignore[no-any-return]


# When the study page first shows its status, by the page's own clock (the system's):
# Playwright's polling of the page waits while the page draws plots, so it sees the
# count late.
_COUNT_SEEN = """
new MutationObserver((changes, observer) => {
  if (document.querySelector("#status .badge")) {
    window.__countShownAt = Date.now();
    observer.disconnect();
  }
}).observe(document, {childList: true, subtree: true});
"""


def click_to_plots(browser: Any, address: str, screenshot: Path | None) -> dict[str, float]:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.add_init_script(_COUNT_SEEN)
    try:
        page.goto(address + "/")
        link = page.get_by_role("link", name="big", exact=True)
        link.wait_for()
        load = os.getloadavg()[0]
        clicked_at = time.time()
        start = time.monotonic()
        link.click()
        page.wait_for_selector('#plots[data-state="drawn"]', timeout=120_000)
        plots_s = time.monotonic() - start
        count_s = page.evaluate("() => window.__countShownAt") / 1000 - clicked_at
        drawn = page.locator('.plot[data-drawn="figure"]').count()
        if screenshot is not None:
            page.wait_for_selector("#verdict p:not(.muted)", timeout=60_000)
            page.screenshot(path=str(screenshot))
        return {"count_s": count_s, "plots_s": plots_s, "figures": drawn,
                "page_errors": len(errors), "load": load}
    finally:
        page.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--writes", type=int, default=300)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/dashboard.md")
    parser.add_argument("--screenshot", type=Path, default=ROOT / "docs/dashboard.png")
    parser.add_argument("--swiftshader", action="store_true",
                        help="launch Chromium with software WebGL (SwiftShader), as the "
                             "WebGL parallel coordinates once needed: the compositor then "
                             "draws through it too, seconds of CPU per page")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "big.db"
        start = time.perf_counter()
        studies.build_big(path, args.trials)
        build_s = time.perf_counter() - start
        url = f"sqlite:///{path}"
        clicks, alone, beside, followed = [], [], [], []
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=[
                "--use-angle=swiftshader", "--enable-unsafe-swiftshader"]
                if args.swiftshader else [])
            version = browser.version
            for k in range(args.repeats):
                server = Server(url)
                try:
                    clicks.append(click_to_plots(
                        browser, server.address, args.screenshot if k == 0 else None))
                finally:
                    server.stop()
            for _ in range(args.repeats):
                alone.append(write(url, args.writes))
                server = Server(url)
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                try:
                    page.goto(server.address + "/studies/1")
                    page.wait_for_selector('#plots[data-state="drawn"]', timeout=120_000)
                    before = int(page.text_content('[data-testid="n-trials"]') or 0)
                    beside.append(write(url, args.writes))
                    start = time.monotonic()
                    want = str(before + args.writes)
                    while page.text_content('[data-testid="n-trials"]') != want:
                        if time.monotonic() - start > 60:
                            raise SystemExit("the page's count did not follow the writer")
                        time.sleep(0.05)
                    followed.append(time.monotonic() - start)
                finally:
                    page.close()
                    server.stop()
            browser.close()
    load_after = os.getloadavg()
    report(args, clicks, alone, beside, followed, build_s, version, load_before, load_after)


def report(args: argparse.Namespace, clicks: list[dict[str, float]],
           alone: list[dict[str, Any]], beside: list[dict[str, Any]], followed: list[float],
           build_s: float, version: str, load_before: tuple[float, ...],
           load_after: tuple[float, ...]) -> None:
    alone_ms = statistics.median(r["per_trial_ms"] for r in alone)
    beside_ms = statistics.median(r["per_trial_ms"] for r in beside)
    lines = [
        "# Dashboard: the done-when figures of issue 18",
        "",
        f"`python benchmarks/dashboard.py --trials {args.trials} --repeats {args.repeats} "
        f"--writes {args.writes}`, on {os.cpu_count()} cores ({platform.machine()}, "
        f"Python {platform.python_version()}, Chromium {version}, headless"
        f"{', software WebGL (--swiftshader)' if args.swiftshader else ''}; niceness "
        f"{os.nice(0)}); load average {load_before[0]:.1f} at the start, "
        f"{load_after[0]:.1f} at the end. The {args.trials:,}-trial SQLite study was built "
        f"in {build_s:.1f} s.",
        "",
        "## Click on the study to every plot drawn (target: 5 s)",
        "",
        "A fresh server each time. `count` is when the page shows the trial count and "
        "state (by the page's clock), `plots` when Playwright sees all six plots drawn; "
        "`load` is the 1-minute load average just before the click.",
        "",
        "| run | load | count (s) | plots (s) | figures drawn | page errors |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
        *(f"| {k + 1} | {c['load']:.1f} | {c['count_s']:.2f} | {c['plots_s']:.2f} | "
          f"{c['figures']} | {c['page_errors']} |" for k, c in enumerate(clicks)),
        "",
        f"Median: **{statistics.median(c['plots_s'] for c in clicks):.2f} s**.",
        "",
        f"## A writer of {args.writes} trials, with and without the page open "
        "(target: at most 2x)",
        "",
        "The writer adds trials to the same study in the same file (one transaction to "
        "create and one to finish each, as a study does); runs alternate.",
        "",
        "| run | alone (ms/trial) | page open (ms/trial) | writer errors | count followed "
        "after the writer ended (s) |",
        "| --- | ---: | ---: | ---: | ---: |",
        *(f"| {k + 1} | {a['per_trial_ms']:.2f} | {b['per_trial_ms']:.2f} | "
          f"{a['errors'] + b['errors']} | {f:.2f} |"
          for k, (a, b, f) in enumerate(zip(alone, beside, followed, strict=True))),
        "",
        f"Median: alone {alone_ms:.2f} ms, page open {beside_ms:.2f} ms per trial: "
        f"**{beside_ms / alone_ms:.2f}x**.",
        "",
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
