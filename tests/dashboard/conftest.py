"""Fixtures for the dashboard's tests: real SQLite studies, the app over a read-only
storage, a real server process, and headless Chromium.

The 100,000-trial file is built once per test session (bulk inserts, seconds). Browser
tests need Playwright and a Chromium (Debian's ``/usr/bin/chromium``; ``.ci/run``
installs both) and are skipped, saying so, where either is absent.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

_spec = importlib.util.spec_from_file_location("dashboard_studies",
                                               Path(__file__).with_name("studies.py"))
assert _spec is not None and _spec.loader is not None
studies = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(studies)

STUDIES = Path(__file__).with_name("studies.py")
BIG_TRIALS = 100_000
CHROMIUM = os.environ.get("TUNESMITH_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture
def small_db(tmp_path: Path) -> tuple[str, dict[str, Any]]:
    """A SQLite file with the small study (every state, hostile strings) and a study
    whose name is each hostile string; returns its URL and what to expect."""
    url = f"sqlite:///{tmp_path / 'small.db'}"
    sid, expected = studies.build_small(url)
    named = {}
    for kind, text in studies.HOSTILE.items():
        named[kind] = studies.build_small(url, name=text)[0]
    return url, {**expected, "study_id": sid, "named": named}


@pytest.fixture
def client(small_db: tuple[str, dict[str, Any]]) -> Iterator[Any]:
    """Starlette's TestClient on the dashboard of ``small_db``, opened read-only as
    ``tunesmith dashboard`` opens it."""
    from starlette.testclient import TestClient

    from tunesmith.cli._storage import open_for_inspection
    from tunesmith.dashboard import create_app

    with open_for_inspection(small_db[0]) as storage, TestClient(create_app(storage)) as c:
        yield c


@pytest.fixture(scope="session")
def big_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file with a study of 100,000 trials, built once per session."""
    path = tmp_path_factory.mktemp("dashboard") / "big.db"
    studies.build_big(path, BIG_TRIALS)
    return path


class Server:
    """``tunesmith dashboard`` in its own process, on a free port."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tunesmith.cli", "dashboard", "--port", "0", *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None and self.proc.stderr is not None
        line = self.proc.stdout.readline()  # the address, once the socket listens
        found = re.search(r"at (http://\S+/) ", line)
        if found is None:
            self.proc.kill()
            _out, err = self.proc.communicate()
            pytest.fail(f"no address from tunesmith dashboard: {line!r} {err}")
        self.address = found.group(1).rstrip("/")
        self.first_line = line

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()


@pytest.fixture
def serve() -> Iterator[Any]:
    """Start ``tunesmith dashboard ARGS`` servers (a URL alone means ``--storage URL``);
    every one is stopped after the test."""
    servers: list[Server] = []

    def start(*args: str) -> Server:
        server = Server(*(("--storage", args[0]) if len(args) == 1 and "://" in args[0]
                          else args))
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture(scope="module")
def small_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, Any]]]:
    """One server for a module's browser tests over the studies of ``small_db``:
    its address and what to expect."""
    url = f"sqlite:///{tmp_path_factory.mktemp('site') / 'small.db'}"
    sid, expected = studies.build_small(url)
    named = {kind: studies.build_small(url, name=text)[0]
             for kind, text in studies.HOSTILE.items()}
    server = Server("--storage", url)
    try:
        yield server.address, {**expected, "study_id": sid, "named": named}
    finally:
        server.stop()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """Headless Chromium through Playwright (skipped, with the reason, without them).

    Per module, not per session: Playwright's sync API keeps an event loop running in
    this thread while it is open, and other folders' browser tests start their own.
    """
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (pip install -e '.[test]')")
    if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium, or set "
                    "TUNESMITH_CHROMIUM)")
    with sync_playwright() as p:
        # Chromium's defaults: the dashboard draws no WebGL (software WebGL through
        # SwiftShader would make the compositor draw through it too, seconds of CPU).
        browser = p.chromium.launch(executable_path=CHROMIUM)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    """A fresh page that records page errors and console errors."""
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.errors = []  # type: ignore[attr-defined]
    page.on("pageerror", lambda error: page.errors.append(f"page error: {error}"))
    page.on("console", lambda m: m.type == "error" and page.errors.append(
        f"console error: {m.text}"))
    try:
        yield page
    finally:
        context.close()



@pytest.fixture
def helpers() -> Any:
    """The studies module (builders, HOSTILE strings, the writer, wait_until)."""
    return studies
