"""follow-up: tracking survey schedules, classes in follow-up, surveys per trainee and wave, stops

Revision ID: 0012
Revises: 0010
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

import storage.types

revision: str = "0012"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ACTIVE = sa.text("done = false")
_OPEN = sa.text(
    "answered_at IS NULL AND closed_at IS NULL AND stopped = false AND sent_at IS NOT NULL"
)
_TO_CALL = sa.text("answered_at IS NULL AND stopped = false AND call_outcome IS NULL")


def upgrade() -> None:
    op.create_table(
        "followup_schedule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("class_id", sa.Integer(), nullable=True),
        sa.Column(
            "months",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.Column("updated_at", storage.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["class_id"], ["training_class.id"]),
        sa.ForeignKeyConstraint(["institution_id"], ["institution.id"]),
        sa.ForeignKeyConstraint(["updated_by"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_followup_schedule_institution",
        "followup_schedule",
        ["institution_id", "class_id"],
        unique=False,
    )
    op.create_table(
        "followup_class",
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("ended_at", storage.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("timezone", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("waves_sent", sa.Integer(), nullable=False),
        sa.Column("done", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["class_id"], ["training_class.id"]),
        sa.ForeignKeyConstraint(["institution_id"], ["institution.id"]),
        sa.PrimaryKeyConstraint("class_id"),
    )
    op.create_index(
        "ix_followup_class_active",
        "followup_class",
        ["class_id"],
        sqlite_where=_ACTIVE,
        postgresql_where=_ACTIVE,
    )
    op.create_index("ix_followup_class_institution", "followup_class", ["institution_id"])
    op.create_table(
        "followup_survey",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("wave", sa.Integer(), nullable=False),
        sa.Column("months", sa.Integer(), nullable=False),
        sa.Column("sent_at", storage.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("stopped", sa.Boolean(), nullable=False),
        sa.Column("reminders", sa.Integer(), nullable=False),
        sa.Column("closed_at", storage.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("answered_at", storage.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("submission_id", sa.Integer(), nullable=True),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("via_phone", sa.Boolean(), nullable=False),
        sa.Column("undelivered", sa.Boolean(), nullable=False),
        sa.Column("call_outcome", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=True),
        sa.Column("called_at", storage.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("called_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["called_by"], ["person.id"]),
        sa.ForeignKeyConstraint(["class_id"], ["training_class.id"]),
        sa.ForeignKeyConstraint(["institution_id"], ["institution.id"]),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["submission_id"], ["form_submission.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("class_id", "wave", "person_id"),
    )
    op.create_index(
        op.f("ix_followup_survey_person_id"), "followup_survey", ["person_id"], unique=False
    )
    op.create_index("ix_followup_survey_institution", "followup_survey", ["institution_id", "wave"])
    op.create_index(
        "ix_followup_survey_open",
        "followup_survey",
        ["sent_at"],
        sqlite_where=_OPEN,
        postgresql_where=_OPEN,
    )
    op.create_index(
        "ix_followup_survey_to_call",
        "followup_survey",
        ["institution_id", "sent_at"],
        sqlite_where=_TO_CALL,
        postgresql_where=_TO_CALL,
    )
    op.create_table(
        "followup_stop",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("stopped_at", storage.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("person_id"),
    )


def downgrade() -> None:
    op.drop_table("followup_stop")
    op.drop_index("ix_followup_survey_to_call", table_name="followup_survey")
    op.drop_index("ix_followup_survey_open", table_name="followup_survey")
    op.drop_index("ix_followup_survey_institution", table_name="followup_survey")
    op.drop_index(op.f("ix_followup_survey_person_id"), table_name="followup_survey")
    op.drop_table("followup_survey")
    op.drop_index("ix_followup_class_institution", table_name="followup_class")
    op.drop_index("ix_followup_class_active", table_name="followup_class")
    op.drop_table("followup_class")
    op.drop_index("ix_followup_schedule_institution", table_name="followup_schedule")
    op.drop_table("followup_schedule")
