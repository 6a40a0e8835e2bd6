"""feedback requests: the daily feedback, mid-term and final evaluations each person owes

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "feedback_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("form_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("opens_at", storage.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("closes_at", storage.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=True),
        sa.Column("answered_at", storage.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("created_at", storage.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["class_id"],
            ["training_class.id"],
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["form_submission.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("class_id", "kind", "day", "person_id"),
    )
    with op.batch_alter_table("feedback_request", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_feedback_request_class_id"), ["class_id"], unique=False
        )
        batch_op.create_index("ix_feedback_request_due", ["kind", "opens_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_feedback_request_person_id"), ["person_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("feedback_request", schema=None) as batch_op:
        batch_op.drop_index("ix_feedback_request_due")
        batch_op.drop_index(batch_op.f("ix_feedback_request_person_id"))
        batch_op.drop_index(batch_op.f("ix_feedback_request_class_id"))

    op.drop_table("feedback_request")
