"""indexes for every scan and claim, pictures stored once (media_blob), outbox retention

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING = sa.text("status = 'pending'")
SENDING = sa.text("status = 'sending'")
MEDIA = sa.text("media_sha256 IS NOT NULL")
FINISHED = sa.text("status IN ('sent', 'blocked', 'failed', 'expired')")
CHECKIN_OPEN = sa.text("checkin_opened_at IS NOT NULL AND checkin_closed_at IS NULL")


def _partial(name: str, table: str, columns: list[str], where: sa.TextClause) -> None:
    op.create_index(name, table, columns, sqlite_where=where, postgresql_where=where)


def upgrade() -> None:
    op.create_table(
        "media_blob",
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", storage.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sha256"),
    )
    op.add_column(
        "outbox",
        sa.Column("media_sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    )
    op.drop_index("ix_outbox_due", table_name="outbox")
    _partial("ix_outbox_pending", "outbox", ["not_before", "id"], PENDING)
    _partial("ix_outbox_sending", "outbox", ["lease_until"], SENDING)
    _partial("ix_outbox_media", "outbox", ["media_sha256"], MEDIA)
    _partial("ix_outbox_finished", "outbox", ["created_at", "id"], FINISHED)
    op.create_index(
        "ix_outbox_key_prefix", "outbox", ["key"], postgresql_ops={"key": "varchar_pattern_ops"}
    )
    _partial("ix_class_session_checkin_open", "class_session", ["starts_at"], CHECKIN_OPEN)
    op.create_index("ix_trainee_cycle_institution", "trainee_cycle", ["institution_id", "id"])
    op.create_index("ix_rolegrant_institution_role", "rolegrant", ["institution_id", "role"])


def downgrade() -> None:
    op.drop_index("ix_rolegrant_institution_role", table_name="rolegrant")
    op.drop_index("ix_trainee_cycle_institution", table_name="trainee_cycle")
    op.drop_index("ix_class_session_checkin_open", table_name="class_session")
    op.drop_index("ix_outbox_finished", table_name="outbox")
    op.drop_index("ix_outbox_key_prefix", table_name="outbox")
    op.drop_index("ix_outbox_media", table_name="outbox")
    op.drop_index("ix_outbox_sending", table_name="outbox")
    op.drop_index("ix_outbox_pending", table_name="outbox")
    op.create_index("ix_outbox_due", "outbox", ["status", "not_before"])
    with op.batch_alter_table("outbox") as batch_op:
        batch_op.drop_column("media_sha256")
    op.drop_table("media_blob")
