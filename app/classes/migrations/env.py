"""Alembic's environment for class mode: migrations run on the connection db.py hands over
(the app migrates itself; there is no alembic.ini)."""

from __future__ import annotations

from alembic import context

from app.classes.models import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata,
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
