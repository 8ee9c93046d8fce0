"""Organisations, staff, consents, requests to be contacted, records, access journal.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 17:27:25.861502
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('access_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('journey_id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('staff_name', sa.String(length=200), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('organisation_name', sa.String(length=200), nullable=False),
    sa.Column('what', sa.String(length=32), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_access_record'))
    )
    with op.batch_alter_table('access_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_access_record_journey_id'), ['journey_id'], unique=False)

    op.create_table('organisation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('postcode', sa.String(length=5), nullable=False),
    sa.Column('share_code', sa.String(length=8), nullable=False),
    sa.Column('place_id', sa.String(length=128), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['place_id'], ['place.id'], name=op.f('fk_organisation_place_id_place'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organisation')),
    sa.UniqueConstraint('share_code', name=op.f('uq_organisation_share_code'))
    )
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_organisation_postcode'), ['postcode'], unique=False)

    op.create_table('consent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('journey_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=32), nullable=False),
    sa.Column('text_version', sa.String(length=32), nullable=False),
    sa.Column('assisted', sa.Boolean(), nullable=False),
    sa.Column('granted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['journey_id'], ['journey.id'], name=op.f('fk_consent_journey_id_journey'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_consent_organisation_id_organisation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consent'))
    )
    with op.batch_alter_table('consent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consent_journey_id'), ['journey_id'], unique=False)
        batch_op.create_index('ix_consent_organisation_expires', ['organisation_id', 'expires_at'], unique=False)

    op.create_table('staff_user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('failed_sign_ins', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_staff_user_organisation_id_organisation'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_user')),
    sa.UniqueConstraint('email', name=op.f('uq_staff_user_email'))
    )
    with op.batch_alter_table('staff_user', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_user_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('contact_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('journey_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('consent_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('slots', sa.String(length=200), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('origin', sa.String(length=100), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('form_key', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['consent_id'], ['consent.id'], name=op.f('fk_contact_request_consent_id_consent'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['journey_id'], ['journey.id'], name=op.f('fk_contact_request_journey_id_journey'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_contact_request_organisation_id_organisation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_request')),
    sa.UniqueConstraint('form_key', name=op.f('uq_contact_request_form_key'))
    )
    with op.batch_alter_table('contact_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contact_request_journey_id'), ['journey_id'], unique=False)
        batch_op.create_index('ix_contact_request_queue', ['organisation_id', 'status', 'created_at'], unique=False)

    op.create_table('staff_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('journey_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('booklet_number', sa.String(length=40), nullable=True),
    sa.Column('voucher_count', sa.Integer(), nullable=True),
    sa.Column('vouchers_expire_on', sa.Date(), nullable=True),
    sa.Column('place_id', sa.String(length=128), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('form_key', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['journey_id'], ['journey.id'], name=op.f('fk_staff_record_journey_id_journey'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_staff_record_organisation_id_organisation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['place_id'], ['place.id'], name=op.f('fk_staff_record_place_id_place'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_user.id'], name=op.f('fk_staff_record_staff_id_staff_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_record')),
    sa.UniqueConstraint('form_key', name=op.f('uq_staff_record_form_key'))
    )
    with op.batch_alter_table('staff_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_record_journey_id'), ['journey_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_staff_record_organisation_id'), ['organisation_id'], unique=False)

    with op.batch_alter_table('journey', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assisted', sa.Boolean(), nullable=False, server_default=sa.false()))



    if op.get_bind().dialect.name == "postgresql":
        # The access journal is append-only: the database itself refuses changes.
        op.execute(
            "CREATE FUNCTION access_record_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION 'access_record is append-only'; END; $$"
        )
        op.execute(
            "CREATE TRIGGER access_record_no_change BEFORE UPDATE OR DELETE ON access_record "
            "FOR EACH ROW EXECUTE FUNCTION access_record_append_only()"
        )
        op.execute(
            "CREATE TRIGGER access_record_no_truncate BEFORE TRUNCATE ON access_record "
            "FOR EACH STATEMENT EXECUTE FUNCTION access_record_append_only()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER access_record_no_truncate ON access_record")
        op.execute("DROP TRIGGER access_record_no_change ON access_record")
        op.execute("DROP FUNCTION access_record_append_only()")
    with op.batch_alter_table('journey', schema=None) as batch_op:
        batch_op.drop_column('assisted')

    with op.batch_alter_table('staff_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_record_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_staff_record_journey_id'))

    op.drop_table('staff_record')
    with op.batch_alter_table('contact_request', schema=None) as batch_op:
        batch_op.drop_index('ix_contact_request_queue')
        batch_op.drop_index(batch_op.f('ix_contact_request_journey_id'))

    op.drop_table('contact_request')
    with op.batch_alter_table('staff_user', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_user_organisation_id'))

    op.drop_table('staff_user')
    with op.batch_alter_table('consent', schema=None) as batch_op:
        batch_op.drop_index('ix_consent_organisation_expires')
        batch_op.drop_index(batch_op.f('ix_consent_journey_id'))

    op.drop_table('consent')
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_organisation_postcode'))

    op.drop_table('organisation')
    with op.batch_alter_table('access_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_access_record_journey_id'))

    op.drop_table('access_record')
