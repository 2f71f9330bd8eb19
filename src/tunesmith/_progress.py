"""A live progress bar on interactive terminals, and nothing anywhere else."""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["Progress"]


class Progress:
    """Fits (or trials) done, elapsed, ETA and the best score so far.

    Shown only when ``enabled`` is True, or when it is None and stderr is a
    terminal: scripts, CI logs and notebooks' captured output stay clean.

    >>> with Progress(total=3, enabled=False) as bar:
    ...     bar.advance(best=0.5)
    """

    def __init__(self, total: int | None, *, description: str = "trials",
                 enabled: bool | None = None) -> None:
        if enabled is None:
            enabled = sys.stderr.isatty()
        self.enabled = enabled
        self._total = total
        self._description = description
        self._bar: Any = None
        self._task: Any = None

    def __enter__(self) -> Progress:
        if self.enabled:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )
            from rich.progress import Progress as RichProgress

            self._bar = RichProgress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                TextColumn("{task.fields[best]}"),
                console=Console(stderr=True),
                transient=False,
            )
            self._bar.__enter__()
            self._task = self._bar.add_task(self._description, total=self._total, best="")
        return self

    def advance(self, n: int = 1, *, best: float | None = None) -> None:
        """Count ``n`` more units done and show the best score so far."""
        if self._bar is not None:
            label = "" if best is None else f"best {best:.5g}"
            self._bar.update(self._task, advance=n, best=label)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None
