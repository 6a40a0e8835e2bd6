"""issued certificates: applications, applicants, certificates, number counters, product secrets

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = storage.types.UtcDateTime(timezone=True)


def _str(length: int | None = None) -> sa.types.TypeEngine:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "certificate_application",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("class_id", sa.Integer(), sa.ForeignKey("training_class.id"), nullable=False),
        sa.Column("institution_id", sa.Integer(), sa.ForeignKey("institution.id"), nullable=False),
        sa.Column("region_id", sa.Integer(), sa.ForeignKey("region.id"), nullable=False),
        sa.Column("programme", _str(12), nullable=False),
        sa.Column("status", _str(10), nullable=False),
        sa.Column("created_by", sa.Integer(), sa.ForeignKey("person.id"), nullable=True),
        sa.Column("submitted_at", TS, nullable=True),
        sa.Column("submitted_by", sa.Integer(), sa.ForeignKey("person.id"), nullable=True),
        sa.Column("decided_at", TS, nullable=True),
        sa.Column("decided_by", sa.Integer(), sa.ForeignKey("person.id"), nullable=True),
        sa.Column("reason", _str(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("class_id"),
    )
    op.create_index(
        "ix_certificate_application_status_region",
        "certificate_application",
        ["status", "region_id"],
    )
    op.create_table(
        "certificate_applicant",
        sa.Column(
            "application_id",
            sa.Integer(),
            sa.ForeignKey("certificate_application.id"),
            nullable=False,
        ),
        sa.Column("person_id", sa.Integer(), sa.ForeignKey("person.id"), nullable=False),
        sa.Column("stage", _str(12), nullable=True),
        sa.Column("final", sa.Float(), nullable=True),
        sa.Column("selected", sa.Boolean(), nullable=False),
        sa.Column("chosen", sa.Boolean(), nullable=False),
        sa.Column("status", _str(10), nullable=False),
        sa.PrimaryKeyConstraint("application_id", "person_id"),
    )
    op.create_table(
        "issued_certificate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", _str(20), nullable=False),
        sa.Column("programme", _str(12), nullable=False),
        sa.Column("person_id", sa.Integer(), sa.ForeignKey("person.id"), nullable=True),
        sa.Column("holder_name", _str(255), nullable=True),
        sa.Column("class_id", sa.Integer(), sa.ForeignKey("training_class.id"), nullable=False),
        sa.Column("class_name", _str(200), nullable=False),
        sa.Column("institution_id", sa.Integer(), sa.ForeignKey("institution.id"), nullable=False),
        sa.Column("institution_name", _str(200), nullable=False),
        sa.Column("region_id", sa.Integer(), sa.ForeignKey("region.id"), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=True),
        sa.Column("last_day", sa.Date(), nullable=True),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("issued_at", TS, nullable=False),
        sa.Column("issued_by", sa.Integer(), sa.ForeignKey("person.id"), nullable=True),
        sa.Column(
            "application_id",
            sa.Integer(),
            sa.ForeignKey("certificate_application.id"),
            nullable=True,
        ),
        sa.Column("revoked_at", TS, nullable=True),
        sa.Column("revoked_by", sa.Integer(), sa.ForeignKey("person.id"), nullable=True),
        sa.Column("revoke_reason", _str(), nullable=True),
        sa.Column("sent_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("number"),
    )
    op.create_index("ix_issued_certificate_person_id", "issued_certificate", ["person_id"])
    op.create_index("ix_issued_certificate_class_id", "issued_certificate", ["class_id"])
    op.create_index("ix_issued_certificate_sent_at", "issued_certificate", ["sent_at"])
    op.create_table(
        "certificate_counter",
        sa.Column("region_id", sa.Integer(), sa.ForeignKey("region.id"), nullable=False),
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("region_id", "year"),
    )
    op.create_table(
        "product_secret",
        sa.Column("name", _str(40), nullable=False),
        sa.Column("value", _str(200), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("product_secret")
    op.drop_table("certificate_counter")
    op.drop_index("ix_issued_certificate_sent_at", table_name="issued_certificate")
    op.drop_index("ix_issued_certificate_class_id", table_name="issued_certificate")
    op.drop_index("ix_issued_certificate_person_id", table_name="issued_certificate")
    op.drop_table("issued_certificate")
    op.drop_table("certificate_applicant")
    op.drop_index("ix_certificate_application_status_region", table_name="certificate_application")
    op.drop_table("certificate_application")
