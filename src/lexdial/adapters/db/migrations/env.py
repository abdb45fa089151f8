"""Alembic environment: runs on the connection lexdial hands it (``database.migrate``)."""

from __future__ import annotations

from alembic import context

from lexdial.adapters.db.tables import metadata

config = context.config
target_metadata = metadata


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is None:  # pragma: no cover - only via lexdial.adapters.db.database
        raise RuntimeError("run migrations through lexdial.adapters.db.database.migrate")
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
