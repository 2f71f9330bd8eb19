"""``tunesmith report NAME``: a stored study's verdict, importance and plots.

Prints the report as text, with the verdict ``tunesmith run`` stored (the best against
the study file's estimator with its defaults; ``--simplest C=min`` adds the simplest of
the candidates tied with the best); ``--html FILE`` writes it as one
self-contained HTML page (plotly inlined: it opens with no network), ``--png DIR`` each
plot as a PNG (matplotlib). Reads the storage the way the other inspection commands do
(SQLite read-only), so it is safe while a run is writing.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

__all__ = ["add_report_parser"]


def add_report_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    """Register ``report`` on the ``tunesmith`` command's subparsers."""
    from tunesmith.cli import _positive_int

    cmd = sub.add_parser(
        "report", parents=[common], help="verdict, importance and plots of a study",
        description="The report of a stored study: the verdict, the best parameters, the "
                    "top candidates and the importance as text; --html and --png write "
                    "the plots too (they need: pip install \"tunesmith[plots]\").")
    cmd.add_argument("name", metavar="NAME", help="the study's name, or its study file")
    cmd.add_argument("--html", type=Path, default=None, metavar="FILE",
                     help="write the report as one self-contained HTML file")
    cmd.add_argument("--png", type=Path, default=None, metavar="DIR",
                     help="write each plot as a PNG into DIR (made if missing)")
    cmd.add_argument("--top", type=_positive_int, default=10, metavar="N",
                     help="candidates in the table and the fold spread (default 10)")
    cmd.add_argument("--simplest", action="append", default=None, metavar="PARAM=RULE",
                     help="name the simplest of the candidates tied with the best: RULE is "
                          "min (smaller is simpler), max, or values in order of preference "
                          "(penalty=l2,l1); repeat for ties (--simplest C=min "
                          "--simplest gamma=min)")
    cmd.set_defaults(handler=_cmd_report)


def _check_outputs(html: Path | None, png: Path | None) -> None:
    """Refuse what cannot be written before reading the study (one line each)."""
    from tunesmith.cli._config import ConfigError  # pydantic: not at `tunesmith --version`
    from tunesmith.report._optional import PLOTS_EXTRA, has_plotly

    if html is not None:
        if html.is_dir():
            raise ConfigError("--html", f"{html} is a folder; name a file such as "
                                        f"{html / 'report.html'}")
        if not html.parent.is_dir():
            raise ConfigError("--html", f"the folder {html.parent} does not exist")
        if not has_plotly():
            raise ConfigError("--html", f"the HTML report needs plotly: {PLOTS_EXTRA}")
    if png is not None:
        if png.exists() and not png.is_dir():
            raise ConfigError("--png", f"{png} is a file; --png needs a folder")
        import importlib.util

        if importlib.util.find_spec("matplotlib") is None:
            raise ConfigError("--png", f"the PNG plots need matplotlib: {PLOTS_EXTRA}")


def parse_simplest(items: list[str] | None) -> dict[str, Any] | None:
    """``--simplest`` values as a :class:`tunesmith.stats.SimplicityRule`: ``NAME=min``,
    ``NAME=max`` or ``NAME=v1,v2,...`` (each value read as JSON when it is, so ``1``,
    ``0.5`` and ``null`` match numbers and None; a string otherwise).

    >>> parse_simplest(["C=min", "penalty=l2,l1,null"])
    {'C': 'min', 'penalty': ['l2', 'l1', None]}
    >>> parse_simplest(["C"])
    Traceback (most recent call last):
    ...
    tunesmith.cli._config.ConfigError: --simplest: expected PARAM=RULE (C=min, ... got 'C'
    """
    from tunesmith.cli._config import ConfigError

    if not items:
        return None
    rule: dict[str, Any] = {}
    for item in items:
        name, _, order = item.partition("=")
        if not name.strip() or not order.strip():
            raise ConfigError("--simplest", "expected PARAM=RULE (C=min, C=max or "
                                            f"penalty=l2,l1), got {item!r}")
        if order.strip() in ("min", "max"):
            rule[name.strip()] = order.strip()
            continue
        values: list[Any] = []
        for text in order.split(","):
            try:
                values.append(json.loads(text.strip()))
            except ValueError:
                values.append(text.strip())
        rule[name.strip()] = values
    return rule


def _default_scores(stored: Any) -> list[float] | None:
    """The default model's fold scores as ``tunesmith run`` stored them (None: a failed
    fold, read as NaN), or None when there are none."""
    if not isinstance(stored, list) or not stored or not all(
            s is None or (isinstance(s, int | float) and not isinstance(s, bool))
            for s in stored):
        return None
    return [math.nan if s is None else float(s) for s in stored]


def _cmd_report(args: argparse.Namespace, out: Any, argv: list[str]) -> int:
    from tunesmith.cli import _study_and_storage
    from tunesmith.cli._inspect import _study_id
    from tunesmith.cli._resume import RESULT_ATTR
    from tunesmith.cli._storage import open_for_inspection
    from tunesmith.cli._text import clean
    from tunesmith.report import Report

    _check_outputs(args.html, args.png)
    simplest = parse_simplest(args.simplest)
    name, url = _study_and_storage(args)
    with open_for_inspection(url) as storage:
        study_id = _study_id(storage, name, url)
        direction = storage.study_direction(study_id)
        trials = storage.trials(study_id)
        result = storage.study_attrs(study_id).get(RESULT_ATTR)
    # `tunesmith run` stores its verdict (against the default model, held-out scores);
    # without one (a study made in Python) the report tests the candidates' fold scores.
    result = result if isinstance(result, dict) else {}
    stored = result.get("verdict")
    verdict = [str(line) for line in stored] if isinstance(stored, list) and stored else None
    try:
        report = Report(trials, direction, title=name, top=args.top, verdict=verdict,
                        default=_default_scores(result.get("default_scores")),
                        simplest=simplest)
    except ValueError as exc:  # a --simplest naming no parameter of the study
        from tunesmith.cli._config import ConfigError

        raise ConfigError("--simplest", str(exc)) from None
    if not args.quiet or not (args.html or args.png):
        for line in report.lines():
            print(clean(line), file=out.stdout)
    if args.html is not None:
        out.info(f"wrote {report.save(args.html)}")
    if args.png is not None:
        written = report.save_png(args.png)
        out.info(f"wrote {len(written)} plots into {args.png}: "
                 + ", ".join(p.name for p in written))
    return 0
