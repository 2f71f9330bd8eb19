"""The report as HTML: one self-contained page (plotly's JavaScript inlined, no network).

Every string that came from storage (study name, parameter names and values, verdict
lines) is escaped here; the figures' data travel as JSON inside plotly's own script,
which escapes ``<`` and ``>``. A Content-Security-Policy forbids the page any request
(``default-src 'none'``), so a report cannot leak, or wait for, the network.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Section", "page", "table"]

_CSP = ("default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; "
        "style-src 'unsafe-inline'; img-src data: blob:; font-src data:; "
        "worker-src blob:")

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto;
       max-width: 1100px; padding: 0 1em; color: #222; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.2em; margin-top: 1.8em; border-bottom: 1px solid #ddd; }
.sub { color: #666; margin-top: 0; }
.verdict { background: #f6f8fa; border-left: 4px solid #1f77b4; padding: 0.6em 1em;
           white-space: pre-wrap; font-family: ui-monospace, monospace; font-size: 0.9em; }
.note { color: #8a6d3b; }
table { border-collapse: collapse; font-size: 0.9em; }
th, td { border-bottom: 1px solid #e5e5e5; padding: 0.25em 0.8em; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.plot { margin: 1em 0; }
"""


@dataclass(frozen=True)
class Section:
    """A titled part of the page: ``body`` is HTML this module (or plotly) produced."""

    title: str
    body: str
    anchor: str


def esc(text: object) -> str:
    """Text as HTML (quotes included), for element content and attributes."""
    return html.escape(str(text), quote=True)


def table(header: Sequence[str], rows: Sequence[Sequence[object]],
          numeric: Sequence[bool] | None = None) -> str:
    """An HTML table of escaped cells (``numeric`` columns right-aligned).

    >>> table(["a"], [["<b>"]])
    '<table><thead><tr><th>a</th></tr></thead><tbody><tr><td>&lt;b&gt;</td></tr></tbody></table>'
    """
    numeric = list(numeric or [False] * len(header))
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(
            f'<td class="num">{esc(c)}</td>' if numeric[k] else f"<td>{esc(c)}</td>"
            for k, c in enumerate(row)) + "</tr>"
        for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def fragment(title: str, subtitle: str, sections: Sequence[Section], plotly_js: str) -> str:
    """The report's body (for a notebook cell): headings, sections, inlined plotly."""
    # A notebook with RequireJS (classic Jupyter) would take plotly as an AMD module and
    # leave window.Plotly unset: hide ``define`` while plotly's bundle runs.
    script = ("<script>window.__tunesmithDefine = window.define; window.define = undefined;"
              f"</script><script>{plotly_js}</script><script>window.define = "
              "window.__tunesmithDefine;</script>") if plotly_js else ""
    parts = [f'<div class="tunesmith-report"><style>{_STYLE}</style>{script}',
             f"<h1>{esc(title)}</h1>", f'<p class="sub">{esc(subtitle)}</p>']
    for s in sections:
        parts.append(f'<section id="{esc(s.anchor)}"><h2>{esc(s.title)}</h2>{s.body}'
                     "</section>")
    parts.append("</div>")
    return "\n".join(parts)


def page(title: str, subtitle: str, sections: Sequence[Section], plotly_js: str) -> str:
    """A complete HTML document that opens with no network."""
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)}</title>\n</head>\n<body>\n"
        + fragment(title, subtitle, sections, plotly_js)
        + "\n</body>\n</html>\n"
    )
