"""The SQL storage's tables, the statements run on them, and the schema-version check.

Every value column holds JSON text (see :mod:`tunesmith.storage._sql_json`) or a plain
number, never a pickle. Every table and index is named ``tunesmith_...`` so that
tunesmith can share a database with other tools (Optuna and MLflow both own a table
called ``alembic_version``).
"""

from __future__ import annotations

from datetime import datetime, timezone
from importlib import metadata as importlib_metadata
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Dialect

from tunesmith.exceptions import SchemaVersionError

__all__ = [
    "RUNNING",
    "SCHEMA_LOCK_KEY",
    "SCHEMA_VERSION",
    "Statements",
    "check_version",
    "create_schema",
    "library_version",
    "read_version",
]

#: Bump on any change to the tables below, and add the step that moves a database on
#: to :mod:`tunesmith.storage._sql_migrate`.
SCHEMA_VERSION = 2

#: Key of the PostgreSQL advisory lock that serialises table creation and migration, so
#: that workers starting at the same moment do not race on CREATE or ALTER TABLE.
SCHEMA_LOCK_KEY = 0x7475_6E65  # "tune"


class UTCDateTime(sa.TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend.

    PostgreSQL keeps a ``timestamptz``. SQLite has no date type: there it is ISO 8601
    text with its ``+00:00``, which sorts in time order, reads well in any SQLite
    browser, and parses with ``datetime.fromisoformat`` several times faster than
    SQLAlchemy's generic SQLite datetime parsing (it matters for reading 10k trials).
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(sa.String(32))
        return dialect.type_descriptor(sa.DateTime(timezone=True))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:  # naive datetimes are taken to be UTC already
            value = value.replace(tzinfo=timezone.utc)
        value = value.astimezone(timezone.utc)
        return value.isoformat(timespec="microseconds") if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            return datetime.fromisoformat(value)
        return value.astimezone(timezone.utc)


metadata = sa.MetaData()

version_table = sa.Table(
    "tunesmith_version",
    metadata,
    sa.Column("schema_version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("library_version", sa.String, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

studies_table = sa.Table(
    "tunesmith_studies",
    metadata,
    sa.Column("study_id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String, nullable=False),
    sa.Column("direction", sa.String(16), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    # The study's change sequence: bumped by every write that changes one of its trials
    # (not by heartbeats), and stamped on that trial as its ``seq`` (see Statements).
    sa.Column("seq", sa.BigInteger, nullable=False, server_default=sa.text("0")),
    sa.UniqueConstraint("name", name="tunesmith_uq_studies_name"),
    # AUTOINCREMENT: never hand a deleted study's id to a new one, so that a stale
    # worker cannot write into a study that merely reuses the number.
    sqlite_autoincrement=True,
)

study_attrs_table = sa.Table(
    "tunesmith_study_attrs",
    metadata,
    sa.Column(
        "study_id",
        sa.Integer,
        sa.ForeignKey("tunesmith_studies.study_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    # One row per key, so that two workers setting different keys never overwrite
    # each other (a single JSON column would need read-modify-write).
    sa.Column("key", sa.String, primary_key=True),
    sa.Column("value_json", sa.Text, nullable=False),
)

trials_table = sa.Table(
    "tunesmith_trials",
    metadata,
    sa.Column("trial_id", sa.Integer, primary_key=True),
    sa.Column(
        "study_id",
        sa.Integer,
        sa.ForeignKey("tunesmith_studies.study_id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("number", sa.Integer, nullable=False),
    # BigInteger: a grid is indexed without being built, and may pass 2**31 points.
    sa.Column("candidate", sa.BigInteger, nullable=True),
    sa.Column("state", sa.String(16), nullable=False),
    # ``value`` holds finite values only; NaN and +-inf go to ``value_special``.
    # SQLite turns NaN into NULL, and an infinity would win every MIN/MAX that
    # list_studies computes in SQL.
    sa.Column("value", sa.Double, nullable=True),
    sa.Column("value_special", sa.String(8), nullable=True),
    sa.Column("params_json", sa.Text, nullable=False),
    sa.Column("dimensions_json", sa.Text, nullable=False),
    sa.Column("attrs_json", sa.Text, nullable=False),
    sa.Column("message", sa.Text, nullable=True),
    sa.Column("owner", sa.String, nullable=True),
    sa.Column("started_at", UTCDateTime, nullable=True),
    sa.Column("finished_at", UTCDateTime, nullable=True),
    sa.Column("heartbeat_at", UTCDateTime, nullable=True),
    # The resource the trial was evaluated with (samples, epochs...), for halving.
    sa.Column("budget", sa.Double, nullable=True),
    # The study's sequence number at the trial's last change: "seq > n" is what
    # changed since a reader last looked. The default only fills rows that predate it.
    sa.Column("seq", sa.BigInteger, nullable=False, server_default=sa.text("0")),
    # The study's trials by number: numbering (MAX+1) and ordered reads use it, and
    # it makes a duplicate number impossible whatever the isolation level.
    sa.UniqueConstraint("study_id", "number", name="tunesmith_uq_trials_number"),
    # A grid point is claimed once: NULL candidates never collide (SQL NULL semantics).
    sa.UniqueConstraint("study_id", "candidate", name="tunesmith_uq_trials_candidate"),
    # Looking for RUNNING trials to take over stays cheap at 100k finished trials.
    sa.Index("tunesmith_ix_trials_study_state", "study_id", "state"),
    # Incremental reads: the trials of a study changed after a sequence number.
    sa.Index("tunesmith_ix_trials_study_seq", "study_id", "seq"),
    sqlite_autoincrement=True,
)

trial_values_table = sa.Table(
    "tunesmith_trial_values",
    metadata,
    sa.Column(
        "trial_id",
        sa.Integer,
        sa.ForeignKey("tunesmith_trials.trial_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("step", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("value", sa.Double, nullable=True),  # NULL is NaN: a reported value is a float
)

# One row per cross-validation fold of a trial, typed; scores are JSON objects
# (metric -> float, NaN tagged), written with the trial's finish.
folds_table = sa.Table(
    "tunesmith_folds",
    metadata,
    sa.Column(
        "trial_id",
        sa.Integer,
        sa.ForeignKey("tunesmith_trials.trial_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("fold", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("test_scores_json", sa.Text, nullable=False),
    sa.Column("train_scores_json", sa.Text, nullable=True),
    sa.Column("fit_time", sa.Double, nullable=False),
    sa.Column("score_time", sa.Double, nullable=False),
    sa.Column("fit_error", sa.Text, nullable=True),
    sa.Column("score_error", sa.Text, nullable=True),
)


# -- statements -----------------------------------------------------------------------

RUNNING = "running"


class Statements:
    """Every statement the storage runs, built once with bound parameters (``p_...``).

    Built once, a statement's cache key and compiled SQL are reused by SQLAlchemy;
    building statements per call cost more than running them on SQLite.
    """

    def __init__(self, dialect_name: str) -> None:
        # ON CONFLICT (upsert, claim) is dialect syntax; SQLite and PostgreSQL agree on it.
        insert = pg_insert if dialect_name == "postgresql" else sqlite_insert
        s, a, t, v = studies_table, study_attrs_table, trials_table, trial_values_table
        f = folds_table
        p = sa.bindparam
        now = p("p_now", type_=UTCDateTime())
        sid, tid = p("p_sid", type_=sa.Integer), p("p_tid", type_=sa.Integer)
        seq = p("p_seq", type_=sa.BigInteger)

        # studies
        self.study_by_name = sa.select(s.c.study_id).where(s.c.name == p("p_name"))
        self.study_row = sa.select(s.c.study_id, s.c.name, s.c.direction).where(
            s.c.study_id == sid
        )
        self.insert_study = sa.insert(s).returning(s.c.study_id)
        self.insert_attrs = sa.insert(a)
        # The outer join tells "no such study" (no row) from "no attributes" in one query.
        self.study_attrs = (
            sa.select(s.c.study_id, a.c.key, a.c.value_json)
            .select_from(s.outerjoin(a))
            .where(s.c.study_id == sid)
        )
        upsert = insert(a).values(study_id=sid, key=p("p_key"), value_json=p("p_json"))
        self.set_attr = upsert.on_conflict_do_update(
            index_elements=[a.c.study_id, a.c.key], set_={"value_json": upsert.excluded.value_json}
        )
        complete = sa.and_(t.c.state == "complete", t.c.value.is_not(None))
        self.list_studies = (
            sa.select(
                s.c.study_id, s.c.name, s.c.direction, s.c.created_at,
                sa.func.count(t.c.trial_id),
                sa.func.count(sa.case((complete, 1))),
                sa.func.min(sa.case((complete, t.c.value))),
                sa.func.max(sa.case((complete, t.c.value))),
            )
            .select_from(s.outerjoin(t, t.c.study_id == s.c.study_id))
            .group_by(s.c.study_id, s.c.name, s.c.direction, s.c.created_at)
            .order_by(s.c.study_id)
        )
        # Children first, explicitly: correct even on a connection with SQLite's foreign
        # keys off, where ON DELETE CASCADE would not fire. The study row goes last.
        study_trials = sa.select(t.c.trial_id).where(t.c.study_id == sid)
        self.delete_study = (
            sa.delete(v).where(v.c.trial_id.in_(study_trials)),
            sa.delete(f).where(f.c.trial_id.in_(study_trials)),
            sa.delete(t).where(t.c.study_id == sid),
            sa.delete(a).where(a.c.study_id == sid),
            sa.delete(s).where(s.c.study_id == sid),
        )

        # The change sequence. Every write that changes a trial first bumps its study's
        # counter with UPDATE ... RETURNING and stamps the trial with the new value. The
        # UPDATE holds the study's row lock until commit, so on PostgreSQL transactions
        # commit in seq order, and a reader following "seq > last seen" never skips a
        # write that committed late (a global SEQUENCE hands out numbers without that
        # order). On SQLite, BEGIN IMMEDIATE already serialises writers. The lock also
        # makes concurrent creators of one study take turns, so MAX+1 never collides.
        self.bump = (
            sa.update(s).where(s.c.study_id == sid).values(seq=s.c.seq + 1).returning(s.c.seq)
        )
        # The same for a trial by id, and only while it runs: a finished trial no longer
        # changes, and a no-op finish or report leaves the counter alone.
        running_study = (
            sa.select(t.c.study_id)
            .where(t.c.trial_id == tid, t.c.state == RUNNING)
            .scalar_subquery()
        )
        self.bump_for_trial = (
            sa.update(s)
            .where(s.c.study_id == running_study)
            .values(seq=s.c.seq + 1)
            .returning(s.c.seq)
        )

        # creating trials
        # INSERT ... SELECT of one row, the next number, which WHERE drops when the
        # budget (p_max) is reached: the number and the budget check are one statement,
        # under the study's row lock. Scalar subqueries, not a HAVING over the study's
        # trials: SQLite answers a bare MAX from the index's end, but scans every trial
        # of the study for an aggregate with other columns.
        next_number = (
            sa.select(sa.func.coalesce(sa.func.max(t.c.number) + 1, 0))
            .where(t.c.study_id == sid)
            .scalar_subquery()
        )
        source = sa.select(
            sid, next_number, p("p_candidate", type_=sa.BigInteger), sa.literal(RUNNING),
            p("p_params", type_=sa.Text), p("p_dims", type_=sa.Text), sa.literal("{}"),
            p("p_owner", type_=sa.String), now, now, p("p_budget", type_=sa.Double), seq,
        ).where(next_number < p("p_max", type_=sa.BigInteger))
        new_trial = insert(t).from_select(
            ["study_id", "number", "candidate", "state", "params_json", "dimensions_json",
             "attrs_json", "owner", "started_at", "heartbeat_at", "budget", "seq"],
            source,
        )
        self.create_trial = new_trial.returning(t.c.trial_id, t.c.number)
        # The claim of a grid point: a second trial for it inserts nothing, returns nothing.
        self.claim_trial = new_trial.on_conflict_do_nothing(
            index_elements=[t.c.study_id, t.c.candidate]
        ).returning(t.c.trial_id, t.c.number)
        # Why nothing was inserted: the budget, or (claims) a taken candidate.
        self.next_number = sa.select(next_number)

        # changing trials
        running = sa.update(t).where(t.c.trial_id == tid, t.c.state == RUNNING)
        self.take_over = (
            running.where(t.c.owner == p("p_old"))
            .values(owner=p("p_new"), started_at=now, heartbeat_at=now, seq=seq)
            .returning(*t.c)
        )
        self.clear_values = sa.delete(v).where(v.c.trial_id == tid)
        self.set_params = running.values(
            params_json=p("p_params"), dimensions_json=p("p_dims"), seq=seq
        )
        outcome = {
            "state": p("p_state"),
            "value": p("p_value", type_=sa.Double),
            "value_special": p("p_special"),
            "message": p("p_message"),
            "finished_at": now,
            "seq": seq,
        }
        merged: dict[str, sa.BindParameter[str]] = {  # JSON text
            "params_json": p("p_params"),
            "dimensions_json": p("p_dims"),
            "attrs_json": p("p_attrs"),
        }
        self.finish = running.values(**outcome)
        self.finish_merged = running.values(**outcome, **merged)
        # A trial created bare gets its params at the end: nothing to merge with, so
        # one UPDATE suffices, without reading the row first.
        self.finish_bare = running.where(
            t.c.params_json == "{}", t.c.dimensions_json == "{}", t.c.attrs_json == "{}"
        ).values(**outcome, **merged)
        self.trial_for_merge = (
            sa.select(t.c.state, t.c.params_json, t.c.dimensions_json, t.c.attrs_json)
            .where(t.c.trial_id == tid)
            .with_for_update()
        )
        self.insert_folds = sa.insert(f)
        # A heartbeat changes no seq: it would make every reader re-read running trials.
        self.beat_many = (
            sa.update(t)
            .where(t.c.trial_id.in_(p("p_ids", expanding=True)), t.c.state == RUNNING)
            .values(heartbeat_at=now)
        )
        self.beat_report = running.values(heartbeat_at=now, seq=seq)
        report = insert(v).values(trial_id=tid, step=p("p_step", type_=sa.BigInteger),
                                  value=p("p_value", type_=sa.Double))
        self.report = report.on_conflict_do_update(
            index_elements=[v.c.trial_id, v.c.step], set_={"value": report.excluded.value}
        )

        # reading trials
        self.trial_exists = sa.select(t.c.trial_id).where(t.c.trial_id == tid)
        self.trial_row = sa.select(t).where(t.c.trial_id == tid)
        value_columns = sa.select(v.c.trial_id, v.c.step, v.c.value)
        self.trial_values = value_columns.where(v.c.trial_id == tid).order_by(v.c.step)
        fold_columns = sa.select(
            f.c.trial_id, f.c.fold, f.c.test_scores_json, f.c.train_scores_json, f.c.fit_time,
            f.c.score_time, f.c.fit_error, f.c.score_error,
        )
        self.trial_folds = fold_columns.where(f.c.trial_id == tid).order_by(f.c.fold)
        in_study = t.c.study_id == sid
        in_states = t.c.state.in_(p("p_states", expanding=True))
        changed = t.c.seq > p("p_since", type_=sa.BigInteger)
        self.study_trials = sa.select(t).where(in_study).order_by(t.c.number)
        self.study_trials_in_states = sa.select(t).where(in_study, in_states).order_by(t.c.number)
        joined = value_columns.join(t, t.c.trial_id == v.c.trial_id)
        order = (v.c.trial_id, v.c.step)
        self.study_values = joined.where(in_study).order_by(*order)
        self.study_values_in_states = joined.where(in_study, in_states).order_by(*order)
        self.study_values_changed = joined.where(in_study, changed).order_by(*order)
        folds_joined = fold_columns.join(t, t.c.trial_id == f.c.trial_id)
        fold_order = (f.c.trial_id, f.c.fold)
        self.study_folds = folds_joined.where(in_study).order_by(*fold_order)
        self.study_folds_in_states = folds_joined.where(in_study, in_states).order_by(*fold_order)
        self.study_folds_changed = folds_joined.where(in_study, changed).order_by(*fold_order)
        # The study's sequence number and its trials changed since p_since, in one
        # statement: one snapshot on PostgreSQL too, so the number returned never runs
        # ahead of the rows returned. The outer join gives a row (of NULLs) when nothing
        # changed, and none when there is no such study. No ORDER BY (the caller sorts
        # the few rows): with one, SQLite walks the (study, number) index through every
        # trial of the study instead of the seq index through the changed ones.
        self.changed_trials = (
            sa.select(s.c.seq, t)
            .select_from(s.outerjoin(t, sa.and_(t.c.study_id == s.c.study_id, changed)))
            .where(s.c.study_id == sid)
        )
        self.candidates = sa.select(t.c.candidate).where(in_study, t.c.candidate.is_not(None))


# -- schema version -----------------------------------------------------------------


def library_version() -> str:
    try:
        return importlib_metadata.version("tunesmith")
    except importlib_metadata.PackageNotFoundError:  # running from a source tree
        return "unknown"


def read_version(conn: Connection) -> tuple[int, str] | None:
    """The (schema version, library version) a database was created with; None if new."""
    if not sa.inspect(conn).has_table(version_table.name):
        return None
    row = conn.execute(
        sa.select(version_table.c.schema_version, version_table.c.library_version)
        .order_by(version_table.c.schema_version.desc())
        .limit(1)
    ).first()
    return None if row is None else (int(row[0]), str(row[1]))


def create_schema(conn: Connection) -> None:
    """Create the tables if missing and record the schema version, in the caller's
    write transaction.

    Safe when several processes start at once: on SQLite the caller's ``BEGIN
    IMMEDIATE`` and on PostgreSQL an advisory lock let one creator in at a time, and
    the others then find the tables there (``checkfirst``).
    """
    if conn.dialect.name == "postgresql":
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(SCHEMA_LOCK_KEY)))
    metadata.create_all(conn, checkfirst=True)
    if conn.execute(sa.select(sa.func.count()).select_from(version_table)).scalar_one() == 0:
        conn.execute(
            sa.insert(version_table).values(
                schema_version=SCHEMA_VERSION,
                library_version=library_version(),
                created_at=datetime.now(timezone.utc),
            )
        )


def check_version(found: tuple[int, str], where: str) -> None:
    """Raise SchemaVersionError unless the database has this tunesmith's schema."""
    version, written_by = found
    if version == SCHEMA_VERSION:
        return
    head = (
        f"the database {where} has tunesmith schema version {version} (written by "
        f"tunesmith {written_by}), but this tunesmith ({library_version()}) expects "
        f"schema version {SCHEMA_VERSION}. "
    )
    if version > SCHEMA_VERSION:
        fix = (
            "It was written by a newer tunesmith: upgrade with "
            "`pip install -U tunesmith`, or use another database."
        )
    else:
        fix = (
            f"It was written by an older tunesmith: open it with that release "
            f"(`pip install 'tunesmith=={written_by}'`), or start a new database file; "
            "no automatic upgrade exists for this version."
        )
    raise SchemaVersionError(head + fix)
