"""certificates, classes, timetable sessions, enrolment, attendance, leave, the outbox

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

import storage.types

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("method", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column(
            "payload",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("not_before", storage.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", storage.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("lease_until", storage.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("leased_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("created_at", storage.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", storage.types.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_due", ["status", "not_before"], unique=False)
        batch_op.create_index(batch_op.f("ix_outbox_person_id"), ["person_id"], unique=False)

    op.create_table(
        "training_class",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("venue_address", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("venue_lat", sa.Float(), nullable=True),
        sa.Column("venue_lon", sa.Float(), nullable=True),
        sa.Column("checkin_radius_m", sa.Integer(), nullable=False),
        sa.Column("late_after_min", sa.Integer(), nullable=False),
        sa.Column("timezone", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("invite_code", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column(
            "equipment_confirmed_at", storage.types.UtcDateTime(timezone=True), nullable=True
        ),
        sa.Column("equipment_confirmed_by", sa.Integer(), nullable=True),
        sa.Column("submitted_at", storage.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", storage.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("return_reason", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", storage.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", storage.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["equipment_confirmed_by"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institution.id"],
        ),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("invite_code"),
    )
    with op.batch_alter_table("training_class", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_training_class_institution_id"), ["institution_id"], unique=False
        )

    op.create_table(
        "certificate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("number", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("course", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=True),
        sa.Column("submission_id", sa.Integer(), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", storage.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("created_at", storage.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["decided_by"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["form_submission.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "number"),
    )
    with op.batch_alter_table("certificate", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_certificate_person_id"), ["person_id"], unique=False)

    op.create_table(
        "class_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("slot", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("starts_at", storage.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", storage.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("hours", sa.Integer(), nullable=False),
        sa.Column("topic", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("checkin_secret", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("checkin_opened_at", storage.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("checkin_opened_by", sa.Integer(), nullable=True),
        sa.Column("checkin_closed_at", storage.types.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["checkin_opened_by"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["class_id"],
            ["training_class.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("class_id", "day", "slot"),
    )
    with op.batch_alter_table("class_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_class_session_class_id"), ["class_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_class_session_ends_at"), ["ends_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_class_session_starts_at"), ["starts_at"], unique=False)

    op.create_table(
        "class_teacher",
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("assigned_by", sa.Integer(), nullable=True),
        sa.Column("assigned_at", storage.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assigned_by"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["class_id"],
            ["training_class.id"],
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
        ),
        sa.PrimaryKeyConstraint("class_id", "person_id"),
    )
    op.create_table(
        "enrollment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("enrolled_by", sa.Integer(), nullable=True),
        sa.Column("created_at", storage.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["class_id"],
            ["training_class.id"],
        ),
        sa.ForeignKeyConstraint(
            ["enrolled_by"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("class_id", "person_id"),
    )
    with op.batch_alter_table("enrollment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_enrollment_class_id"), ["class_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_enrollment_person_id"), ["person_id"], unique=False)

    op.create_table(
        "leave_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column(
            "session_ids",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("hours", sa.Integer(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", storage.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("created_at", storage.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["class_id"],
            ["training_class.id"],
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("leave_request", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_leave_request_class_id"), ["class_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_leave_request_person_id"), ["person_id"], unique=False)

    op.create_table(
        "attendance_mark",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("checked_in_at", storage.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("distance_m", sa.Float(), nullable=True),
        sa.Column("outside_radius", sa.Boolean(), nullable=False),
        sa.Column("marked_by", sa.Integer(), nullable=True),
        sa.Column("updated_at", storage.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["marked_by"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["class_session.id"],
        ),
        sa.PrimaryKeyConstraint("session_id", "person_id"),
    )
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("class_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("label", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True)
        )
        batch_op.create_foreign_key(
            "fk_invitation_class_id", "training_class", ["class_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.drop_constraint("fk_invitation_class_id", type_="foreignkey")
        batch_op.drop_column("label")
        batch_op.drop_column("class_id")

    op.drop_table("attendance_mark")
    with op.batch_alter_table("leave_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_leave_request_person_id"))
        batch_op.drop_index(batch_op.f("ix_leave_request_class_id"))

    op.drop_table("leave_request")
    with op.batch_alter_table("enrollment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_enrollment_person_id"))
        batch_op.drop_index(batch_op.f("ix_enrollment_class_id"))

    op.drop_table("enrollment")
    op.drop_table("class_teacher")
    with op.batch_alter_table("class_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_class_session_starts_at"))
        batch_op.drop_index(batch_op.f("ix_class_session_ends_at"))
        batch_op.drop_index(batch_op.f("ix_class_session_class_id"))

    op.drop_table("class_session")
    with op.batch_alter_table("certificate", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_certificate_person_id"))

    op.drop_table("certificate")
    with op.batch_alter_table("training_class", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_training_class_institution_id"))

    op.drop_table("training_class")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_person_id"))
        batch_op.drop_index("ix_outbox_due")

    op.drop_table("outbox")
