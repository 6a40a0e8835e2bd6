"""web console: one-time sign-in links and console sessions (both stored hashed), and the
index its trainee search reads

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "console_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("created_at", storage.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", storage.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("used_at", storage.types.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_console_link_person_id", "console_link", ["person_id"], unique=False)
    op.create_table(
        "console_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("id_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("created_at", storage.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", storage.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", storage.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", storage.types.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("id_hash"),
    )
    op.create_index("ix_console_session_person_id", "console_session", ["person_id"], unique=False)

    op.create_index(
        "ix_form_answer_person_lookup",
        "form_answer",
        ["question_id", "text", "form_id", "submission_id"],
        unique=False,
        sqlite_where=sa.text("question_id IN ('name', 'id_number', 'mobile')"),
        postgresql_where=sa.text("question_id IN ('name', 'id_number', 'mobile')"),
    )


def downgrade() -> None:
    op.drop_index("ix_form_answer_person_lookup", table_name="form_answer")
    op.drop_index("ix_console_session_person_id", table_name="console_session")
    op.drop_table("console_session")
    op.drop_index("ix_console_link_person_id", table_name="console_link")
    op.drop_table("console_link")
