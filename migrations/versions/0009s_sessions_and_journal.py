"""Sessions that end, ids never reused, a journal nobody rewrites.

- ``journey.session_version``: a browser's session holds the person by ``ref`` and this
  version; a new code, « Quitter cet appareil » and erasure advance it (app/views/current.py).
- SQLite: every table with a numeric id is rebuilt with ``AUTOINCREMENT``, so that an id is
  never given again after its row is deleted (without it SQLite reuses the highest id: a
  browser holding an erased person's id would open the next person). Tables are found in the
  database, not listed, so tables made by earlier migrations are all covered; a table made
  later must be created with ``sqlite_autoincrement=True`` (tests/test_migrations.py checks).
- Names of organisations and staff lose bidi controls and other invisible characters.
- SQLite: triggers refuse UPDATE on ``access_record`` always, and DELETE of a line younger
  than the retention period (only ``flask purge`` deletes, and only older lines), as the
  PostgreSQL trigger of 0006 does.
- PostgreSQL: the journal's table is owned by the role that runs the migrations; the
  app's role gets only SELECT and INSERT on it, and deletes old lines only through
  ``purge_access_records(before)``, a function owned by the owner that never deletes a
  line younger than the retention period (docs/deploy.md). Roles already granted rights on
  the journal (e.g. by ``ALTER DEFAULT PRIVILEGES``) lose all but SELECT and INSERT.

Revision ID: 0009s
Revises: 0009m
"""

import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009s"
down_revision: str | None = "0009m"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: As in 0006 and ``RETENTION_ACCESS_RECORD_YEARS`` (app/config.py): change all together.
ACCESS_RECORD_KEEP_YEARS = 3

SQLITE_TRIGGERS = (
    "CREATE TRIGGER access_record_no_update BEFORE UPDATE ON access_record "
    "BEGIN SELECT RAISE(ABORT, 'access_record is append-only'); END",
    "CREATE TRIGGER access_record_no_delete BEFORE DELETE ON access_record "
    f"WHEN OLD.at >= datetime('now', '-{ACCESS_RECORD_KEEP_YEARS} years') "
    "BEGIN SELECT RAISE(ABORT, 'access_record is append-only'); END",
)

PURGE_FUNCTION = (
    "CREATE OR REPLACE FUNCTION purge_access_records(before timestamptz) RETURNS integer "
    "LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$ "
    "DECLARE removed integer; BEGIN "
    "DELETE FROM {schema}.access_record WHERE at < LEAST(before, now() - interval "
    f"'{ACCESS_RECORD_KEEP_YEARS} years'); "
    "GET DIAGNOSTICS removed = ROW_COUNT; RETURN removed; END; $$"
)
#: The app's role may read and add lines of the journal, nothing else; other roles than
#: the owner (the one running the migrations) lose every other right on it.
REVOKE_OTHERS = """
DO $$ DECLARE grantee_name text; BEGIN
  FOR grantee_name IN
    SELECT DISTINCT grantee FROM information_schema.role_table_grants
    WHERE table_schema = current_schema() AND table_name = 'access_record'
      AND grantee <> current_user AND grantee <> 'PUBLIC'
  LOOP
    EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON access_record FROM %I',
                   grantee_name);
    EXECUTE format('GRANT EXECUTE ON FUNCTION purge_access_records(timestamptz) TO %I',
                   grantee_name);
  END LOOP;
END $$
"""


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _tables_with_numeric_ids() -> list[str]:
    inspector = sa.inspect(op.get_bind())
    found = []
    for name in inspector.get_table_names():
        if name == "alembic_version":
            continue
        key = inspector.get_pk_constraint(name).get("constrained_columns") or []
        columns = {column["name"]: column for column in inspector.get_columns(name)}
        if len(key) == 1 and isinstance(columns[key[0]]["type"], sa.Integer):
            found.append(name)
    return found


def _sqlite_autoincrement(on: bool) -> None:
    for name in _tables_with_numeric_ids():
        with op.batch_alter_table(
            name, recreate="always", table_kwargs={"sqlite_autoincrement": on}
        ):
            pass


def _without_format_characters(value: str) -> str:
    kept = "".join(c for c in value if unicodedata.category(c) not in ("Cc", "Cf"))
    return " ".join(kept.split())


def _clean_names() -> None:
    """Names of organisations and staff lose right-to-left overrides and other invisible
    characters, as new ones do (app/staff/accounts.py ``clean_name``)."""
    bind = op.get_bind()
    for name in ("organisation", "staff_user"):
        table = sa.table(name, sa.column("id", sa.Integer), sa.column("name", sa.String))
        for row_id, value in bind.execute(sa.select(table.c.id, table.c.name)).all():
            cleaned = _without_format_characters(value or "")
            if cleaned != value:
                bind.execute(table.update().where(table.c.id == row_id).values(name=cleaned))


def upgrade() -> None:
    _clean_names()
    with op.batch_alter_table("journey", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("session_version", sa.Integer(), server_default="0", nullable=False)
        )
    if _sqlite():
        _sqlite_autoincrement(True)
        for trigger in SQLITE_TRIGGERS:
            op.execute(trigger)
    else:
        schema = op.get_bind().execute(sa.text("SELECT current_schema()")).scalar()
        quoted = op.get_bind().dialect.identifier_preparer.quote(str(schema))
        op.execute(PURGE_FUNCTION.replace("{schema}", quoted))
        op.execute("REVOKE ALL ON FUNCTION purge_access_records(timestamptz) FROM PUBLIC")
        op.execute("REVOKE UPDATE, DELETE, TRUNCATE ON access_record FROM PUBLIC")
        op.execute(REVOKE_OTHERS)


def downgrade() -> None:
    if _sqlite():
        op.execute("DROP TRIGGER IF EXISTS access_record_no_update")
        op.execute("DROP TRIGGER IF EXISTS access_record_no_delete")
        _sqlite_autoincrement(False)
    else:
        op.execute("DROP FUNCTION IF EXISTS purge_access_records(timestamptz)")
    with op.batch_alter_table("journey", schema=None) as batch_op:
        batch_op.drop_column("session_version")
