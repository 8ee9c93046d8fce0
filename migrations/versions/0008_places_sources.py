"""Places remember the file they came from, and are retired rather than deleted.

- ``place.imported_from``: the source named at import (``flask import-places --source``);
  a newer full file of the same source retires the places it no longer lists.
- ``place.retired_at``: when that happened; search leaves retired places out, the pages
  and records that refer to them still show them.
- ``place.date_maj`` may be empty: a file that does not date a place (or not as a date)
  leaves it unknown, and a newer file always applies.
- an index on ``place.insee_code``: search finds the places of a commune and of its
  intercommunality by their INSEE codes.

Places imported before this migration have no source: no import retires them.

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("place", schema=None) as batch_op:
        batch_op.add_column(sa.Column("imported_from", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_place_imported_from"), ["imported_from"], unique=False)
        batch_op.create_index(batch_op.f("ix_place_insee_code"), ["insee_code"], unique=False)
        batch_op.alter_column("date_maj", existing_type=sa.Date(), nullable=True)


def downgrade() -> None:
    op.execute("UPDATE place SET date_maj = CURRENT_DATE WHERE date_maj IS NULL")
    with op.batch_alter_table("place", schema=None) as batch_op:
        batch_op.alter_column("date_maj", existing_type=sa.Date(), nullable=False)
        batch_op.drop_index(batch_op.f("ix_place_insee_code"))
        batch_op.drop_index(batch_op.f("ix_place_imported_from"))
        batch_op.drop_column("retired_at")
        batch_op.drop_column("imported_from")
