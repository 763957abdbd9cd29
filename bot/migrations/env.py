"""Alembic's environment: run by :mod:`bot.migrations` (``salon db``), never on its own."""

from __future__ import annotations

from alembic import context

from bot.migrations import configure_context

connection = context.config.attributes.get("connection")
if connection is None or context.is_offline_mode():
    raise RuntimeError("Salon's migrations run through `salon db upgrade`, on a live database")
configure_context(context, connection)
with context.begin_transaction():
    context.run_migrations()
