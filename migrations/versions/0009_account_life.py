"""Staff accounts' life: sessions that end on the server, one-time codes, the journal of
account actions.

- ``staff_user.session_generation``: each browser session carries it; raising it ends every
  session of the account.
- ``staff_user.must_set_password``, ``password_expires_at``: after a reset, the password is
  a one-time code, to replace at the next sign-in, valid until then.
- ``account_event``: who created, deactivated, reactivated an account or reset its password,
  and when (append-only; names copied).

Revision ID: 0009a
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009a"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("staff_user", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("session_generation", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("must_set_password", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("password_expires_at", sa.DateTime(timezone=True), nullable=True)
        )
    op.create_table(
        "account_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("account_email", sa.String(length=254), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=True),
        sa.Column("by_name", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_event")),
    )
    op.create_index(op.f("ix_account_event_account_id"), "account_event", ["account_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_account_event_account_id"), table_name="account_event")
    op.drop_table("account_event")
    with op.batch_alter_table("staff_user", schema=None) as batch_op:
        batch_op.drop_column("password_expires_at")
        batch_op.drop_column("must_set_password")
        batch_op.drop_column("session_generation")
