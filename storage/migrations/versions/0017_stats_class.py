"""statistics: per closed class, its figures' tallies (kept, renewed daily)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import storage.types

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stats_class",
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.Column(
            "tallies",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("computed_at", storage.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["class_id"], ["training_class.id"]),
        sa.PrimaryKeyConstraint("class_id"),
    )
    op.create_index("ix_stats_class_computed_at", "stats_class", ["computed_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_stats_class_computed_at", table_name="stats_class")
    op.drop_table("stats_class")
