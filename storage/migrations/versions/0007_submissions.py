"""submissions: one learner's later deadline for the practice results and business plan

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "submission_extension",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("until", storage.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("granted_by", sa.Integer(), nullable=False),
        sa.Column("granted_at", storage.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["class_id"], ["training_class.id"]),
        sa.ForeignKeyConstraint(["granted_by"], ["person.id"]),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_submission_extension_class_person",
        "submission_extension",
        ["class_id", "person_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_submission_extension_class_person", table_name="submission_extension")
    op.drop_table("submission_extension")
