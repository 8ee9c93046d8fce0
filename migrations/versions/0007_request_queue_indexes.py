"""Indexes for the staff queue of requests to be contacted.

- ``ix_contact_request_open``: the open requests ("new", "in-progress") of an organisation,
  oldest first, and nothing else. The queue reads its page and its count there, so it stays
  as fast with a million requests kept as with a thousand.
- ``ix_contact_request_status`` replaces ``ix_contact_request_queue``: the requests of one
  status, ordered by when they were closed (the "done", "cancelled" and "expired" views,
  last closed first), and the count of each status.

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The open statuses when this migration was written (app.models.OPEN_REQUEST_STATUSES).
OPEN = sa.text("status IN ('new', 'in-progress')")


def upgrade() -> None:
    op.create_index(
        "ix_contact_request_open",
        "contact_request",
        ["organisation_id", "created_at", "id"],
        unique=False,
        postgresql_where=OPEN,
        sqlite_where=OPEN,
    )
    op.create_index(
        "ix_contact_request_status",
        "contact_request",
        ["organisation_id", "status", "closed_at", "id"],
        unique=False,
    )
    op.drop_index("ix_contact_request_queue", table_name="contact_request")


def downgrade() -> None:
    op.create_index(
        "ix_contact_request_queue",
        "contact_request",
        ["organisation_id", "status", "created_at"],
        unique=False,
    )
    op.drop_index("ix_contact_request_status", table_name="contact_request")
    op.drop_index("ix_contact_request_open", table_name="contact_request")
