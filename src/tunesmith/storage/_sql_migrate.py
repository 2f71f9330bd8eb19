"""Moving an older tunesmith database on to this schema version, in place.

A migration is a list of steps, ``(from_version, to_version, description, apply)``.
Opening a database older than :data:`~tunesmith.storage._sql_schema.SCHEMA_VERSION`
runs every step it needs in ONE write transaction (SQLite: the ``BEGIN IMMEDIATE``
transaction; PostgreSQL: under the advisory lock that also serialises table creation;
both run DDL transactionally), so a crash mid-way leaves the database as it was, and
of several processes opening it at once one migrates and the others find it done.

Each version's tables are described here as they were (``V1_METADATA``), for the steps
and for tests that build an old database on a server. A step only moves data forward;
there is no downgrade.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.schema import CreateColumn

from tunesmith.exceptions import StorageError
from tunesmith.records import FoldRecord
from tunesmith.storage import _sql_json as codec
from tunesmith.storage import _sql_schema as schema

__all__ = [
    "STEPS", "V1_FOLD_KEYS", "V1_METADATA", "Step", "can_migrate", "migrate", "open_schema",
    "v1_folds",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Step:
    """One schema change: ``apply(conn)`` moves a database from one version to the next."""

    from_version: int
    to_version: int
    description: str
    apply: Callable[[Connection], None]


# -- version 1, as it was --------------------------------------------------------------

V1_METADATA = sa.MetaData()
_UTC = schema.UTCDateTime

sa.Table(
    "tunesmith_version", V1_METADATA,
    sa.Column("schema_version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("library_version", sa.String, nullable=False),
    sa.Column("created_at", _UTC, nullable=False),
)
sa.Table(
    "tunesmith_studies", V1_METADATA,
    sa.Column("study_id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String, nullable=False),
    sa.Column("direction", sa.String(16), nullable=False),
    sa.Column("created_at", _UTC, nullable=False),
    sa.UniqueConstraint("name", name="tunesmith_uq_studies_name"),
    sqlite_autoincrement=True,
)
sa.Table(
    "tunesmith_study_attrs", V1_METADATA,
    sa.Column("study_id", sa.Integer,
              sa.ForeignKey("tunesmith_studies.study_id", ondelete="CASCADE"), primary_key=True),
    sa.Column("key", sa.String, primary_key=True),
    sa.Column("value_json", sa.Text, nullable=False),
)
sa.Table(
    "tunesmith_trials", V1_METADATA,
    sa.Column("trial_id", sa.Integer, primary_key=True),
    sa.Column("study_id", sa.Integer,
              sa.ForeignKey("tunesmith_studies.study_id", ondelete="CASCADE"), nullable=False),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("candidate", sa.BigInteger, nullable=True),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("value", sa.Double, nullable=True),
    sa.Column("value_special", sa.String(8), nullable=True),
    sa.Column("params_json", sa.Text, nullable=False),
    sa.Column("dimensions_json", sa.Text, nullable=False),
    sa.Column("attrs_json", sa.Text, nullable=False),
    sa.Column("message", sa.Text, nullable=True),
    sa.Column("owner", sa.String, nullable=True),
    sa.Column("started_at", _UTC, nullable=True),
    sa.Column("finished_at", _UTC, nullable=True),
    sa.Column("heartbeat_at", _UTC, nullable=True),
    sa.UniqueConstraint("study_id", "number", name="tunesmith_uq_trials_number"),
    sa.UniqueConstraint("study_id", "candidate", name="tunesmith_uq_trials_candidate"),
    sa.Index("tunesmith_ix_trials_study_state", "study_id", "state"),
    sqlite_autoincrement=True,
)
sa.Table(
    "tunesmith_trial_values", V1_METADATA,
    sa.Column("trial_id", sa.Integer,
              sa.ForeignKey("tunesmith_trials.trial_id", ondelete="CASCADE"), primary_key=True),
    sa.Column("step", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("value", sa.Double, nullable=True),
)


# -- version 1 -> 2 ----------------------------------------------------------------------

#: The trial attributes in which version 1 kept a cross-validated trial's folds (the
#: drop-ins wrote all five, ``tunesmith run`` the three it measured).
V1_FOLD_KEYS = ("test_scores", "train_scores", "fit_time", "score_time", "fit_error")


def _add_column(conn: Connection, table: sa.Table, name: str) -> None:
    # DDL takes no bound parameters; the column is rendered from this version's table
    # (type, NOT NULL, default), so a migrated table equals a new one.
    spec = CreateColumn(table.c[name]).compile(dialect=conn.dialect)
    conn.exec_driver_sql(f"ALTER TABLE {table.name} ADD COLUMN {spec}")


def _scores(value: Any) -> dict[str, float] | None:
    """Version 1's scores of one fold: a float (one scorer, named "score") or a dict."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return {"score": float(value)}
    if isinstance(value, Mapping) and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in value.values()
    ):
        return {str(k): float(v) for k, v in value.items()}
    return None


def v1_folds(attrs: Mapping[str, Any]) -> list[FoldRecord] | None:
    """The fold records in a version-1 trial's (decoded) attributes, or None.

    None unless the attributes have exactly the shape the drop-ins and the CLI wrote:
    lists of one length for ``test_scores``, ``fit_time``, ``score_time`` (and, when
    present, ``fit_error`` and ``train_scores``). Anything else is a user's attribute
    that merely shares a name, and stays where it is.
    """
    test_scores, train_scores = attrs.get("test_scores"), attrs.get("train_scores")
    fit_time, score_time = attrs.get("fit_time"), attrs.get("score_time")
    fit_error = attrs.get("fit_error")
    if not (
        isinstance(test_scores, list) and isinstance(fit_time, list)
        and isinstance(score_time, list)
    ):
        return None
    n = len(fit_time)
    optional = [column for column in (train_scores, fit_error) if column is not None]
    if n == 0 or any(len(column) != n for column in (test_scores, fit_time, score_time, *optional)):
        return None
    times = fit_time + score_time
    if not all(isinstance(t, (int, float)) and not isinstance(t, bool) and math.isfinite(t)
               for t in times):
        return None
    errors = fit_error or [None] * n
    if not all(e is None or isinstance(e, str) for e in errors):
        return None
    folds = []
    for k in range(n):
        test = _scores(test_scores[k])
        train = None if train_scores is None else _scores(train_scores[k])
        if test is None or (train_scores is not None and train is None):
            return None
        folds.append(FoldRecord(
            fold=k, test_scores=test, train_scores=train, fit_time=float(fit_time[k]),
            score_time=float(score_time[k]), fit_error=errors[k],
        ))
    return folds


def _v1_to_v2(conn: Connection) -> None:
    # The current tables are version 2's. A later version that changes them must give
    # this step a frozen description of version 2, as V1_METADATA is of version 1.
    trials, studies = schema.trials_table, schema.studies_table
    _add_column(conn, trials, "budget")
    _add_column(conn, trials, "seq")
    _add_column(conn, studies, "seq")
    schema.folds_table.create(conn)
    (seq_index,) = (i for i in trials.indexes if i.name == "tunesmith_ix_trials_study_seq")
    seq_index.create(conn)

    # Each study's trials get sequence numbers in number order (numbers are dense from
    # 0, so number + 1), and the study's counter the last of them.
    conn.execute(sa.update(trials).values(seq=trials.c.number + 1))
    last = (
        sa.select(sa.func.coalesce(sa.func.max(trials.c.seq), 0))
        .where(trials.c.study_id == studies.c.study_id)
        .scalar_subquery()
    )
    conn.execute(sa.update(studies).values(seq=last))

    # Fold data moves from attributes to rows: one place for it. LIKE only narrows the
    # rows to decode; v1_folds decides.
    # Rows by position; a Sequence, as mypy cannot unpack SQLAlchemy's variadic Row.
    candidates: Sequence[Sequence[Any]] = conn.execute(
        sa.select(trials.c.trial_id, trials.c.attrs_json).where(
            trials.c.attrs_json.like(sa.bindparam("p_like"))
        ),
        {"p_like": '%"fit_time"%'},
    ).all()
    fold_rows: list[dict[str, Any]] = []
    attrs_rows: list[dict[str, Any]] = []
    for trial_id, attrs_json in candidates:
        attrs = codec.decode_attrs(attrs_json)
        folds = v1_folds(attrs)
        if folds is None:
            continue
        fold_rows.extend(codec.encode_folds(trial_id, folds))
        rest = {key: value for key, value in attrs.items() if key not in V1_FOLD_KEYS}
        attrs_rows.append({
            "p_tid": trial_id,
            "p_attrs": codec.dumps(codec.encode_attrs(rest, f"trial {trial_id}")),
        })
    if fold_rows:
        conn.execute(sa.insert(schema.folds_table), fold_rows)
        conn.execute(
            sa.update(trials)
            .where(trials.c.trial_id == sa.bindparam("p_tid"))
            .values(attrs_json=sa.bindparam("p_attrs")),
            attrs_rows,
        )
    logger.info("schema 1 -> 2: %d trials' folds moved from attributes to tunesmith_folds",
                len(attrs_rows))


#: Every step, oldest first. A new schema version adds one here.
STEPS: list[Step] = [
    Step(1, 2, "trial budget and change sequence; per-fold records in tunesmith_folds "
               "(moved out of trial attributes)", _v1_to_v2),
]


def _path(version: int) -> list[Step] | None:
    """The steps from ``version`` to this schema version, or None when there is none."""
    path = []
    while version < schema.SCHEMA_VERSION:
        step = next((s for s in STEPS if s.from_version == version), None)
        if step is None:
            return None
        path.append(step)
        version = step.to_version
    return path if version == schema.SCHEMA_VERSION else None


def can_migrate(version: int) -> bool:
    """Whether a database at ``version`` can be moved on to this schema version."""
    return version < schema.SCHEMA_VERSION and _path(version) is not None


def migrate(conn: Connection) -> list[Step]:
    """Move the database on to this schema version, in the caller's write transaction.

    Returns the steps run: none when another process migrated it first (looked at again
    under the lock), when it is already current or newer, or when no path exists (the
    version check then refuses it with its message).
    """
    if conn.dialect.name == "postgresql":
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(schema.SCHEMA_LOCK_KEY)))
    found = schema.read_version(conn)
    if found is None:
        return []
    path = _path(found[0])
    if not path:
        return []
    library = schema.library_version()
    for step in path:
        logger.info("migrating the tunesmith database from schema version %d to %d: %s",
                    step.from_version, step.to_version, step.description)
        step.apply(conn)
        conn.execute(sa.insert(schema.version_table).values(
            schema_version=step.to_version, library_version=library,
            created_at=datetime.now(timezone.utc),
        ))
    return path



def open_schema(run: Callable[..., Any], where: str) -> list[Step]:
    """Find tunesmith's tables (creating them in an empty database, migrating an older
    one) and check their version; return the migration steps that ran.

    ``run(work, write=...)`` runs ``work(conn)`` in one transaction.
    """
    found = run(schema.read_version, write=False)
    if found is None:
        try:
            run(schema.create_schema, write=True)
        except sa.exc.DBAPIError:
            # Another process may have created the tables between our look and our
            # CREATE; if the version row is there now, all is well.
            if run(schema.read_version, write=False) is None:
                raise
        found = run(schema.read_version, write=False)
        if found is None:  # pragma: no cover - create_schema writes it
            raise StorageError(f"could not create tunesmith's tables in {where}")
    steps: list[Step] = []
    if can_migrate(found[0]):
        # One write transaction for every step; another process may have done it
        # meanwhile, which migrate sees under the lock (then it does nothing).
        steps = run(migrate, write=True)
        found = run(schema.read_version, write=False) or found
    schema.check_version(found, where)
    return steps
