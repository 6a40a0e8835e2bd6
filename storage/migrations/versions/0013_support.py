"""support: the needs survey's pushes, the services catalogue, follow-ups and their contacts

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _text(length: int | None = None) -> sa.types.TypeEngine:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def _at(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, storage.types.UtcDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "support_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        _at("created_at"),
        sa.ForeignKeyConstraint(["class_id"], ["training_class.id"]),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("class_id", "person_id"),
    )
    op.create_index("ix_support_request_person_id", "support_request", ["person_id"])
    op.create_table(
        "support_service",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", _text(12), nullable=False),
        sa.Column("name", _text(100), nullable=False),
        sa.Column("offer", _text(500), nullable=False),
        sa.Column("conditions", _text(500), nullable=False),
        sa.Column("contact", _text(200), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        _at("created_at"),
        _at("updated_at"),
        sa.ForeignKeyConstraint(["region_id"], ["region.id"]),
        sa.ForeignKeyConstraint(["created_by"], ["person.id"]),
        sa.ForeignKeyConstraint(["updated_by"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_support_service_region_kind", "support_service", ["region_id", "kind"])
    op.create_table(
        "support_followup",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("need", _text(12), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("status", _text(8), nullable=False),
        _at("created_at"),
        _at("done_at", nullable=True),
        sa.Column("done_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["institution_id"], ["institution.id"]),
        sa.ForeignKeyConstraint(["class_id"], ["training_class.id"]),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["submission_id"], ["form_submission.id"]),
        sa.ForeignKeyConstraint(["done_by"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("class_id", "person_id", "need"),
    )
    op.create_index(
        "ix_support_followup_institution_status",
        "support_followup",
        ["institution_id", "status"],
    )
    op.create_table(
        "support_contact",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("followup_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=True),
        sa.Column("contacted_on", sa.Date(), nullable=False),
        sa.Column("channel", _text(8), nullable=False),
        sa.Column("outcome", _text(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        _at("created_at"),
        sa.ForeignKeyConstraint(["followup_id"], ["support_followup.id"]),
        sa.ForeignKeyConstraint(["service_id"], ["support_service.id"]),
        sa.ForeignKeyConstraint(["recorded_by"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_support_contact_followup_id", "support_contact", ["followup_id"])


def downgrade() -> None:
    op.drop_index("ix_support_contact_followup_id", table_name="support_contact")
    op.drop_table("support_contact")
    op.drop_index("ix_support_followup_institution_status", table_name="support_followup")
    op.drop_table("support_followup")
    op.drop_index("ix_support_service_region_kind", table_name="support_service")
    op.drop_table("support_service")
    op.drop_index("ix_support_request_person_id", table_name="support_request")
    op.drop_table("support_request")
