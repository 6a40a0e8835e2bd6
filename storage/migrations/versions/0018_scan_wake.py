"""scan wake: when each class-day scan next has work for a class, kept by triggers;
feedback_request loses its class_id index (the unique index's prefix serves it);
followup_class gets next_wave_at; training_class's stage index gains stage_at

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02
"""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCANS = ("feedback", "daysum", "fbsum", "followup", "assess")
"""As `storage.wake.SCANS` when this migration was written (a migration does not import the
code it migrates for)."""
LIVE = timedelta(days=15)
"""Classes with a session ending after this long ago are woken once at upgrade; the scans
look no further back (feedback: 14 days). Classes not in follow-up yet are woken for it, whatever
their age."""

# What the triggers watch: anything a class-day scan computes its work from, except the work
# it queues itself. A timetable change, a check-in opened or closed, a mark (a late "present"
# is a new person to ask), a teacher added, the class approved, closed or moved in time.
WATCHED = (
    ("class_session", "INSERT", None, "NEW.class_id"),
    ("class_session", "UPDATE", None, "NEW.class_id"),
    ("class_session", "DELETE", None, "OLD.class_id"),
    (
        "attendance_mark",
        "INSERT",
        None,
        "(SELECT class_id FROM class_session WHERE id = NEW.session_id)",
    ),
    (
        "attendance_mark",
        "UPDATE",
        None,
        "(SELECT class_id FROM class_session WHERE id = NEW.session_id)",
    ),
    ("class_teacher", "INSERT", None, "NEW.class_id"),
    ("training_class", "UPDATE", "status, programme, timezone", "NEW.id"),
)


def _sqlite_touch(class_id: str) -> str:
    rows = ", ".join(f"('{scan}', {class_id}, '1970-01-01 00:00:00.000000', 1)" for scan in SCANS)
    return (
        f"INSERT INTO scan_wake (scan, class_id, wake_at, touched) SELECT * FROM (VALUES {rows})"
        " WHERE true ON CONFLICT (scan, class_id) DO UPDATE"
        " SET wake_at = excluded.wake_at, touched = scan_wake.touched + 1;"
    )


def upgrade() -> None:
    op.create_table(
        "scan_wake",
        sa.Column("scan", sa.String(length=20), nullable=False),
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.Column("wake_at", storage.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("touched", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["class_id"], ["training_class.id"]),
        sa.PrimaryKeyConstraint("scan", "class_id"),
    )
    op.create_index("ix_scan_wake_due", "scan_wake", ["scan", "wake_at"], unique=False)
    op.drop_index("ix_feedback_request_class_id", table_name="feedback_request")
    op.drop_index("ix_training_class_stage", table_name="training_class")
    op.create_index("ix_training_class_stage", "training_class", ["stage", "stage_at"])
    op.add_column(
        "followup_class",
        sa.Column("next_wave_at", storage.types.UtcDateTime(timezone=True), nullable=True),
    )
    op.execute("UPDATE followup_class SET next_wave_at = ended_at")
    op.create_index(
        "ix_followup_class_next_wave",
        "followup_class",
        ["next_wave_at"],
        sqlite_where=sa.text("done = false"),
        postgresql_where=sa.text("done = false"),
    )
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_triggers()
    else:
        _sqlite_triggers()
    _wake_live_classes()


def _sqlite_triggers() -> None:
    for table, event, columns, class_id in WATCHED:
        of = f" OF {columns}" if columns else ""
        op.execute(
            f"CREATE TRIGGER wake_{table}_{event.lower()} AFTER {event}{of} ON {table}"
            f" FOR EACH ROW BEGIN {_sqlite_touch(class_id)} END"
        )


def _postgresql_triggers() -> None:
    scans = "ARRAY[" + ", ".join(f"'{scan}'" for scan in SCANS) + "]"
    op.execute(
        "CREATE FUNCTION scan_wake_touch(touched_ids integer[]) RETURNS void"
        " LANGUAGE sql AS $$"
        " INSERT INTO scan_wake (scan, class_id, wake_at, touched)"
        f" SELECT s, c, 'epoch'::timestamptz, 1 FROM unnest({scans}) AS s,"
        " (SELECT DISTINCT c FROM unnest(touched_ids) AS c WHERE c IS NOT NULL) AS ids"
        " ORDER BY 2, 1"
        " ON CONFLICT (scan, class_id) DO UPDATE"
        " SET wake_at = excluded.wake_at, touched = scan_wake.touched + 1 $$"
    )
    # Statement triggers with transition tables: a COPY or a multi-row insert touches each
    # class once, not once a row.
    for table, event, columns, class_id in WATCHED:
        name = f"wake_{table}_{event.lower()}"
        if columns:
            # UPDATE OF columns cannot have transition tables: such a trigger runs per row.
            op.execute(
                f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$"
                f" BEGIN PERFORM scan_wake_touch(ARRAY[{class_id}]); RETURN NULL; END $$"
            )
            op.execute(
                f"CREATE TRIGGER {name} AFTER {event} OF {columns} ON {table}"
                f" FOR EACH ROW EXECUTE FUNCTION {name}()"
            )
            continue
        rows, changed = ("OLD", "gone") if event == "DELETE" else ("NEW", "changed")
        ids = class_id.replace(f"{rows}.", "r.")
        op.execute(
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$"
            f" BEGIN PERFORM scan_wake_touch(ARRAY(SELECT {ids} FROM {changed} AS r));"
            " RETURN NULL; END $$"
        )
        op.execute(
            f"CREATE TRIGGER {name} AFTER {event} ON {table}"
            f" REFERENCING {rows} TABLE AS {changed}"
            f" FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
        )


def _wake_live_classes() -> None:
    since = datetime.now(UTC) - LIVE
    live = sa.text(
        "SELECT DISTINCT class_id FROM class_session WHERE ends_at > :since ORDER BY class_id"
    ).bindparams(sa.bindparam("since", since, type_=storage.types.UtcDateTime(timezone=True)))
    class_ids = [row[0] for row in op.get_bind().execute(live)]
    unregistered = sa.text(
        "SELECT id FROM training_class WHERE id NOT IN (SELECT class_id FROM followup_class)"
        " ORDER BY id"
    )
    followup = [row[0] for row in op.get_bind().execute(unregistered)]
    table = sa.table(
        "scan_wake",
        sa.column("scan", sa.String),
        sa.column("class_id", sa.Integer),
        sa.column("wake_at", storage.types.UtcDateTime(timezone=True)),
        sa.column("touched", sa.Integer),
    )
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    rows = [
        {"scan": scan, "class_id": class_id, "wake_at": epoch, "touched": 1}
        for class_id in class_ids
        for scan in SCANS
        if scan != "followup"
    ] + [
        {"scan": "followup", "class_id": class_id, "wake_at": epoch, "touched": 1}
        for class_id in followup
    ]
    if rows:
        op.bulk_insert(table, rows)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table, event, _, _ in WATCHED:
            op.execute(f"DROP TRIGGER wake_{table}_{event.lower()} ON {table}")
            op.execute(f"DROP FUNCTION wake_{table}_{event.lower()}()")
        op.execute("DROP FUNCTION scan_wake_touch(integer[])")
    else:
        for table, event, _, _ in WATCHED:
            op.execute(f"DROP TRIGGER wake_{table}_{event.lower()}")
    op.create_index("ix_feedback_request_class_id", "feedback_request", ["class_id"])
    op.drop_index("ix_training_class_stage", table_name="training_class")
    op.create_index("ix_training_class_stage", "training_class", ["stage"])
    op.drop_index("ix_followup_class_next_wave", table_name="followup_class")
    with op.batch_alter_table("followup_class") as batch:
        batch.drop_column("next_wave_at")
    op.drop_index("ix_scan_wake_due", table_name="scan_wake")
    op.drop_table("scan_wake")
