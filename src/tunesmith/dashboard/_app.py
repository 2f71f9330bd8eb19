"""The dashboard's Starlette application: three pages and the JSON they draw from.

Pages are static HTML shells (``static/*.html``) whose scripts fetch JSON and build
the DOM with ``textContent``: nothing from storage is ever spliced into HTML. Every
response carries a Content-Security-Policy that allows scripts from this server only.

JSON API (all ``GET``; a bad parameter is a 400 with ``{"error": ...}``, an unknown
study or trial a 404)::

    /api/studies                               every study in brief
    /api/studies/{id}                          one study: brief, settings, attributes
    /api/studies/{id}/status?since=SEQ         live counts, best, workers (polled)
    /api/studies/{id}/trials?sort=&order=&state=&q=&min=&max=&offset=&limit=
    /api/studies/{id}/trials/{number}          one trial, whole
    /api/studies/{id}/verdict                  the verdict against the default
    /api/studies/{id}/plots                    the plots' keys and titles
    /api/studies/{id}/plots/{key}              one of the report's figures, plotly JSON
"""

from __future__ import annotations

import functools
import gzip
import html
import logging
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from tunesmith.dashboard._plots import PLOTS, figure, importance_of, read_sample
from tunesmith.dashboard._render import dumps, trial_json
from tunesmith.dashboard._source import SORT_KEYS, PageQuery, Source, StudyRow, Worker
from tunesmith.dashboard._verdict import study_verdict
from tunesmith.dashboard._watch import Watch
from tunesmith.exceptions import StudyNotFoundError
from tunesmith.records import TrialState
from tunesmith.storage import Storage

__all__ = ["create_app"]

logger = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
#: How long the studies page's aggregates are reused while no study changed (the live
#: workers' heartbeats change without a change in sequence).
STUDIES_MAX_AGE_S = 10.0
#: Studies whose outlines are read ahead when the studies page is first shown.
FOLLOW_AHEAD = 8

# Scripts from this server only: no inline script runs, whatever a page came to hold,
# and no string becomes code (the pages draw no WebGL plot, whose drawing code plotly
# builds with new Function); plotly's styles are inline.
_CSP = ("default-src 'self'; script-src 'self'; "
        "style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; "
        "base-uri 'none'; frame-ancestors 'none'; form-action 'none'")
_HEADERS = [
    (b"content-security-policy", _CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
]

Scope = MutableMapping[str, Any]
ASGI = Callable[[Scope, Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]],
                Awaitable[None]]


class _SecurityHeaders:
    """Adds the headers above to every HTTP response (pure ASGI, no buffering)."""

    def __init__(self, app: ASGI) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                names = {name for name, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    header for header in _HEADERS if header[0] not in names
                ]
            await send(message)

        await self.app(scope, receive, with_headers)


class _JSON(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return dumps(content)


def _error(status: int, message: str) -> _JSON:
    return _JSON({"error": message}, status_code=status)


class _Dashboard:
    """The application's state: the source, a Watch per open study, caches."""

    def __init__(self, storage: Storage) -> None:
        self.source = Source(storage)
        self._watches: dict[int, Watch] = {}
        self._lock = threading.Lock()
        self._studies: tuple[dict[int, int], float, list[StudyRow]] | None = None

    def watch(self, study_id: int) -> Watch:
        with self._lock:
            found = self._watches.get(study_id)
        if found is None:
            direction = self.source.storage.study_direction(study_id)  # or StudyNotFound
            with self._lock:
                found = self._watches.setdefault(
                    study_id, Watch(self.source, study_id, direction))
        return found

    def studies(self) -> list[StudyRow]:
        seqs = self.source.seqs()
        cached = self._studies
        if cached is None or cached[0] != seqs or time.monotonic() - cached[1] > STUDIES_MAX_AGE_S:
            cached = (seqs, time.monotonic(), self.source.studies())
            if self._studies is None:
                self.follow_in_background(cached[2])
            self._studies = cached
        return cached[2]

    def follow_in_background(self, rows: list[StudyRow]) -> None:
        """Read the outlines of the most recently active studies (a second for 100,000
        trials) while the studies page is read, so that a click on one finds it."""
        never = datetime.min.replace(tzinfo=timezone.utc)
        recent = sorted(rows, key=lambda r: r.last_activity or r.created_at or never,
                        reverse=True)[:FOLLOW_AHEAD]

        def work() -> None:
            for row in recent:
                try:
                    self.watch(row.study_id).refresh()
                except Exception:  # deleted meanwhile: its page will say so
                    logger.debug("outline of study %s failed", row.study_id, exc_info=True)

        threading.Thread(target=work, name="tunesmith-dashboard-outlines", daemon=True).start()

    # -- pages ---------------------------------------------------------------------------

    def page_studies(self, request: Request) -> Response:
        return FileResponse(STATIC / "studies.html")

    def page_study(self, request: Request) -> Response:
        self.prefetch(self._study_or_404(request))
        return Response(_study_page(), media_type="text/html; charset=utf-8")

    def page_trial(self, request: Request) -> Response:
        study_id = self._study_or_404(request)
        try:
            self.source.trial(study_id, request.path_params["number"])
        except KeyError:
            raise HTTPException(404, "no such trial") from None
        return FileResponse(STATIC / "trial.html")

    def _study_or_404(self, request: Request) -> int:
        study_id: int = request.path_params["study_id"]
        try:
            self.watch(study_id)
        except StudyNotFoundError:
            raise HTTPException(404, "no such study") from None
        return study_id

    # -- JSON --------------------------------------------------------------------------

    def api_studies(self, request: Request) -> Response:
        return _JSON({"studies": [_study_json(row) for row in self.studies()]})

    def api_study(self, request: Request) -> Response:
        study_id = request.path_params["study_id"]
        try:
            row = self.source.study(study_id)
        except StudyNotFoundError:
            return _error(404, f"no study with id {study_id}")
        attrs = self.source.storage.study_attrs(study_id)
        return _JSON({**_study_json(row), "attrs": attrs})

    def api_verdict(self, request: Request) -> Response:
        try:
            watch = self.watch(request.path_params["study_id"])
        except StudyNotFoundError as exc:
            return _error(404, str(exc))
        watch.refresh()
        # The default's scores arrive when a run ends, after its last trial: no change
        # of sequence, so whether they are there is part of the cache's key.
        has_default = self.source.default_scores(watch.study_id)[0] is not None
        return _JSON({"verdict": watch.cached(f"verdict:{has_default}",
                                              lambda: study_verdict(watch))})

    def api_status(self, request: Request) -> Response:
        try:
            return _JSON(self.watch(request.path_params["study_id"]).status())
        except StudyNotFoundError as exc:
            return _error(404, str(exc))

    def api_trials(self, request: Request) -> Response:
        study_id = request.path_params["study_id"]
        try:
            query = _page_query(request)
        except ValueError as exc:
            return _error(400, str(exc))
        try:
            page = self.source.page(study_id, query)
        except StudyNotFoundError as exc:
            return _error(404, str(exc))
        return _JSON({"total": page.total, "offset": query.offset, "limit": query.limit,
                      "sort": query.sort, "order": "desc" if query.descending else "asc",
                      "trials": page.rows})

    def api_trial(self, request: Request) -> Response:
        study_id, number = request.path_params["study_id"], request.path_params["number"]
        try:
            trial = self.source.trial(study_id, number)
        except KeyError:
            return _error(404, f"study {study_id} has no trial {number}")
        state = trial.state.value
        if trial.state is TrialState.RUNNING:
            alive = Worker.from_row(trial.owner, 1, trial.heartbeat_at).alive
            state = "running" if alive else "interrupted"
        return _JSON(trial_json(trial, display_state=state))

    def api_plots(self, request: Request) -> Response:
        try:
            seq = self.watch(request.path_params["study_id"]).refresh()
        except StudyNotFoundError as exc:
            return _error(404, str(exc))
        return _JSON({"seq": seq, "plots": [{"key": k, "title": t} for k, t in PLOTS]})

    def api_plot(self, request: Request) -> Response:
        key = request.path_params["key"]
        if key not in dict(PLOTS):
            return _error(404, f"no plot {key!r}")
        try:
            watch = self.watch(request.path_params["study_id"])
        except StudyNotFoundError as exc:
            return _error(404, str(exc))
        seq = watch.refresh()
        return _JSON({"seq": seq, **self.plot(watch, key)})

    def plot(self, watch: Watch, key: str) -> dict[str, Any]:
        """Plot ``key`` of a study, drawn at most every few seconds while it changes."""

        # As for the verdict: the default's scores may arrive without a change of sequence.
        has_default = self.source.default_scores(watch.study_id)[0] is not None

        def draw() -> dict[str, Any]:
            sample = watch.cached(f"sample:{has_default}", lambda: read_sample(watch))
            return figure(key, sample, watch.direction, importances=lambda: watch.cached(
                "importance", lambda: importance_of(sample, watch.direction)))

        result: dict[str, Any] = watch.cached(f"plot:{key}:{has_default}", draw)
        return result

    def prefetch(self, study_id: int) -> None:
        """Start drawing a study's plots while its page loads in the browser (plotly.js
        alone takes the browser a second or more), so that they are ready when asked."""

        def work() -> None:
            try:
                watch = self.watch(study_id)
                watch.refresh()
                for key, _title in PLOTS:
                    self.plot(watch, key)
            except Exception:  # the page's own requests will say what is wrong
                logger.debug("prefetch of study %s failed", study_id, exc_info=True)

        threading.Thread(target=work, name=f"tunesmith-dashboard-prefetch-{study_id}",
                         daemon=True).start()


@functools.cache
def _study_page() -> bytes:
    """The study page's shell with a box per plot of :data:`PLOTS` (our own titles, no
    stored text): the page asks for every plot as soon as its script runs."""
    boxes = "".join(
        f'<div class="plot" id="plot-{key}" data-key="{key}"><h3>{html.escape(title)}</h3>'
        '<div class="body"></div></div>' for key, title in PLOTS)
    return (STATIC / "study.html").read_text().replace("<!--plots-->", boxes).encode()


def _study_json(row: StudyRow) -> dict[str, Any]:
    return {
        "id": row.study_id,
        "name": row.name,
        "direction": row.direction.value,
        "created_at": row.created_at,
        "seq": row.seq,
        "status": row.status,
        "n_trials": row.n_trials,
        "counts": row.counts,
        "best_value": row.best_value,
        "last_activity": row.last_activity,
        "planned": row.planned,
        "live_workers": sum(w.alive for w in row.workers),
        "workers": [{"owner": w.owner, "running": w.running, "heartbeat_at": w.heartbeat_at,
                     "alive": w.alive} for w in row.workers],
    }


def _page_query(request: Request) -> PageQuery:
    """The table query from URL parameters; ValueError naming a bad one."""
    q = request.query_params
    order = q.get("order", "asc")
    if order not in ("asc", "desc"):
        raise ValueError(f"order must be asc or desc, got {order!r}")
    sort = q.get("sort", "number")
    if sort not in SORT_KEYS:
        raise ValueError(f"sort must be one of {', '.join(SORT_KEYS)}; got {sort!r}")
    return PageQuery(
        sort=sort,
        descending=order == "desc",
        states=tuple(s for s in q.getlist("state") if s),
        text=q.get("q", "")[:200],
        value_min=_number(q, "min", float),
        value_max=_number(q, "max", float),
        offset=_default(_number(q, "offset", int), 0),
        limit=_default(_number(q, "limit", int), 50),
    )


def _default(value: Any, default: Any) -> Any:
    return default if value is None else value


def _number(params: Any, key: str, kind: type) -> Any:
    text = params.get(key, "").strip()
    if not text:
        return None
    try:
        return kind(text)
    except ValueError:
        raise ValueError(f"{key} must be a number, got {text[:40]!r}") from None


def _favicon(request: Request) -> Response:
    return FileResponse(STATIC / "favicon.svg", media_type="image/svg+xml")


_plotly_lock = threading.Lock()
_plotly_js_bytes: list[tuple[bytes, bytes]] = []
#: V8's explicit compile hint (a comment to other engines): compile every function of
#: the file while it downloads, off the page's main thread, since plotly.js runs most
#: of them as it loads. It took a third of the page's main-thread time for plotly.js.
COMPILE_HINT = b"//# allFunctionsCalledOnLoad\n"


def _plotly_bytes() -> tuple[bytes, bytes]:
    """plotly.js as served (with :data:`COMPILE_HINT`), as it is and gzipped, read
    once (the server's warm-up asks first): one write of 1.7 MB rather than 4.8 MB
    streamed from the file in chunks, each waiting for the GIL while the server draws
    the page's plots."""
    with _plotly_lock:
        if not _plotly_js_bytes:
            import plotly

            path = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
            raw = COMPILE_HINT + path.read_bytes()
            _plotly_js_bytes.append((raw, gzip.compress(raw, compresslevel=1, mtime=0)))
        return _plotly_js_bytes[0]


def _plotly_js(request: Request) -> Response:
    raw, packed = _plotly_bytes()
    headers = {"cache-control": "max-age=86400", "vary": "accept-encoding"}
    if "gzip" in request.headers.get("accept-encoding", ""):
        return Response(packed, media_type="text/javascript",
                        headers={**headers, "content-encoding": "gzip"})
    return Response(raw, media_type="text/javascript", headers=headers)


def create_app(storage: Storage, *, allowed_hosts: Sequence[str] | None = None) -> Starlette:
    """The dashboard as an ASGI application reading ``storage`` (a SQL storage).

    The application only reads. Open SQLite read-only to be sure of it: the CLI's
    ``tunesmith dashboard`` does. ``allowed_hosts`` (e.g. ``["127.0.0.1", "localhost"]``)
    refuses requests for other host names, which keeps pages of other sites from
    reading the dashboard through DNS rebinding; None allows any.
    """
    board = _Dashboard(storage)
    sid = "{study_id:int}"
    routes = [
        Route("/", board.page_studies),
        Route(f"/studies/{sid}", board.page_study),
        Route(f"/studies/{sid}/trials/{{number:int}}", board.page_trial),
        Route("/api/studies", board.api_studies),
        Route(f"/api/studies/{sid}", board.api_study),
        Route(f"/api/studies/{sid}/status", board.api_status),
        Route(f"/api/studies/{sid}/trials", board.api_trials),
        Route(f"/api/studies/{sid}/trials/{{number:int}}", board.api_trial),
        Route(f"/api/studies/{sid}/verdict", board.api_verdict),
        Route(f"/api/studies/{sid}/plots", board.api_plots),
        Route(f"/api/studies/{sid}/plots/{{key}}", board.api_plot),
        Route("/favicon.ico", _favicon),
        Route("/static/plotly.min.js", _plotly_js),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    middleware = [Middleware(_SecurityHeaders)]  # type: ignore[arg-type]
    if allowed_hosts is not None:
        middleware.append(Middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts)))
    app = Starlette(routes=routes, middleware=middleware)
    app.state.dashboard = board
    return app
