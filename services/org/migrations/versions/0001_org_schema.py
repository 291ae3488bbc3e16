"""org schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "employees",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("employee_number", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=200), nullable=False),
        sa.Column("email_key", sa.String(length=200), nullable=False),
        sa.Column("unit_id", sa.String(length=36), nullable=False),
        sa.Column("position_id", sa.String(length=36), nullable=True),
        sa.Column("manager_id", sa.String(length=36), nullable=True),
        sa.Column("hire_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("termination_date", sa.Date(), nullable=True),
        sa.Column(
            "path",
            sa.String(length=2000).with_variant(sa.String(length=2000, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("employees", schema=None) as batch_op:
        batch_op.create_index(
            "ix_employees_tenant_manager", ["tenant_id", "manager_id", "employee_number"], unique=False
        )
        batch_op.create_index("ix_employees_tenant_path", ["tenant_id", "path"], unique=False)
        batch_op.create_index(
            "ix_employees_tenant_unit", ["tenant_id", "unit_id", "employee_number"], unique=False
        )
        batch_op.create_index("ux_employees_tenant_email", ["tenant_id", "email_key"], unique=True)
        batch_op.create_index("ux_employees_tenant_number", ["tenant_id", "employee_number"], unique=True)

    op.create_table(
        "idempotency",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("operation", sa.String(length=100), nullable=False),
        sa.Column("request_id", sa.String(length=100), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "operation", "request_id"),
    )
    op.create_table(
        "inbox",
        sa.Column("consumer", sa.String(length=100), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("consumer", "event_id"),
    )
    op.create_table(
        "leases",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("holder", sa.String(length=100), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "locks",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("locked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "outbox",
        sa.Column(
            "seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("event_type", sa.String(length=200), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("event_id"),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_unpublished", ["published_at", "seq"], unique=False)

    op.create_table(
        "positions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("unit_id", sa.String(length=36), nullable=False),
        sa.Column("job_description", sa.Text(), nullable=False),
        sa.Column("responsibilities", sa.JSON(), nullable=False),
        sa.Column("assessor_position_id", sa.String(length=36), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("positions", schema=None) as batch_op:
        batch_op.create_index("ix_positions_tenant_unit", ["tenant_id", "unit_id"], unique=False)
        batch_op.create_index("ux_positions_tenant_code", ["tenant_id", "code"], unique=True)

    op.create_table(
        "responsibilities",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("subject_id", sa.String(length=200), nullable=False),
        sa.Column("subject_kind", sa.String(length=16), nullable=False),
        sa.Column("owner_position_id", sa.String(length=36), nullable=False),
        sa.Column("data_provider_unit_id", sa.String(length=36), nullable=True),
        sa.Column("assessor_position_id", sa.String(length=36), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "subject_id"),
    )
    with op.batch_alter_table("responsibilities", schema=None) as batch_op:
        batch_op.create_index(
            "ix_responsibilities_tenant_owner", ["tenant_id", "owner_position_id", "subject_id"], unique=False
        )

    op.create_table(
        "role_grants",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("employee_id", sa.String(length=36), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("unit_ids", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("role_grants", schema=None) as batch_op:
        batch_op.create_index("ix_role_grants_tenant_employee", ["tenant_id", "employee_id"], unique=False)

    op.create_table(
        "units",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("parent_id", sa.String(length=36), nullable=True),
        sa.Column("head_employee_id", sa.String(length=36), nullable=True),
        sa.Column(
            "path",
            sa.String(length=2000).with_variant(sa.String(length=2000, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.create_index("ix_units_tenant_parent", ["tenant_id", "parent_id"], unique=False)
        batch_op.create_index("ix_units_tenant_path", ["tenant_id", "path"], unique=False)
        batch_op.create_index("ux_units_tenant_code", ["tenant_id", "code"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.drop_index("ux_units_tenant_code")
        batch_op.drop_index("ix_units_tenant_path")
        batch_op.drop_index("ix_units_tenant_parent")

    op.drop_table("units")
    with op.batch_alter_table("role_grants", schema=None) as batch_op:
        batch_op.drop_index("ix_role_grants_tenant_employee")

    op.drop_table("role_grants")
    with op.batch_alter_table("responsibilities", schema=None) as batch_op:
        batch_op.drop_index("ix_responsibilities_tenant_owner")

    op.drop_table("responsibilities")
    with op.batch_alter_table("positions", schema=None) as batch_op:
        batch_op.drop_index("ux_positions_tenant_code")
        batch_op.drop_index("ix_positions_tenant_unit")

    op.drop_table("positions")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_unpublished")

    op.drop_table("outbox")
    op.drop_table("locks")
    op.drop_table("leases")
    op.drop_table("inbox")
    op.drop_table("idempotency")
    with op.batch_alter_table("employees", schema=None) as batch_op:
        batch_op.drop_index("ux_employees_tenant_number")
        batch_op.drop_index("ux_employees_tenant_email")
        batch_op.drop_index("ix_employees_tenant_unit")
        batch_op.drop_index("ix_employees_tenant_path")
        batch_op.drop_index("ix_employees_tenant_manager")

    op.drop_table("employees")
