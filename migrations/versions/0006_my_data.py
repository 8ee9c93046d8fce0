"""A person's rights over their data: journey ref, journal by ref, detached answers.

- ``journey.ref``: a random token for each journey, filled for existing rows.
- ``access_record.journey_ref`` replaces ``journey_id``: after a journey is erased, the
  journal points to nothing that exists, and never to a new person (SQLite may reuse ids).
  Lines whose journey is already gone get a fresh random token each.
- ``detached_answer``: answers kept without any person, after erasure.
- PostgreSQL: the journal stays append-only, except that a line older than
  ``ACCESS_RECORD_KEEP_YEARS`` may be deleted (by ``flask purge``). UPDATE and TRUNCATE
  are always refused.

Revision ID: 0006
Revises: 0005
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: How long access records are kept. The same period is the default of
#: ``RETENTION_ACCESS_RECORD_YEARS`` in app/config.py, and is stated in the privacy notice:
#: change all three together (a new migration replaces the function below).
ACCESS_RECORD_KEEP_YEARS = 3

APPEND_ONLY_UNTIL_OLD = (
    "CREATE OR REPLACE FUNCTION access_record_append_only() RETURNS trigger "
    "LANGUAGE plpgsql AS $$ BEGIN "
    "IF TG_OP = 'DELETE' THEN IF OLD.at < now() - interval "
    f"'{ACCESS_RECORD_KEEP_YEARS} years' THEN RETURN OLD; END IF; END IF; "
    "RAISE EXCEPTION 'access_record is append-only'; END; $$"
)
APPEND_ONLY = (
    "CREATE OR REPLACE FUNCTION access_record_append_only() RETURNS trigger "
    "LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'access_record is append-only'; END; $$"
)


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    bind = op.get_bind()
    journey = sa.table("journey", sa.column("id", sa.Integer), sa.column("ref", sa.String))
    access = sa.table(
        "access_record",
        sa.column("id", sa.Integer),
        sa.column("journey_id", sa.Integer),
        sa.column("journey_ref", sa.String),
    )

    with op.batch_alter_table("journey", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ref", sa.String(length=32), nullable=True))
    for (journey_id,) in bind.execute(sa.select(journey.c.id)).all():
        bind.execute(
            journey.update().where(journey.c.id == journey_id).values(ref=secrets.token_hex(16))
        )
    with op.batch_alter_table("journey", schema=None) as batch_op:
        batch_op.alter_column("ref", existing_type=sa.String(length=32), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_journey_ref"), ["ref"])

    if _postgresql():  # the journal's lines are rewritten once, here
        op.execute("DROP TRIGGER access_record_no_change ON access_record")
    with op.batch_alter_table("access_record", schema=None) as batch_op:
        batch_op.add_column(sa.Column("journey_ref", sa.String(length=32), nullable=True))
    refs = dict(bind.execute(sa.select(journey.c.id, journey.c.ref)).all())
    for line_id, journey_id in bind.execute(sa.select(access.c.id, access.c.journey_id)).all():
        bind.execute(
            access.update()
            .where(access.c.id == line_id)
            .values(journey_ref=refs.get(journey_id) or secrets.token_hex(16))
        )
    with op.batch_alter_table("access_record", schema=None) as batch_op:
        batch_op.alter_column("journey_ref", existing_type=sa.String(length=32), nullable=False)
        batch_op.drop_index(batch_op.f("ix_access_record_journey_id"))
        batch_op.drop_column("journey_id")
        batch_op.create_index(batch_op.f("ix_access_record_journey_ref"), ["journey_ref"])

    op.create_table(
        "detached_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("respondent", sa.String(length=32), nullable=False),
        sa.Column("item_id", sa.String(length=64), nullable=False),
        sa.Column("correct", sa.Boolean(), nullable=True),
        sa.Column("answered_month", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_detached_answer")),
    )
    with op.batch_alter_table("detached_answer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_detached_answer_item_id"), ["item_id"])
        batch_op.create_index(batch_op.f("ix_detached_answer_respondent"), ["respondent"])

    if _postgresql():
        op.execute(APPEND_ONLY_UNTIL_OLD)
        op.execute(
            "CREATE TRIGGER access_record_no_change BEFORE UPDATE OR DELETE ON access_record "
            "FOR EACH ROW EXECUTE FUNCTION access_record_append_only()"
        )


def downgrade() -> None:
    bind = op.get_bind()
    journey = sa.table("journey", sa.column("id", sa.Integer), sa.column("ref", sa.String))
    access = sa.table(
        "access_record",
        sa.column("id", sa.Integer),
        sa.column("journey_id", sa.Integer),
        sa.column("journey_ref", sa.String),
    )
    with op.batch_alter_table("detached_answer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_detached_answer_respondent"))
        batch_op.drop_index(batch_op.f("ix_detached_answer_item_id"))
    op.drop_table("detached_answer")

    if _postgresql():
        op.execute("DROP TRIGGER access_record_no_change ON access_record")
    with op.batch_alter_table("access_record", schema=None) as batch_op:
        batch_op.add_column(sa.Column("journey_id", sa.Integer(), nullable=True))
    rows = bind.execute(sa.select(journey.c.id, journey.c.ref)).all()
    ids = {ref: journey_id for journey_id, ref in rows}
    for line_id, ref in bind.execute(sa.select(access.c.id, access.c.journey_ref)).all():
        # Lines of erased journeys name no one: 0 is no journey's id.
        bind.execute(
            access.update().where(access.c.id == line_id).values(journey_id=ids.get(ref, 0))
        )
    with op.batch_alter_table("access_record", schema=None) as batch_op:
        batch_op.alter_column("journey_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_index(batch_op.f("ix_access_record_journey_ref"))
        batch_op.drop_column("journey_ref")
        batch_op.create_index(batch_op.f("ix_access_record_journey_id"), ["journey_id"])
    if _postgresql():
        op.execute(APPEND_ONLY)
        op.execute(
            "CREATE TRIGGER access_record_no_change BEFORE UPDATE OR DELETE ON access_record "
            "FOR EACH ROW EXECUTE FUNCTION access_record_append_only()"
        )

    with op.batch_alter_table("journey", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_journey_ref"), type_="unique")
        batch_op.drop_column("ref")
