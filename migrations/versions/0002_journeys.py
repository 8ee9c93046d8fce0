"""Journeys, their answers and results.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 16:38:00.039741
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('journey',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('locale', sa.String(length=8), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('seed', sa.Integer(), nullable=False),
    sa.Column('code_salt', sa.String(length=32), nullable=False),
    sa.Column('code_lookup', sa.String(length=64), nullable=False),
    sa.Column('bank_version', sa.String(length=32), nullable=False),
    sa.Column('help_offered_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journey')),
    sa.UniqueConstraint('code_lookup', name=op.f('uq_journey_code_lookup'))
    )
    with op.batch_alter_table('journey', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_journey_last_seen_at'), ['last_seen_at'], unique=False)

    op.create_table('answer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('journey_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.String(length=64), nullable=False),
    sa.Column('response', sa.String(length=200), nullable=False),
    sa.Column('correct', sa.Boolean(), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['journey_id'], ['journey.id'], name=op.f('fk_answer_journey_id_journey'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_answer')),
    sa.UniqueConstraint('journey_id', 'item_id', name=op.f('uq_answer_journey_id'))
    )
    with op.batch_alter_table('answer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_answer_journey_id'), ['journey_id'], unique=False)

    op.create_table('result',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('journey_id', sa.Integer(), nullable=False),
    sa.Column('overall_theta', sa.Float(), nullable=False),
    sa.Column('overall_band', sa.Integer(), nullable=False),
    sa.Column('needs_basics', sa.Boolean(), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('engine_version', sa.String(length=16), nullable=False),
    sa.Column('bank_version', sa.String(length=32), nullable=False),
    sa.Column('stopped_early', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['journey_id'], ['journey.id'], name=op.f('fk_result_journey_id_journey'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_result')),
    sa.UniqueConstraint('journey_id', name=op.f('uq_result_journey_id'))
    )


def downgrade() -> None:
    op.drop_table('result')
    with op.batch_alter_table('answer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_answer_journey_id'))

    op.drop_table('answer')
    with op.batch_alter_table('journey', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_journey_last_seen_at'))

    op.drop_table('journey')
