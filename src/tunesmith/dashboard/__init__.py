"""A live web dashboard of stored studies (``tunesmith dashboard``).

Three pages: the studies (state, trials by state, best value, last activity, live
workers), a study (the report's plots, the verdict against the default, the trials
table sorted, filtered and paged on the server, settings and attributes) and a trial
(parameters, folds, intermediate values, failure message, owner and heartbeat). The
pages follow a running study through its change sequence without a reload.

It only reads, never blocks a writer (short read transactions; SQLite in WAL mode lets
readers and the writer work at once), summarises large studies on the server (a
100,000-trial study sends a sample of a few thousand points and pages of 50 rows), and
shows every stored string as text. Needs ``pip install "tunesmith[dashboard]"``.

>>> from tunesmith.storage._sql import SQLStorage
>>> from starlette.testclient import TestClient
>>> with SQLStorage("sqlite://") as storage, TestClient(create_app(storage)) as client:
...     client.get("/api/studies").json()
{'studies': []}
"""

from __future__ import annotations

from tunesmith.dashboard._app import create_app
from tunesmith.dashboard._serve import serve

__all__ = ["create_app", "serve"]
