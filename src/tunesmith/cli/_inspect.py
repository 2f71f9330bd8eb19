"""``studies``, ``show``, ``trials``, ``best``, ``delete``: read a storage, never search.

These read through the public :class:`~tunesmith.storage.Storage` interface only, so
they work on any backend and while a run is writing to the same database. They open it
with :func:`~tunesmith.cli._storage.open_for_inspection` (SQLite read-only), and print
what it holds as text: no markup, control characters escaped, passwords hidden.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.table import Table

from tunesmith.cli._config import ConfigError
from tunesmith.cli._output import (
    Output,
    display_state,
    failure_summary,
    format_value,
    param_text,
    params_text,
    state_counts,
    states_text,
    stopped_text,
    trial_dict,
    trials_csv_rows,
)
from tunesmith.cli._resume import PLANNED_ATTR, RESULT_ATTR, SETTINGS_ATTR, best_trial
from tunesmith.cli._text import clean, redact
from tunesmith.exceptions import StudyNotFoundError
from tunesmith.records import Direction, FrozenTrial, TrialState
from tunesmith.storage import Storage

__all__ = ["cmd_best", "cmd_delete", "cmd_show", "cmd_studies", "cmd_trials"]

_TOP = 10
def _study_id(storage: Storage, name: str, url: str) -> int:
    try:
        return storage.study_id(name)
    except StudyNotFoundError:
        names = [s.name for s in storage.list_studies()]
        known = f"; studies there: {', '.join(names)}" if names else "; it holds no study"
        raise ConfigError("", f"no study named {name!r} in {redact(url)}{known}") from None


def cmd_studies(storage: Storage, out: Output) -> int:
    """Every study in the storage, with its progress and best value."""
    summaries = storage.list_studies()
    rows = [
        {
            "name": s.name,
            "direction": s.direction.value,
            "n_trials": s.n_trials,
            "n_complete": s.n_complete,
            "best_value": s.best_value,
            "created_at": s.created_at,
        }
        for s in summaries
    ]
    if out.fmt == "json":
        out.json(rows)
    elif out.fmt == "csv":
        columns = list(rows[0]) if rows else ["name", "direction", "n_trials", "n_complete",
                                               "best_value", "created_at"]
        out.csv(columns, ([r[c] for c in columns] for r in rows))
    else:
        table = Table(header_style="bold")
        for column, justify in (("study", "left"), ("direction", "left"), ("trials", "right"),
                                ("complete", "right"), ("best", "right"),
                                ("created", "left")):
            table.add_column(column, justify=justify)  # type: ignore[arg-type]
        for s in summaries:
            created = "" if s.created_at is None else s.created_at.strftime("%Y-%m-%d %H:%M")
            table.add_row(clean(s.name, one_line=True), s.direction.value, str(s.n_trials),
                          str(s.n_complete), format_value(s.best_value), created)
        if summaries:
            out.print(table)
        else:
            out.info("no studies in this storage yet")
    return 0


def _ranked(trials: list[FrozenTrial], direction: Direction) -> list[FrozenTrial]:
    """Complete trials, best first; ties by candidate order, as scikit-learn ranks."""
    complete = [t for t in trials if t.is_complete]
    sign = -1.0 if direction is Direction.MAXIMIZE else 1.0

    def key(t: FrozenTrial) -> tuple[float, int, int]:
        order = t.candidate if t.candidate is not None else t.number
        return (sign * float(t.value), order, t.number)  # type: ignore[arg-type]

    return sorted(complete, key=key)


def _best(trials: list[FrozenTrial], direction: Direction) -> FrozenTrial | None:
    if direction is Direction.MAXIMIZE:
        return best_trial(trials)
    ranked = _ranked(trials, direction)
    return ranked[0] if ranked else None


def cmd_show(storage: Storage, name: str, url: str, out: Output) -> int:
    """Settings, progress, the best trial and the top ten of one study."""
    study_id = _study_id(storage, name, url)
    attrs = storage.study_attrs(study_id)
    direction = storage.study_direction(study_id)
    trials = storage.trials(study_id)
    ranked = _ranked(trials, direction)
    best = ranked[0] if ranked else None
    settings = attrs.get(SETTINGS_ATTR)
    result = attrs.get(RESULT_ATTR) or {}
    planned = attrs.get(PLANNED_ATTR)
    if out.fmt == "json":
        out.json({
            "name": name,
            "storage": redact(url),
            "direction": direction.value,
            "settings": settings,
            "planned": planned,
            "states": state_counts(trials),
            "interrupted": sum(display_state(t) == "interrupted" for t in trials),
            "best": None if best is None else trial_dict(best),
            "result": result or None,
            "top": [trial_dict(t) for t in ranked[:_TOP]],
        })
        return 0
    label = clean(str(result.get("scoring") or (settings or {}).get("search", {}).get("scoring")
                      or "value"), one_line=True)
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    grid.add_row("study", clean(name, one_line=True))
    grid.add_row("storage", clean(redact(url), one_line=True))
    for key, value in _settings_lines(settings, attrs, direction):
        grid.add_row(key, clean(value, one_line=True))
    done = sum(t.state.is_finished for t in trials)
    progress = f"{done} of {planned} trials finished" if planned else f"{done} trials finished"
    grid.add_row("progress", f"{progress} ({states_text(trials)})")
    stops = stopped_text(trials)
    if stops is not None:
        grid.add_row("stopped early", stops)
    if best is not None:
        grid.add_row(f"best {label}", f"{format_value(best.value)}  (trial {best.number})")
        grid.add_row("best params", params_text(best.params))
    if result.get("test_score") is not None:
        grid.add_row(f"held-out {label}",
                     clean(f"{format_value(result['test_score'])} on {result.get('n_test')} "
                           f"rows ({result.get('test_source')})", one_line=True))
    out.print(grid)
    if ranked:
        out.print()
        out.print(out.trials_table(ranked[:_TOP], title=f"Top {min(_TOP, len(ranked))}",
                                   value_label=label, show_message=False))
    failed = [t for t in trials if t.state in (TrialState.FAILED, TrialState.SKIPPED)]
    if failed:
        out.print()
        out.print(failure_summary(failed))
    return 0


def _racing_text(racing: Any) -> str:
    """``, racing`` or ``, racing (tolerance=0.002)`` for a study file's ``racing``."""
    if not racing:
        return ""
    if isinstance(racing, dict):
        return ", racing (" + ", ".join(f"{k}={v}" for k, v in racing.items()) + ")"
    return ", racing"


def _settings_lines(settings: dict[str, Any] | None, attrs: dict[str, Any],
                    direction: Direction) -> list[tuple[str, str]]:
    if not settings:
        lines = [("direction", direction.value)]
        if "sampler" in attrs:
            lines.append(("sampler", str(attrs["sampler"])))
        return lines
    data, search = settings.get("data") or {}, settings.get("search") or {}
    source = str(data.get("dataset") or Path(str(data.get("train"))).name)
    if data.get("target"):
        source += f" (target {data['target']})"
    estimator = settings.get("estimator") or {}
    fixed = params_text(estimator.get("params") or {})
    model = str(estimator.get("class", "?")) + (f"  {fixed}" if fixed else "")
    if settings.get("preprocess") is not None:
        model = "preprocessing + " + model
    entries = settings.get("space")
    # No [space] table: the run tuned the estimator's ready-made space.
    space = ("the estimator's ready-made space" if not entries else
             "; ".join(f"{name} {_entry_text(entry)}" for name, entry in entries.items()))
    search_text = (f"{search.get('strategy')}"
                   + (f", {search['n_trials']} trials" if search.get("n_trials") else "")
                   + f", cv={search.get('cv')}, scoring={search.get('scoring') or 'default'}"
                   + (f", seed={search['seed']}" if search.get("seed") is not None else "")
                   + _racing_text(search.get("racing")))
    return [("data", source), ("estimator", model), ("space", space), ("search", search_text)]


def _entry_text(entry: dict[str, Any]) -> str:
    """A stored ``[space]`` entry, short: ``[l1, l2]``, ``logspace(-4, 4, 20)``,
    ``0.01..1000 log``.

    >>> _entry_text({"values": ["l1", None]}), _entry_text({"low": 1, "high": 9, "type": "int"})
    ('[l1, None]', '1..9 int')
    """
    if entry.get("values") is not None:
        values = [param_text(v) for v in entry["values"]]
        shown = values if len(values) <= 8 else [*values[:7], "..."]
        return "[" + ", ".join(shown) + "]"
    for helper in ("logspace", "linspace", "range"):
        if entry.get(helper) is not None:
            return f"{helper}({', '.join(param_text(v) for v in entry[helper])})"
    text = f"{param_text(entry.get('low'))}..{param_text(entry.get('high'))}"
    if entry.get("log"):
        text += " log"
    if entry.get("step") is not None:
        text += f" step {param_text(entry['step'])}"
    if entry.get("type") == "int":
        text += " int"
    return text


def cmd_trials(storage: Storage, name: str, url: str, out: Output,
               states: list[str] | None = None) -> int:
    """Every trial of a study, as a table, CSV or JSON."""
    study_id = _study_id(storage, name, url)
    wanted = None if not states else [TrialState.parse(s) for s in states]
    trials = storage.trials(study_id, states=wanted)
    if out.fmt == "json":
        out.json([trial_dict(t) for t in trials])
    elif out.fmt == "csv":
        out.csv(*trials_csv_rows(trials))
    else:
        label = ((storage.study_attrs(study_id).get(RESULT_ATTR) or {}).get("scoring")
                 or "value")
        out.print(out.trials_table(trials, value_label=clean(str(label), one_line=True),
                                   state_text=display_state))
    return 0


def cmd_best(storage: Storage, name: str, url: str, out: Output) -> int:
    """The best trial's value and parameters (exit 1 when none has completed)."""
    study_id = _study_id(storage, name, url)
    best = _best(storage.trials(study_id), storage.study_direction(study_id))
    if best is None:
        out.error(f"study {name!r} has no complete trial yet")
        return 1
    result = storage.study_attrs(study_id).get(RESULT_ATTR) or {}
    if out.fmt == "json":
        data = trial_dict(best)
        data["test_score"] = result.get("test_score")
        out.json(data)
    elif out.fmt == "csv":
        out.csv(*trials_csv_rows([best]))
    else:
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold")
        grid.add_column()
        grid.add_row("trial", str(best.number))
        grid.add_row(clean(str(result.get("scoring") or "value"), one_line=True),
                     format_value(best.value))
        for key, value in best.params.items():
            grid.add_row(clean(str(key), one_line=True), param_text(value))
        if result.get("test_score") is not None:
            grid.add_row("held-out", format_value(result["test_score"]))
        out.print(grid)
    return 0


def cmd_delete(storage: Storage, name: str, url: str, out: Output, *, yes: bool,
               interactive: bool) -> int:
    """Delete a study and its trials; asks first unless ``yes``."""
    study_id = _study_id(storage, name, url)
    n = len(storage.trials(study_id))
    if not yes:
        if not interactive:
            raise ConfigError("", f"not deleting study {name!r} ({n} trials) without --yes")
        answer = input(f"delete study {clean(name)!r} and its {n} trials from "
                       f"{redact(url)}? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            out.info("nothing deleted")
            return 1
    storage.delete_study(study_id)
    out.info(f"deleted study {name!r} ({n} trials)")
    return 0
