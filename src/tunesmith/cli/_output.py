"""What the CLI prints: rich tables for people, JSON and CSV for programs.

Results go to stdout, everything else (what is happening, the progress bar, errors) to
stderr, so ``tunesmith trials NAME --format csv > trials.csv`` captures only the table.
``--quiet`` keeps stderr free of everything but errors.
"""

from __future__ import annotations

import csv
import io
import json
import math
import sys
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, TextIO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from tunesmith.cli._text import clean, redact
from tunesmith.records import FrozenTrial, TrialState

if TYPE_CHECKING:  # the run module never imports this one back
    from tunesmith.cli._run import RunOutcome

__all__ = ["Output", "display_state", "format_value", "params_text", "print_outcome",
           "trial_dict", "verdict_dict"]


def format_value(value: float | None) -> str:
    """A score as the summaries print it: five decimals, or six significant digits
    for large magnitudes.

    >>> format_value(0.8586648), format_value(-31234.5678), format_value(None)
    ('0.85866', '-31234.6', '-')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    value = float(value)
    return f"{value:.5f}" if abs(value) < 1e4 else f"{value:.6g}"


def param_text(value: Any) -> str:
    """One parameter value for a table cell: numbers short, strings bare.

    >>> param_text(29.763514416313132), param_text("l1"), param_text(None)
    ('29.7635', 'l1', 'None')
    """
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, float):
        return f"{value:.6g}"
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        return param_text(value.item())  # numpy scalars
    return clean(str(value), one_line=True)  # stored text: never raw escapes


def params_text(params: Mapping[str, Any]) -> str:
    """Parameters on one line, as ``C=1 penalty=l1``.

    >>> params_text({"C": 1, "penalty": "l1"})
    'C=1 penalty=l1'
    """
    return " ".join(f"{clean(str(k), one_line=True)}={param_text(v)}"
                    for k, v in params.items())


def json_safe(value: Any) -> Any:
    """A value that ``json.dumps`` accepts: numpy scalars unwrapped, NaN as null.

    >>> json_safe({"a": (1, float("nan"))})
    {'a': [1, None]}
    """
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str | int | bool) or value is None:
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "item"):
        return json_safe(value.item())
    return str(value)


def trial_dict(trial: FrozenTrial) -> dict[str, Any]:
    """A trial as JSON output shows it."""
    return json_safe({
        "number": trial.number,
        "state": trial.state.value,
        "value": trial.value,
        "params": dict(trial.params),
        "candidate": trial.candidate,
        "duration_s": trial.duration,
        "started_at": trial.started_at,
        "finished_at": trial.finished_at,
        "message": trial.message,
        "attrs": dict(trial.attrs),
    })


def verdict_dict(verdict: Any) -> dict[str, Any] | None:
    """A run's verdict (a ``tunesmith.stats.SearchVerdict``) for JSON output: the
    comparison with the default, the tied candidates, held-out scores and the lines."""
    if verdict is None:
        return None
    c = verdict.versus_default
    held = verdict.held_out

    def interval(i: Any) -> dict[str, float] | None:
        return None if i is None else {"estimate": i.estimate, "low": i.low, "high": i.high}

    return json_safe({
        "beats_default": verdict.beats_default,
        "versus_default": None if c is None else {
            "difference": c.difference, "low": c.low, "high": c.high, "p_value": c.p_value,
            "n_folds": c.n_folds, "reason": c.reason},
        "default_params": None if verdict.default is None else dict(verdict.default.params),
        "default_value": None if verdict.default is None else verdict.default.mean,
        "tied": [t.number for t in verdict.tied],
        "confidence": verdict.confidence,
        "held_out": None if held is None else {
            "n_rows": held.n_rows, "tuned": interval(held.tuned),
            "default": interval(held.default), "difference": interval(held.difference)},
        "lines": verdict.lines(),
    })


def state_counts(trials: Iterable[FrozenTrial]) -> dict[str, int]:
    """How many trials are in each state, in the order states are listed."""
    counts = Counter(t.state for t in trials)
    return {s.value: counts[s] for s in TrialState if counts[s]}


def states_text(trials: Sequence[FrozenTrial]) -> str:
    """``84 complete, 56 skipped``; running trials whose worker is gone are counted as
    ``interrupted`` (the next run repeats them)."""
    counts = state_counts(trials)
    interrupted = sum(display_state(t) == "interrupted" for t in trials)
    if interrupted:
        still = counts.pop("running") - interrupted
        counts = {**({"running": still} if still else {}), "interrupted": interrupted,
                  **counts}
    text = ", ".join(f"{n} {state}" for state, n in counts.items()) or "no trials"
    if interrupted:
        text += "; the next run repeats the interrupted ones"
    return text


#: Early stops by kind: the start of a stop message, and how people should read it.
_STOP_KINDS = (
    ("racing: worse than", "worse than the leader"),
    ("racing: within", "within the tolerance of the leader"),
    ("racing: the same model as", "the same model as an earlier candidate"),
)


def stopped_text(trials: Sequence[FrozenTrial]) -> str | None:
    """What early stopping did: the pruned trials by kind and the fits they saved
    (trials with fold records: the drop-ins' CV); None when nothing was stopped.

    >>> from tunesmith.records import FoldRecord
    >>> def trial(n, state, folds, message=None):
    ...     return FrozenTrial(n, TrialState(state), message=message,
    ...                        folds=tuple(FoldRecord(k, {"score": 0.9}) for k in range(folds)))
    >>> stopped_text([trial(0, "complete", 5),
    ...               trial(1, "pruned", 2, "racing: worse than candidate 0 (p=0.01 ...)"),
    ...               trial(2, "pruned", 2, "racing: the same model as candidate 0 (...)")])
    '2 trials: 1 worse than the leader, 1 the same model as an earlier candidate; 9 of 15 fits'
    """
    pruned = [t for t in trials if t.state is TrialState.PRUNED]
    if not pruned:
        return None
    kinds: dict[str, int] = {}
    for t in pruned:
        message = t.message or ""
        kind = next((label for start, label in _STOP_KINDS if message.startswith(start)),
                    None)
        if kind is None:  # a pruner's: "pruned by MedianPruner(...) after 3 folds"
            kind = message.split("(")[0] if message.startswith("pruned by ") else "pruned"
        kinds[kind] = kinds.get(kind, 0) + 1
    text = f"{len(pruned)} trials: " + ", ".join(
        f"{n} {kind}" for kind, n in sorted(kinds.items(), key=lambda kv: -kv[1]))
    n_splits = max((len(t.folds) for t in trials if t.state is TrialState.COMPLETE), default=0)
    if n_splits:
        fitted = [t for t in trials if t.state in (TrialState.COMPLETE, TrialState.PRUNED)]
        spent = sum(len(t.folds) for t in fitted)
        text += f"; {spent} of {len(fitted) * n_splits} fits"
    return clean(text, one_line=True)


#: A running trial without a heartbeat for this long has lost its worker (the study's
#: default ``stale_after``: after it, another worker takes the trial over).
STALE_AFTER_S = 120.0


def display_state(trial: FrozenTrial) -> str:
    """A trial's state as people should read it: a RUNNING trial that the engine would
    take over (its process ended on this host, its heartbeat is stale, or Ctrl-C
    released it) is ``interrupted``; the next run of the study repeats it.

    >>> from datetime import datetime, timezone
    >>> old = datetime(2020, 1, 1, tzinfo=timezone.utc)
    >>> display_state(FrozenTrial(0, TrialState.RUNNING, owner="elsewhere:1:x",
    ...                           heartbeat_at=old))
    'interrupted'
    >>> display_state(FrozenTrial(1, TrialState.COMPLETE, value=1.0))
    'complete'
    """
    # The engine's own rule, so that "interrupted" means "the next run repeats it".
    from tunesmith.study._owners import is_abandoned

    if trial.state is not TrialState.RUNNING:
        return trial.state.value
    return ("interrupted" if is_abandoned(trial, stale_after=STALE_AFTER_S, beats=True)
            else "running")


class Output:
    """Where and how to print: ``fmt`` is ``table``, ``json`` or ``csv``.

    >>> import io
    >>> out = Output(fmt="json", stdout=io.StringIO())
    >>> out.json({"a": 1}); out.stdout.getvalue()
    '{\\n  "a": 1\\n}\\n'
    """

    def __init__(self, *, fmt: str = "table", quiet: bool = False,
                 stdout: TextIO | None = None, stderr: TextIO | None = None) -> None:
        self.fmt = fmt
        self.quiet = quiet
        self.stdout = stdout if stdout is not None else sys.stdout
        self.stderr = stderr if stderr is not None else sys.stderr
        # Piped output keeps whole rows instead of wrapping at 80 columns. No markup and
        # no emoji codes: names, values and messages from storage are text, and a
        # "[/x]" in one must print as itself, not crash the table (styles are set with
        # style=, never with markup).
        self.console = Console(file=self.stdout, width=None if _is_tty(self.stdout) else 200,
                               highlight=False, soft_wrap=False, markup=False, emoji=False)
        self.err_console = Console(file=self.stderr, highlight=False, markup=False,
                                   emoji=False, width=None if _is_tty(self.stderr) else 200)

    # -- channels -------------------------------------------------------------------

    def info(self, text: str) -> None:
        """A note on stderr about what is happening; silent with --quiet."""
        if not self.quiet:
            self.err_console.print(clean(redact(text)), markup=False)

    def warning(self, text: str) -> None:
        """A warning on stderr, shown even with --quiet."""
        print(f"warning: {clean(redact(text), one_line=True)}", file=self.stderr)

    def error(self, text: str) -> None:
        """An error on stderr, one line, always (passwords hidden, escapes escaped)."""
        print(f"error: {clean(redact(text), one_line=True)}", file=self.stderr)

    def json(self, data: Any) -> None:
        print(json.dumps(json_safe(data), indent=2), file=self.stdout)

    def csv(self, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            # A CSV read on a terminal must not carry escapes either.
            writer.writerow(["" if v is None else clean(v) if isinstance(v, str) else v
                             for v in row])
        self.stdout.write(buffer.getvalue())

    def print(self, renderable: Any = "") -> None:
        self.console.print(renderable)

    # -- shared pieces --------------------------------------------------------------

    def trials_table(self, trials: Sequence[FrozenTrial], *, title: str | None = None,
                     value_label: str = "value", show_message: bool = True,
                     state_text: Any = None) -> Table:
        """Trials as a table: number, state, value, one column per parameter.

        ``state_text(trial)`` words the state (``interrupted`` for a lost worker's)."""
        names = _param_names(trials)
        table = Table(title=title, title_justify="left", header_style="bold")
        table.add_column("#", justify="right")
        table.add_column("state")
        table.add_column(value_label, justify="right")
        table.add_column("± std", justify="right", style="dim")
        for name in names:
            table.add_column(clean(name, one_line=True))
        table.add_column("time", justify="right", style="dim")
        if show_message:
            table.add_column("message", overflow="ellipsis", max_width=60)
        for t in trials:
            std = fold_std(t)
            row: list[str | Text] = [
                str(t.number),
                Text(state_text(t) if state_text else t.state.value,
                     style=_STATE_STYLE.get(t.state, "")),
                format_value(t.value),
                "" if std is None else format_value(std),
                *(param_text(t.params[n]) if n in t.params else "" for n in names),
                "" if t.duration is None else f"{t.duration:.2f}s",
            ]
            if show_message:
                row.append(clean(t.message or ""))
            table.add_row(*row)
        return table


def fold_std(trial: FrozenTrial) -> float | None:
    """The standard deviation of a trial's fold scores (as ``std_test_score``), if stored:
    typed fold records (the drop-ins), or the fold scores a native CV study keeps in attrs.

    >>> fold_std(FrozenTrial(0, TrialState.COMPLETE, attrs={"test_scores": [0.5, 0.7]}))
    0.1
    >>> from tunesmith.records import FoldRecord
    >>> fold_std(FrozenTrial(0, TrialState.COMPLETE, folds=(FoldRecord(0, {"score": 0.5}),
    ...                                                     FoldRecord(1, {"score": 0.7}))))
    0.1
    """
    # Typed fold records' scores, or whatever JSON a native CV study stored in attrs.
    scores: list[float] | Any
    if trial.folds:
        single = [f.test_scores for f in trial.folds]
        scores = [s["score"] for s in single if set(s) == {"score"}]
        if len(scores) != len(single):
            return None  # several metrics per fold
    else:
        scores = (trial.attrs or {}).get("test_scores")
    if not scores or not all(isinstance(s, int | float) for s in scores):
        return None  # absent, or several metrics per fold
    mean = sum(scores) / len(scores)
    return round(math.sqrt(sum((s - mean) ** 2 for s in scores) / len(scores)), 12)


_STATE_STYLE = {
    TrialState.COMPLETE: "green",
    TrialState.FAILED: "red",
    TrialState.SKIPPED: "dim",
    TrialState.PRUNED: "yellow",
    TrialState.RUNNING: "cyan",
}


def _param_names(trials: Sequence[FrozenTrial]) -> list[str]:
    names: dict[str, None] = {}
    for t in trials:
        for name in t.params:
            names.setdefault(name, None)
    return list(names)


def failure_summary(failed: Sequence[FrozenTrial], *, limit: int | None = None) -> Table:
    """Failures grouped by message, most frequent first (as scikit-learn warns)."""
    groups: dict[tuple[str, str], int] = {}
    for t in failed:
        key = (t.state.value, clean(t.message or "(no message)"))
        groups[key] = groups.get(key, 0) + 1
    table = Table(title="Not completed", title_justify="left", header_style="bold")
    table.add_column("trials", justify="right")
    table.add_column("state")
    table.add_column("why", overflow="fold", max_width=100)
    ordered = sorted(groups.items(), key=lambda kv: -kv[1])
    for (state, message), n in ordered[:limit]:
        table.add_row(str(n), state, message)
    if limit is not None and len(ordered) > limit:
        table.add_row("", "", f"... and {len(ordered) - limit} more kinds (tunesmith show)")
    return table


def trials_csv_rows(trials: Sequence[FrozenTrial]) -> tuple[list[str], list[list[Any]]]:
    """Columns and rows of ``tunesmith trials --format csv``."""
    names = _param_names(trials)
    columns = ["number", "state", "value", *names, "duration_s", "message"]
    rows = [
        [t.number, t.state.value, "" if t.value is None else repr(float(t.value)),
         *(_csv_value(t.params.get(n, "")) for n in names),
         "" if t.duration is None else f"{t.duration:.3f}", t.message or ""]
        for t in trials
    ]
    return columns, rows


def _csv_value(value: Any) -> Any:
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()
    return repr(value) if isinstance(value, float) else value


def _is_tty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def print_outcome(out: Output, outcome: RunOutcome, *, show_command: str | None = None) -> None:
    """The end-of-run summary: a table for people, one JSON object with --format json."""
    trials = outcome.trials
    best = outcome.best
    if out.fmt == "json":
        out.json({
            "study": outcome.name,
            "storage": redact(outcome.storage),
            "strategy": outcome.strategy.value,
            "scoring": outcome.scoring,
            "n_trials": len(trials),
            "states": state_counts(trials),
            "best": trial_dict(best),
            "best_value": best.value,
            "best_params": dict(best.params),
            "test_score": outcome.test_score,
            "test_source": outcome.test_source,
            "n_test": outcome.n_test,
            "n_train": outcome.n_train,
            "resumed_from": outcome.resumed_from,
            "elapsed_s": round(outcome.elapsed, 3),
            "verdict": verdict_dict(outcome.verdict),
        })
        return
    if out.quiet:  # scripts: one line, no table
        held_out = "" if outcome.test_score is None else \
            f", held-out {format_value(outcome.test_score)}"
        print(f"best cv {outcome.scoring} {format_value(best.value)}{held_out}: "
              f"{params_text(best.params)}", file=out.stdout)
        return
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    grid.add_row("study", f"{outcome.name}  ({outcome.strategy.value} search)")
    grid.add_row("trials", f"{len(trials)} ({states_text(trials)})")
    stops = stopped_text(trials)
    if stops is not None:
        grid.add_row("stopped early", stops)
    grid.add_row(f"best cv {outcome.scoring}",
                 f"{format_value(best.value)}  (trial {best.number})")
    grid.add_row("best params", params_text(best.params))
    if outcome.test_score is not None:
        grid.add_row(f"held-out {outcome.scoring}",
                     f"{format_value(outcome.test_score)} on {outcome.n_test} rows "
                     f"({outcome.test_source}), refit on {outcome.n_train} rows")
    took = f"{outcome.elapsed:.1f} s"
    if outcome.resumed_from:
        took += f" (resumed: {outcome.resumed_from} trials were already done)"
    grid.add_row("time", took)
    grid.add_row("storage", redact(outcome.storage))
    out.print(grid)
    if outcome.verdict is not None:
        out.print()
        out.print(Text("Verdict", style="bold"))
        for line in outcome.verdict.lines():
            out.print(Text(f"  {clean(line, one_line=True)}"))
    ranked = sorted((t for t in trials if t.is_complete),
                    key=lambda t: (-float(t.value),  # type: ignore[arg-type]
                                   t.candidate if t.candidate is not None else t.number))
    if len(ranked) > 1:
        out.print()
        out.print(out.trials_table(ranked[:5], title="Top 5", value_label=outcome.scoring,
                                   show_message=False))
    failed = [t for t in trials if t.state in (TrialState.FAILED, TrialState.SKIPPED)]
    if failed:
        out.print()
        out.print(failure_summary(failed, limit=3))
    if show_command:
        out.print()
        out.print(Text(f"Look again later: {show_command}", style="dim"))
