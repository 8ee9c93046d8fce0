"""Steps of a job journey marked as done.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 17:15:33.684895
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('step_done',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('journey_id', sa.Integer(), nullable=False),
    sa.Column('job_journey', sa.String(length=64), nullable=False),
    sa.Column('step_id', sa.String(length=64), nullable=False),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['journey_id'], ['journey.id'], name=op.f('fk_step_done_journey_id_journey'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_step_done')),
    sa.UniqueConstraint('journey_id', 'job_journey', 'step_id', name=op.f('uq_step_done_journey_id'))
    )
    with op.batch_alter_table('step_done', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_step_done_journey_id'), ['journey_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('step_done', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_step_done_journey_id'))

    op.drop_table('step_done')
