"""Every Python block of the README and the docs runs as written, on its own.

Each block is run alone (a reader copies one block, not the page), in an empty
folder, and must neither fail nor flood the reader with warnings.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
_BLOCK = re.compile(r"```python\n(.*?)```", re.S)


def _blocks() -> list[tuple[str, str]]:
    found = []
    for page in PAGES:
        for k, code in enumerate(_BLOCK.findall(page.read_text())):
            found.append((f"{page.relative_to(ROOT)}#{k + 1}", code))
    return found


BLOCKS = _blocks()


def test_the_readme_has_its_python_examples() -> None:
    assert sum(name.startswith("README.md") for name, _ in BLOCKS) >= 4


@pytest.mark.slow
@pytest.mark.parametrize(("name", "code"), BLOCKS, ids=[name for name, _ in BLOCKS])
def test_block_runs_alone_without_a_warning_flood(name: str, code: str, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # files a block writes (a demo.db) stay out of the repo
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        exec(compile(code, name, "exec"), {"__name__": "__readme__"})
    shown = [f"{w.category.__name__}: {w.message}" for w in caught]
    assert len(shown) <= 2, f"{name} printed {len(shown)} warnings, e.g. {shown[:3]}"
