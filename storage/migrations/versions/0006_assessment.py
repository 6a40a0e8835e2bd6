"""assessment: class stages, scorer draws, scoring assignments, conflicts, results, coaching

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

import storage.types

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "scorer_conflict",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scorer_id", sa.Integer(), nullable=False),
        sa.Column("trainee_id", sa.Integer(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("created_at", storage.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["scorer_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["trainee_id"],
            ["person.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("scorer_id", "trainee_id"),
    )
    with op.batch_alter_table("scorer_conflict", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_scorer_conflict_trainee_id"), ["trainee_id"], unique=False
        )

    op.create_table(
        "assessment_result",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.Column("trainee_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("final", sa.Float(), nullable=False),
        sa.Column("plan_complete", sa.Boolean(), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("created_at", storage.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["class_id"],
            ["training_class.id"],
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["form_submission.id"],
        ),
        sa.ForeignKeyConstraint(
            ["trainee_id"],
            ["person.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("class_id", "trainee_id", "round"),
    )
    with op.batch_alter_table("assessment_result", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_assessment_result_class_id"), ["class_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_assessment_result_trainee_id"), ["trainee_id"], unique=False
        )

    op.create_table(
        "coaching_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.Column("trainee_id", sa.Integer(), nullable=False),
        sa.Column("teacher_id", sa.Integer(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("notes", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("created_at", storage.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["class_id"],
            ["training_class.id"],
        ),
        sa.ForeignKeyConstraint(
            ["teacher_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["trainee_id"],
            ["person.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("coaching_session", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_coaching_session_class_id"), ["class_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_coaching_session_trainee_id"), ["trainee_id"], unique=False
        )

    op.create_table(
        "scorer_draw",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("k", sa.Integer(), nullable=False),
        sa.Column(
            "regions",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("shortfall", sa.Integer(), nullable=False),
        sa.Column("drawn_by", sa.Integer(), nullable=True),
        sa.Column("created_at", storage.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["class_id"],
            ["training_class.id"],
        ),
        sa.ForeignKeyConstraint(
            ["drawn_by"],
            ["person.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("scorer_draw", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_scorer_draw_class_id"), ["class_id"], unique=False)

    op.create_table(
        "trainee_assessment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("stage", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("updated_at", storage.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["class_id"],
            ["training_class.id"],
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("class_id", "person_id"),
    )
    with op.batch_alter_table("trainee_assessment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_trainee_assessment_person_id"), ["person_id"], unique=False
        )
        batch_op.create_index("ix_trainee_assessment_stage", ["stage", "class_id"], unique=False)

    op.create_table(
        "scoring_assignment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("draw_id", sa.Integer(), nullable=True),
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.Column("trainee_id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("plan_submission_id", sa.Integer(), nullable=True),
        sa.Column("scorer_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("deadline", storage.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("reminded_at", storage.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column(
            "scores",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("total", sa.Integer(), nullable=True),
        sa.Column("comment", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("plan_complete", sa.Boolean(), nullable=True),
        sa.Column("plan_comment", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("decline_reason", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("created_at", storage.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", storage.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("done_at", storage.types.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["class_id"],
            ["training_class.id"],
        ),
        sa.ForeignKeyConstraint(
            ["draw_id"],
            ["scorer_draw.id"],
        ),
        sa.ForeignKeyConstraint(
            ["plan_submission_id"],
            ["form_submission.id"],
        ),
        sa.ForeignKeyConstraint(
            ["scorer_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["form_submission.id"],
        ),
        sa.ForeignKeyConstraint(
            ["trainee_id"],
            ["person.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("scoring_assignment", schema=None) as batch_op:
        batch_op.create_index("ix_scoring_assignment_due", ["status", "deadline"], unique=False)
        batch_op.create_index("ix_scoring_assignment_scorer", ["scorer_id", "status"], unique=False)
        batch_op.create_index(
            "ix_scoring_assignment_trainee", ["class_id", "trainee_id", "round"], unique=False
        )

    with op.batch_alter_table("training_class", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("stage", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=True)
        )
        batch_op.add_column(
            sa.Column("stage_at", storage.types.UtcDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index(batch_op.f("ix_training_class_stage"), ["stage"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("training_class", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_training_class_stage"))
        batch_op.drop_column("stage_at")
        batch_op.drop_column("stage")

    with op.batch_alter_table("scoring_assignment", schema=None) as batch_op:
        batch_op.drop_index("ix_scoring_assignment_trainee")
        batch_op.drop_index("ix_scoring_assignment_scorer")
        batch_op.drop_index("ix_scoring_assignment_due")

    op.drop_table("scoring_assignment")
    with op.batch_alter_table("trainee_assessment", schema=None) as batch_op:
        batch_op.drop_index("ix_trainee_assessment_stage")
        batch_op.drop_index(batch_op.f("ix_trainee_assessment_person_id"))

    op.drop_table("trainee_assessment")
    with op.batch_alter_table("scorer_draw", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scorer_draw_class_id"))

    op.drop_table("scorer_draw")
    with op.batch_alter_table("coaching_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coaching_session_trainee_id"))
        batch_op.drop_index(batch_op.f("ix_coaching_session_class_id"))

    op.drop_table("coaching_session")
    with op.batch_alter_table("assessment_result", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assessment_result_trainee_id"))
        batch_op.drop_index(batch_op.f("ix_assessment_result_class_id"))

    op.drop_table("assessment_result")
    with op.batch_alter_table("scorer_conflict", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scorer_conflict_trainee_id"))

    op.drop_table("scorer_conflict")
