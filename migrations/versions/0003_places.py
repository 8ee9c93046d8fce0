"""Places of digital help (national standard « lieux de médiation numérique »).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 17:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('place',
    sa.Column('id', sa.String(length=128), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('address', sa.Text(), nullable=False),
    sa.Column('address_details', sa.Text(), nullable=True),
    sa.Column('postcode', sa.String(length=5), nullable=False),
    sa.Column('commune', sa.String(length=200), nullable=False),
    sa.Column('commune_key', sa.String(length=200), nullable=False),
    sa.Column('insee_code', sa.String(length=5), nullable=True),
    sa.Column('departement', sa.String(length=3), nullable=False),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.Column('phone', sa.Text(), nullable=True),
    sa.Column('email', sa.Text(), nullable=True),
    sa.Column('website', sa.Text(), nullable=True),
    sa.Column('horaires', sa.Text(), nullable=True),
    sa.Column('services', sa.Text(), nullable=False),
    sa.Column('publics', sa.Text(), nullable=False),
    sa.Column('specific_support', sa.Text(), nullable=False),
    sa.Column('modalites_accompagnement', sa.Text(), nullable=False),
    sa.Column('frais_a_charge', sa.Text(), nullable=False),
    sa.Column('modalites_acces', sa.Text(), nullable=False),
    sa.Column('prise_rdv', sa.Text(), nullable=True),
    sa.Column('accessibilite', sa.Text(), nullable=True),
    sa.Column('presentation', sa.Text(), nullable=True),
    sa.Column('presentation_detail', sa.Text(), nullable=True),
    sa.Column('source', sa.Text(), nullable=True),
    sa.Column('date_maj', sa.Date(), nullable=False),
    sa.Column('accepts_pass_numerique', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_place'))
    )
    with op.batch_alter_table('place', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_place_commune_key'), ['commune_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_place_departement'), ['departement'], unique=False)
        batch_op.create_index('ix_place_latitude_longitude', ['latitude', 'longitude'], unique=False)
        batch_op.create_index(batch_op.f('ix_place_postcode'), ['postcode'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('place', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_place_postcode'))
        batch_op.drop_index('ix_place_latitude_longitude')
        batch_op.drop_index(batch_op.f('ix_place_departement'))
        batch_op.drop_index(batch_op.f('ix_place_commune_key'))

    op.drop_table('place')
