"""forms, submissions, typed answers, trainee cycle, screening cases

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

import storage.types

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "form_draft",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("form_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("form_version", sa.Integer(), nullable=False),
        sa.Column(
            "context",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("position", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
        sa.Column("reviewing", sa.Boolean(), nullable=False),
        sa.Column(
            "answers",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "pending",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("revises_id", sa.Integer(), nullable=True),
        sa.Column("created_at", storage.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", storage.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("form_draft", schema=None) as batch_op:
        batch_op.create_index("ix_form_draft_person_status", ["person_id", "status"], unique=False)

    op.create_table(
        "form_submission",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("draft_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("form_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("form_version", sa.Integer(), nullable=False),
        sa.Column(
            "context",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "answers",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("supersedes_id", sa.Integer(), nullable=True),
        sa.Column("current", sa.Boolean(), nullable=False),
        sa.Column("submitted_by", sa.Integer(), nullable=False),
        sa.Column("submitted_at", storage.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["draft_id"],
            ["form_draft.id"],
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["supersedes_id"],
            ["form_submission.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("draft_id"),
    )
    with op.batch_alter_table("form_submission", schema=None) as batch_op:
        batch_op.create_index(
            "ix_form_submission_person_form", ["person_id", "form_id"], unique=False
        )

    op.create_table(
        "trainee_cycle",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("programme", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=True),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("step", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("updated_at", storage.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institution.id"],
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("person_id", "programme", "institution_id"),
    )
    op.create_table(
        "cycle_transition",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cycle_id", sa.Integer(), nullable=False),
        sa.Column("from_state", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True),
        sa.Column("to_state", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("at", storage.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["cycle_id"],
            ["trainee_cycle.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("cycle_transition", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_cycle_transition_cycle_id"), ["cycle_id"], unique=False
        )

    op.create_table(
        "form_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("form_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("question_id", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("choice", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("number", sa.Float(), nullable=True),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("day", sa.Date(), nullable=True),
        sa.Column("flag", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["form_submission.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("form_answer", schema=None) as batch_op:
        batch_op.create_index(
            "ix_form_answer_question", ["form_id", "question_id", "choice"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_form_answer_submission_id"), ["submission_id"], unique=False
        )

    op.create_table(
        "screening_case",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=True),
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.Column("appendix_id", sa.Integer(), nullable=True),
        sa.Column("recommended", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column(
            "reasons",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("decided", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", storage.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("override_reason", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("created_at", storage.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["appendix_id"],
            ["form_submission.id"],
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institution.id"],
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["form_submission.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("screening_case", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_screening_case_person_id"), ["person_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("screening_case", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_screening_case_person_id"))

    op.drop_table("screening_case")
    with op.batch_alter_table("form_answer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_form_answer_submission_id"))
        batch_op.drop_index("ix_form_answer_question")

    op.drop_table("form_answer")
    with op.batch_alter_table("cycle_transition", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cycle_transition_cycle_id"))

    op.drop_table("cycle_transition")
    op.drop_table("trainee_cycle")
    with op.batch_alter_table("form_submission", schema=None) as batch_op:
        batch_op.drop_index("ix_form_submission_person_form")

    op.drop_table("form_submission")
    with op.batch_alter_table("form_draft", schema=None) as batch_op:
        batch_op.drop_index("ix_form_draft_person_status")

    op.drop_table("form_draft")
