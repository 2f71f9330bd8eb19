"""The report of a search: verdict, best parameters, top candidates, importance, plots."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from tunesmith.records import Direction, FrozenTrial, best_trial
from tunesmith.report import _html
from tunesmith.report._data import (
    check_trials,
    fold_metric,
    fold_scores,
    ranked,
    state_counts,
)
from tunesmith.report._importance import parameter_importance
from tunesmith.report._optional import PLOTS_EXTRA, has_plotly, require

if TYPE_CHECKING:
    from tunesmith.stats import SimplicityRule

__all__ = ["Report", "Verdict"]

#: How the verdict's line about the simplest of the tied begins (``stats._words``).
_SIMPLEST = "simplest of the tied"
#: Pairs shown in the importance bars beside every main effect (the largest ones).
_PAIRS_SHOWN = 5
#: (file and anchor name, section title) of each plot, in the order shown.
PLOTS = (
    ("history", "Optimisation history"),
    ("importance", "Hyperparameter importance"),
    ("parallel", "Parallel coordinates"),
    ("slices", "One parameter at a time"),
    ("contour", "Two parameters"),
    ("fold_spread", "Fold scores of the top candidates"),
)


class Verdict(Protocol):
    """What the report shows as the verdict: anything with ``lines()``
    (:class:`tunesmith.stats.SearchVerdict`)."""

    def lines(self) -> list[str]: ...


class Report:
    """The report of a search, for a notebook (``_repr_html_``), a file or the terminal.

    ``trials`` are a study's trials (``study.trials``), ``direction`` its direction.
    ``verdict`` is the statistics' verdict (its ``lines()`` are shown) or the lines
    themselves; ``default`` the default model's trial (or its fold scores) evaluated on
    the same folds, shown beside the top candidates' fold scores; ``top`` how many
    candidates the table and the fold spread show; ``simplest`` (e.g. ``{"C": "min"}``,
    see :class:`tunesmith.stats.SimplicityRule`) adds the simplest of the candidates
    tied with the best to the verdict. Importance is computed on first use.

    >>> from tunesmith.records import FrozenTrial, TrialState
    >>> trials = [FrozenTrial(number=n, state=TrialState.COMPLETE, value=float(x * x),
    ...                       params={"x": x}) for n, x in enumerate([-2, -1, 0, 1, 2])]
    >>> report = Report(trials, "minimize", title="squares")
    >>> print("\\n".join(report.lines()[:3]))
    squares: minimize, 5 trials (5 complete)
    best: trial 2, value 0
      x = 0
    """

    def __init__(self, trials: Sequence[FrozenTrial], direction: Direction | str, *,
                 title: str = "Search report", verdict: Verdict | Sequence[str] | None = None,
                 default: FrozenTrial | Sequence[float] | None = None, top: int = 10,
                 simplest: SimplicityRule | None = None) -> None:
        if isinstance(top, bool) or not isinstance(top, int) or top < 1:
            raise ValueError(f"top must be a positive integer, got {top!r}")
        self.trials = check_trials(trials)
        if simplest is not None:  # a bad rule is the caller's error, not a verdict's note
            from tunesmith.stats import Contender
            from tunesmith.stats._simplest import check_simplest

            check_simplest(simplest, [Contender(str(t.number), t.params, np.array([]))
                                      for t in self.trials if t.is_complete])
        self.simplest = simplest
        self.direction = Direction.parse(direction)
        self.title = str(title)
        self.default = default
        self.top = top
        self._verdict = verdict
        self.best: FrozenTrial | None = best_trial(self.trials, self.direction)

    # -- what it says ---------------------------------------------------------------

    def verdict_lines(self) -> list[str]:
        """The verdict's sentences: the one given, else :func:`tunesmith.stats.verdict`
        of the trials (against ``default`` when given) when any has fold scores."""
        if self._verdict is None:
            self._verdict = self._computed_verdict()
        if isinstance(self._verdict, str):
            lines = [self._verdict]
        elif hasattr(self._verdict, "lines"):
            lines = [str(line) for line in self._verdict.lines()]
        else:
            lines = [str(line) for line in self._verdict]
        if self.simplest is not None and lines and not any(
                line.startswith(_SIMPLEST) for line in lines):
            lines = _with_simplest(lines, self._computed_verdict())
        return lines

    def _computed_verdict(self) -> Verdict | list[str]:
        from tunesmith.stats import verdict

        best = ranked(self.trials, self.direction)
        metric = fold_metric(best)
        if self.best is None or metric is None:
            return []  # nothing to test: the report says so where the verdict goes
        try:
            return verdict(self.trials, self.direction, default=self.default, metric=metric,
                           simplest=self.simplest)
        except ValueError as exc:
            return [f"no verdict: {exc}"]

    @cached_property
    def importance(self) -> dict[str | tuple[str, str], float] | None:
        """:func:`~tunesmith.report.parameter_importance` of the trials, or None when
        they are too few (``importance_note`` says why)."""
        try:
            return parameter_importance(self.trials, self.direction)
        except ValueError as exc:
            self._importance_note = str(exc)
            return None

    @property
    def importance_note(self) -> str | None:
        """Why there is no importance, when there is none."""
        return None if self.importance is not None else getattr(self, "_importance_note", None)

    def subtitle(self) -> str:
        """The direction and the trials by state, in one line."""
        counts = {k: v for k, v in state_counts(self.trials).items() if v}
        states = ", ".join(f"{v} {k}" for k, v in counts.items()) or "none"
        return f"{self.direction.value}, {len(self.trials)} trials ({states})"

    def lines(self) -> list[str]:
        """The report as text: counts, best trial, verdict, importance."""
        out = [f"{self.title}: {self.subtitle()}"]
        if self.best is None:
            out.append("no complete trial yet")
        else:
            out.append(f"best: trial {self.best.number}, value {_number(self.best.value)}")
            out += [f"  {k} = {_param(v)}" for k, v in self.best.params.items()]
        out += self.verdict_lines()
        if self.importance is not None:
            mains = [(k, v) for k, v in self.importance.items() if isinstance(k, str)]
            out.append("importance: " + ", ".join(f"{k} {v:.0%}" for k, v in mains))
        elif self.importance_note:
            out.append(f"importance: {self.importance_note}")
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def __repr__(self) -> str:
        return f"<Report {self.title!r}: {self.subtitle()}>"

    def top_rows(self) -> tuple[list[str], list[list[str]]]:
        """The top candidates' table: header and rows (rank, trial, value, fold spread,
        parameters)."""
        best = ranked(self.trials, self.direction)[: self.top]
        names = list(dict.fromkeys(k for t in best for k in t.params))
        metric = fold_metric(best)
        if metric is not None and not any(fold_scores(t, metric).size for t in best):
            metric = None
        header = ["rank", "trial", "value"] + (["fold std"] if metric else []) + names
        rows = []
        for rank, t in enumerate(best, start=1):
            row = [str(rank), str(t.number), _number(t.value)]
            if metric:
                scores = fold_scores(t, metric)
                scores = scores[~np.isnan(scores)]
                row.append(_number(float(np.std(scores, ddof=1))) if len(scores) > 1 else "")
            row += [_param(t.params[n]) if n in t.params else "" for n in names]
            rows.append(row)
        return header, rows

    # -- plots ----------------------------------------------------------------------

    def _figures(self, module: Any) -> tuple[dict[str, Any], dict[str, str]]:
        """Each plot drawn with ``module`` (plotly's or matplotlib's functions), and for
        those that cannot be drawn from these trials, why."""
        t, d = self.trials, self.direction
        makers: dict[str, Callable[[], Any]] = {
            "history": lambda: module.history_figure(t, d),
            "importance": lambda: module.importance_figure(self._shown_importance()),
            "parallel": lambda: module.parallel_figure(t, d),
            "slices": lambda: module.slice_figure(t, d),
            "contour": lambda: module.contour_figure(t, d),
            "fold_spread": lambda: module.fold_spread_figure(t, d, default=self.default,
                                                             top=self.top),
        }
        figures, notes = {}, {}
        if self.best is None:
            return {}, {"history": "no complete trial yet: nothing to plot"}
        for name, _ in PLOTS:
            try:
                figures[name] = makers[name]()
            except ValueError as exc:
                notes[name] = str(exc)
        return figures, notes

    def _shown_importance(self) -> dict[str | tuple[str, str], float]:
        if self.importance is None:
            raise ValueError(self.importance_note or "no importance")
        shown: dict[str | tuple[str, str], float] = {
            k: v for k, v in self.importance.items() if isinstance(k, str)}
        pairs = [(k, v) for k, v in self.importance.items() if not isinstance(k, str)]
        shown.update(pairs[:_PAIRS_SHOWN])
        return shown

    def figures(self) -> dict[str, Any]:
        """The plotly figures of this report, by name (those that can be drawn)."""
        require("plotly.graph_objects", "the report's plots")
        from tunesmith.report import _plotly

        return self._figures(_plotly)[0]

    # -- output ---------------------------------------------------------------------

    def _sections(self, with_plots: bool) -> list[_html.Section]:
        sections = []
        verdict = self.verdict_lines()
        sections.append(_html.Section("Verdict", (
            f'<div class="verdict">{_html.esc(chr(10).join(verdict))}</div>' if verdict else
            '<p class="note">No verdict: the trials have no fold scores to compare (a '
            "cross-validated search has them).</p>"), "verdict"))
        if self.best is not None:
            rows = [[k, _param(v)] for k, v in self.best.params.items()]
            sections.append(_html.Section(
                f"Best parameters (trial {self.best.number}, value {_number(self.best.value)})",
                _html.table(["parameter", "value"], rows), "best"))
            header, rows = self.top_rows()
            numeric = [h in ("rank", "trial", "value", "fold std") for h in header]
            sections.append(_html.Section(f"Top {len(rows)} candidates",
                                          _html.table(header, rows, numeric), "top"))
        if not with_plots:
            sections.append(_html.Section("Plots", (
                f'<p class="note">The plots need plotly: {_html.esc(PLOTS_EXTRA)}</p>'),
                "plots"))
            return sections
        from tunesmith.report import _plotly

        figures, notes = self._figures(_plotly)
        for name, title in PLOTS:
            if name in figures:
                div = figures[name].to_html(
                    full_html=False, include_plotlyjs=False, default_height="480px",
                    config={"displaylogo": False, "responsive": True})
                body = f'<div class="plot" data-plot="{name}">{div}</div>'
            elif name in notes:
                body = f'<p class="note">Not drawn: {_html.esc(notes[name])}</p>'
            else:
                continue
            sections.append(_html.Section(title, body, name))
        return sections

    def html(self) -> str:
        """The report as one self-contained HTML page (plotly inlined, no network)."""
        plotly = require("plotly.offline", "the HTML report")
        return _html.page(self.title, self.subtitle(), self._sections(True),
                          plotly.get_plotlyjs())

    def _repr_html_(self) -> str:
        """The report in a notebook cell (the text parts only when plotly is missing)."""
        if not has_plotly():
            return _html.fragment(self.title, self.subtitle(), self._sections(False), "")
        plotly = require("plotly.offline", "the HTML report")
        return _html.fragment(self.title, self.subtitle(), self._sections(True),
                              plotly.get_plotlyjs())

    def save(self, path: str | Path) -> Path:
        """Write the HTML report to ``path`` (a self-contained file); returns the path."""
        path = Path(path)
        if path.is_dir():
            raise IsADirectoryError(f"{path} is a folder; give a file name such as "
                                    f"{path / 'report.html'}")
        text = self.html()
        path.write_text(text, encoding="utf-8")
        return path

    def save_png(self, directory: str | Path) -> list[Path]:
        """Write each plot as a PNG (matplotlib) into ``directory`` (made if missing):
        ``history.png``, ``importance.png``, ... Returns the files written."""
        from tunesmith.report import mpl

        require("matplotlib", "the PNG plots")
        directory = Path(directory)
        if directory.exists() and not directory.is_dir():
            raise NotADirectoryError(f"{directory} is a file; --png needs a folder")
        directory.mkdir(parents=True, exist_ok=True)
        figures, _ = self._figures(mpl)
        written = []
        for name, _title in PLOTS:
            if name in figures:
                path = directory / f"{name}.png"
                figures[name].savefig(path, dpi=110)
                written.append(path)
        return written


def _with_simplest(lines: list[str], computed: Verdict | list[str]) -> list[str]:
    """A given verdict's lines with the simplest-of-the-tied line of ``computed`` (the
    same trials and default, tested here) where the verdict puts it: before the
    held-out scores, the notes and the closing line."""
    if not hasattr(computed, "lines"):
        return lines
    found = [line for line in computed.lines() if line.startswith(_SIMPLEST)]
    at = next((i for i, line in enumerate(lines) if line.startswith(("held-out", "note:", "("))),
              len(lines))
    return lines[:at] + found + lines[at:]


def _number(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "" if value is None else str(value)
    return f"{value:.6g}"


def _param(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return value if isinstance(value, str) else repr(value)
