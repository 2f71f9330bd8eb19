"""Scale-out tests: worker processes sharing one study, PID namespaces, Dask clusters.

PostgreSQL comes from the storage tests' fixtures (a fresh schema per test, dropped
afterwards; skipped when no server is reachable, failed in CI).
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location(
    "_storage_conftest", Path(__file__).parent.parent / "storage" / "conftest.py")
assert _spec is not None and _spec.loader is not None
_storage_conftest = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_storage_conftest)

postgres_url = _storage_conftest.postgres_url  # the fixture, shared

WORKER = Path(__file__).parent / "worker_main.py"


class Workers:
    """Starts worker processes (see worker_main.py) and kills what is left at the end."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.procs: list[subprocess.Popen[str]] = []

    def start(self, url: str, name: str, role: str, *, size: int, stale_after: float = 120.0,
              heartbeat: float = 10.0, mode: str = "plain", at: int = -1,
              prefix: tuple[str, ...] = ()) -> subprocess.Popen[str]:
        args = [*prefix, sys.executable, str(WORKER), url, name, str(self.folder), role,
                str(size), str(stale_after), str(heartbeat), mode, str(at)]
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        self.procs.append(proc)
        return proc

    def wait_for(self, filename: str, timeout: float = 120.0) -> None:
        """Wait until FOLDER/filename exists; fail (with stderr) if a worker exits first."""
        path = self.folder / filename
        deadline = time.monotonic() + timeout
        while not path.exists():
            for proc in self.procs:
                if proc.poll() is not None and proc.returncode != 0:
                    pytest.fail(f"a worker exited ({proc.returncode}) before {filename}: "
                                f"{proc.stderr.read() if proc.stderr else ''}")
            assert time.monotonic() < deadline, f"{filename} did not appear in {timeout} s"
            time.sleep(0.02)

    @staticmethod
    def finish(proc: subprocess.Popen[str], timeout: float = 180.0) -> dict:
        """Wait for a worker to stop by itself; what it printed last (JSON)."""
        out, err = proc.communicate(timeout=timeout)
        assert proc.returncode == 0, err
        return json.loads(out.strip().splitlines()[-1])

    def events(self) -> list[tuple[str, int, int]]:
        """What the objectives wrote: (event, grid point, pid) per line."""
        path = self.folder / "log"
        if not path.exists():
            return []
        rows = [line.split() for line in path.read_text().splitlines()]
        return [(event, int(point), int(pid)) for event, point, pid in rows]

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[Workers]:
    started = Workers(tmp_path)
    try:
        yield started
    finally:
        started.stop_all()
