"""A name or initials a person may show to the organisations they share with; the history
of the staff moves of requests to be contacted.

Revision ID: 0009m
Revises: 0009a
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009m"
down_revision: str | None = "0009a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("journey") as batch:
        batch.add_column(sa.Column("display_name", sa.String(length=40), nullable=True))
    op.create_table(
        "request_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("staff_name", sa.String(length=200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["contact_request.id"],
            name=op.f("fk_request_event_request_id_contact_request"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff_user.id"],
            name=op.f("fk_request_event_staff_id_staff_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_event")),
    )
    op.create_index(
        op.f("ix_request_event_request_id"), "request_event", ["request_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_request_event_request_id"), table_name="request_event")
    op.drop_table("request_event")
    with op.batch_alter_table("journey") as batch:
        batch.drop_column("display_name")
